// Checks, after `pnpm build`, that the CommonJS build (`require('@dbvae/cli')`) ends typed errors
// with their documented exit codes. The CJS build loads the libraries it imports on demand as ESM,
// so two copies of the error classes meet; a check by `instanceof` alone would give exit 70.
// Run by .ci/run after the build: node packages/cli/scripts/check-cjs-exit-codes.cjs
const { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const dir = mkdtempSync(join(tmpdir(), 'dbvae-cjs-'));
mkdirSync(join(dir, 'node_modules', '@dbvae'), { recursive: true });
symlinkSync(resolve(__dirname, '..'), join(dir, 'node_modules', '@dbvae', 'cli'), 'dir');
writeFileSync(join(dir, 'notes.h5'), 'not an HDF5 file\n');
const { runCli } = require(require.resolve('@dbvae/cli', { paths: [dir] }));

const cases = [
  ['a typed error thrown by the ESM-loaded core-data (not HDF5)', ['train', '--data', 'notes.h5', '--model', 'standard', '--out', 'm'], 1],
  ['an --out the command may not replace (the working folder)', ['train', '--data', 'notes.h5', '--model', 'standard', '--out', '.'], 1],
  ['a usage error', ['train', '--model', 'standard'], 2],
];

(async () => {
  let failed = 0;
  for (const [what, argv, expected] of cases) {
    let err = '';
    const code = await runCli(argv, { stdout: { write: () => true }, stderr: { write: (s) => ((err += s), true), isTTY: false }, cwd: dir });
    const ok = code === expected && !err.includes('unexpected error');
    if (!ok) failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}: exit ${code} (expected ${expected})${ok ? '' : `\n${err}`}`);
  }
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = failed ? 1 : 0;
})();
