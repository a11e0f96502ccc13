/**
 * Fault injection: bad outputs, bad inputs, interruptions and races against the `dbvae`
 * commands, each with what it must get. docs/guides/bad-inputs.md lists the same cases.
 */
import { EventEmitter } from 'node:events';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '@dbvae/backend';
import { loadImageFolder, writeLabH5 } from '@dbvae/core-data';
import { runCli } from '../src/cli';
import { exitCodeOf } from '../src/errors';
import { writeDirAtomic } from '../src/fs-atomic';
import { claimOutput, writeOutputMarker } from '../src/output-dir';

const ROOT = getuid() === 0;
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
function getuid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : -1;
}

let dir: string;
const N = 16;

/** Images whose rows differ (a smooth ramp per image), labels alternating face / not a face. */
async function writeData(path: string, side = 64, n = N): Promise<void> {
  const images = new Uint8Array(n * side * side * 3);
  for (let i = 0; i < images.length; i++) images[i] = ((i >> 5) * 13 + (i % 11) * 7 + Math.floor(i / (side * side * 3)) * 29) & 255;
  await writeLabH5(path, { images, labels: Array.from({ length: n }, (_, i) => i % 2), height: side, width: side });
}

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process in `cwd`; `onErr` sees every stderr write (to send a signal at a chosen step). */
async function run(argv: string[], cwd: string, options: { signals?: EventEmitter; onErr?: (text: string) => void } = {}): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => ((err += s), options.onErr?.(s)), isTTY: false },
    cwd,
    signals: options.signals as never,
  });
  return { code, out, err };
}

function fresh(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
}

const TRAIN = ['--batch-size', '8', '--epochs', '3', '--latent-dim', '4', '--seed', '5'];
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;
const snapshot = (d: string): Record<string, string> => Object.fromEntries(readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => [join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name)).toString('base64')]));
const leftovers = (d: string): string[] => readdirSync(d).filter((e) => /\.(tmp|old)-\d+-/.test(e) || e.endsWith('.lock'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dbvae-faults-'));
  await writeData(join(dir, 'train.h5'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('outputs never destroy input (refused before any work)', () => {
  const cases: [string, (w: string) => string[], RegExp][] = [
    ['train --out . (the working folder)', () => ['train', '--data', 'data/train.h5', '--model', 'standard', '--out', '.'], /is the working folder/],
    ['train --out .. (above the working folder)', () => ['train', '--data', 'data/train.h5', '--model', 'standard', '--out', '..'], /above the working folder/],
    ['train --out data (the folder of the input)', () => ['train', '--data', 'data/train.h5', '--model', 'standard', '--out', 'data'], /contains the input/],
    ['train --out notes.txt (an existing file)', () => ['train', '--data', 'data/train.h5', '--model', 'standard', '--out', 'notes.txt'], /is a file; the output is a folder/],
    ['train --out mine (a non-empty folder dbvae did not write)', () => ['train', '--data', 'data/train.h5', '--model', 'standard', '--out', 'mine'], /not written by dbvae; it is never replaced/],
    ['synth --out .', () => ['synth', '--out', '.', '--n', '8'], /is the working folder/],
    ['synth --out mine', () => ['synth', '--out', 'mine', '--n', '8'], /never replaced/],
    ['demo --out .', () => ['demo', '--out', '.'], /is the working folder/],
    ['demo --out notes.txt', () => ['demo', '--out', 'notes.txt'], /is a file/],
    ['risk --report .', () => ['risk', '--model', 'model', '--data', 'data/train.h5', '--wrapper', 'mve', '--out', 'r.csv', '--report', '.'], /--report \S+ is the working folder/],
    ['risk --report data (the folder of the input)', () => ['risk', '--model', 'model', '--data', 'data/train.h5', '--wrapper', 'mve', '--out', 'r.csv', '--report', 'data'], /contains the input/],
    ['risk --out on an existing foreign file', () => ['risk', '--model', 'model', '--data', 'data/train.h5', '--wrapper', 'mve', '--out', 'notes.csv'], /not written by this command; pass --force/],
    ['risk --out a folder named x.csv', () => ['risk', '--model', 'model', '--data', 'data/train.h5', '--wrapper', 'mve', '--out', 'folder.csv'], /is a folder; give a file name/],
    ['evaluate --json a folder', () => ['evaluate', '--model', 'model', '--faces', 'data', '--json', 'mine'], /--json \S*mine is a folder; give a file name/],
    ['evaluate --json the faces folder', () => ['evaluate', '--model', 'model', '--faces', 'mine', '--json', 'mine'], /--json \S*mine is the input/],
    ['evaluate --json an existing foreign file', () => ['evaluate', '--model', 'model', '--faces', 'data', '--json', 'notes.txt'], /not written by this command/],
  ];
  for (const [what, argv, message] of cases) {
    it(`${what}: exit 1, nothing touched`, async () => {
      const work = fresh(`own-${what.replace(/\W+/g, '-')}`);
      const cwd = join(work, 'cwd');
      mkdirSync(join(cwd, 'data'), { recursive: true });
      mkdirSync(join(cwd, 'mine'));
      mkdirSync(join(cwd, 'model'));
      mkdirSync(join(cwd, 'folder.csv'));
      writeFileSync(join(cwd, 'data', 'train.h5'), readFileSync(join(dir, 'train.h5')));
      writeFileSync(join(cwd, 'mine', 'thesis.tex'), 'years of work');
      writeFileSync(join(cwd, 'notes.txt'), 'mine');
      writeFileSync(join(cwd, 'notes.csv'), 'a,b\n1,2\n');
      const before = snapshot(work);
      const r = await run(argv(cwd), cwd);
      expect(r.err).toMatch(message);
      expect(r.code).toBe(1);
      expect(r.err).not.toMatch(/Training|Generating|unexpected error/);
      expect(snapshot(work)).toEqual(before);
    });
  }
});

describe('output locations are checked before the work', () => {
  it('an impossible --out (/proc) fails at once instead of spinning after training', async () => {
    const cwd = fresh('proc');
    const r = await run(['train', '--data', join(dir, 'train.h5'), '--model', 'standard', '--out', '/proc/dbvae-no-such/out'], cwd);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--out \/proc\/dbvae-no-such\/out: cannot create/);
    expect(r.err).not.toMatch(/Training/);
  });

  it('an --out below a file fails before training', async () => {
    const cwd = fresh('below-file');
    writeFileSync(join(cwd, 'plain'), 'x');
    const r = await run(['train', '--data', join(dir, 'train.h5'), '--model', 'standard', '--out', 'plain/model'], cwd);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is a file, not a folder/);
    expect(r.err).not.toMatch(/Training/);
  });

  it.skipIf(ROOT)('a read-only parent fails before training (not as root: root writes anywhere)', async () => {
    const cwd = fresh('read-only');
    mkdirSync(join(cwd, 'ro'));
    chmodSync(join(cwd, 'ro'), 0o555);
    try {
      const r = await run(['train', '--data', join(dir, 'train.h5'), '--model', 'standard', '--out', 'ro/model'], cwd);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/permission denied/);
      expect(r.err).not.toMatch(/Training/);
    } finally {
      chmodSync(join(cwd, 'ro'), 0o755);
    }
  });

  it('a previous output is replaced only with --force', async () => {
    const cwd = fresh('force');
    expect((await run(['synth', '--out', 'data', '--n', '8', '--test-per-group', '1', '--size', '16'], cwd)).code).toBe(0);
    const again = await run(['synth', '--out', 'data', '--n', '8', '--test-per-group', '1', '--size', '16', '--seed', '2'], cwd);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/holds a previous data set written by 'dbvae synth'; pass --force/);
    const forced = await run(['synth', '--out', 'data', '--n', '8', '--test-per-group', '1', '--size', '16', '--seed', '2', '--force'], cwd);
    expect(forced.code).toBe(0);
    expect(leftovers(cwd)).toEqual([]);
    // A synth folder is not a model folder: train refuses to replace it even with --force.
    const cross = await run(['train', '--data', join(dir, 'train.h5'), '--model', 'standard', '--out', 'data', '--force'], cwd);
    expect(cross.code).toBe(1);
    expect(cross.err).toMatch(/holds a data set written by 'dbvae synth', not a model/);
  });
});

describe('inputs are checked before the work, with messages that say what to fix', () => {
  it('--epochs -1 reaches the range check (not "argument is ambiguous")', async () => {
    const r = await run(['train', '--data', 'x.h5', '--model', 'standard', '--out', 'm', '--epochs', '-1'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--epochs must be at least 1, got -1/);
  });

  it('32x32 images with the 64x64 models: exit 1 naming the sizes, before training', async () => {
    const cwd = fresh('small-images');
    await writeData(join(cwd, 'small.h5'), 32);
    const r = await run(['train', '--data', 'small.h5', '--model', 'standard', '--out', 'm', '--batch-size', '8'], cwd);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the images are 32x32, but the standard CNN takes 64x64/);
    expect(existsSync(join(cwd, 'm'))).toBe(false);
  });

  it('a damaged manifest is "damaged", not "no dbvae-model.json here"; an interrupted run points at --resume', async () => {
    const cwd = fresh('manifest');
    mkdirSync(join(cwd, 'model'));
    mkdirSync(join(cwd, 'faces', 'LF'), { recursive: true });
    writeFileSync(join(cwd, 'model', 'dbvae-model.json'), '{"format": "dbvae-cli-mo');
    const r = await run(['evaluate', '--model', 'model', '--faces', 'faces'], cwd);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/dbvae-model\.json is damaged \(not valid JSON/);
    mkdirSync(join(cwd, 'run', 'checkpoint'), { recursive: true });
    writeFileSync(join(cwd, 'run', 'checkpoint', 'state.json'), '{}');
    expect((await run(['evaluate', '--model', 'run', '--faces', 'faces'], cwd)).err).toMatch(/interrupted before it finished; continue it with 'dbvae train --resume/);
  });

  it('a truncated weights.bin is a typed checkpoint error (exit 1), not a RangeError (exit 70)', async () => {
    const cwd = fresh('truncated');
    expect((await run(['train', '--data', join(dir, 'train.h5'), '--model', 'standard', '--out', 'm', '--batch-size', '8', '--epochs', '1'], cwd)).code).toBe(0);
    mkdirSync(join(cwd, 'faces', 'LF'), { recursive: true });
    truncateSync(join(cwd, 'm', 'model', 'weights.bin'), 1000);
    const r = await run(['evaluate', '--model', 'm', '--faces', 'faces'], cwd);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/weights\.bin is truncated/);
  });

  it.skipIf(ROOT)('unreadable files (EACCES) are "permission denied", not a format error or exit 70 (not as root)', async () => {
    const cwd = fresh('eacces');
    writeFileSync(join(cwd, 'locked.h5'), readFileSync(join(dir, 'train.h5')));
    chmodSync(join(cwd, 'locked.h5'), 0o000);
    const r = await run(['train', '--data', 'locked.h5', '--model', 'standard', '--out', 'm'], cwd);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/permission denied/);    mkdirSync(join(cwd, 'faces', 'LF'), { recursive: true });
    writeFileSync(join(cwd, 'faces', 'LF', 'a.png'), 'png bytes');
    chmodSync(join(cwd, 'faces', 'LF', 'a.png'), 0o000);
    await expect(loadImageFolder(join(cwd, 'faces'), { groups: true })).rejects.toThrow(/cannot read .*a\.png: permission denied/);
  });

  it('every typed error keeps its exit code whichever copy of the classes threw it (ESM and CJS builds)', () => {
    // What the CJS build sees when an ESM-loaded library throws: same name and code, another class.
    class Hdf5LayoutError extends Error {
      readonly code = 'E_HDF5_LAYOUT';
    }
    class OutputError extends Error {
      readonly code = 'E_OUTPUT';
      readonly exitCode = 1;
    }
    class InterruptedError extends Error {
      readonly code = 'E_INTERRUPTED';
      readonly exitCode = 130;
    }
    expect(exitCodeOf(new Hdf5LayoutError('x'))).toBe(1);
    expect(exitCodeOf(new OutputError('x'))).toBe(1);
    expect(exitCodeOf(new InterruptedError('x'))).toBe(130);
    expect(exitCodeOf(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(70);
    expect(exitCodeOf(new RangeError('x'))).toBe(70);
  });
});

describe('interruption and resume', () => {
  for (const model of ['dbvae', 'standard'] as const) {
    it(`${model}: SIGINT mid-epoch saves a checkpoint (exit 130) and --resume ends with the uninterrupted run's losses and weights, bit for bit`, async () => {
      const cwd = fresh(`resume-${model}`);
      const data = join(dir, 'train.h5');
      const full = await run(['train', '--data', data, '--model', model, '--out', 'full', ...TRAIN], cwd);
      expect(full.code).toBe(0);
      const tensorsBefore = tf.memory().numTensors;
      const signals = new EventEmitter();
      let sent = false;
      // 3 epochs x 2 steps; stop after step 4 (epoch 2, step 2 of 2 is next), after the epoch-1 checkpoint.
      const stopped = await run(['train', '--data', data, '--model', model, '--out', 'part', ...TRAIN], cwd, {
        signals,
        onErr: (s) => {
          if (!sent && / 3\/6 /.test(s)) {
            sent = true;
            signals.emit('SIGINT');
          }
        },
      });
      expect(stopped.code).toBe(130);
      expect(stopped.err).toMatch(/stopped by SIGINT at epoch 2\/3, step 1\/2; .*Continue with: dbvae train --resume .*part/);
      expect(existsSync(join(cwd, 'part', 'checkpoint', 'state.json'))).toBe(true);
      expect(existsSync(join(cwd, 'part', 'dbvae-model.json'))).toBe(false);
      // A plain rerun does not silently start over; --resume continues.
      expect((await run(['train', '--data', data, '--model', model, '--out', 'part', ...TRAIN], cwd)).err).toMatch(/holds an interrupted 'dbvae train' run; continue it with 'dbvae train --resume .*part', or pass --force/);
      const resumed = await run(['train', '--resume', 'part'], cwd);
      expect(resumed.err).toMatch(/Resuming at epoch 2, step 1/);
      expect(resumed.code).toBe(0);
      const metrics = (name: string) => JSON.parse(readFileSync(join(cwd, name, 'metrics.json'), 'utf8')) as { steps: unknown[]; epochs: { total: number }[]; settings: unknown };
      expect(metrics('part').steps).toEqual(metrics('full').steps);
      expect(metrics('part').epochs.map((e) => e.total)).toEqual(metrics('full').epochs.map((e) => e.total));
      expect(metrics('part').settings).toEqual(metrics('full').settings);
      expect(readFileSync(join(cwd, 'part', 'model', 'weights.bin')).equals(readFileSync(join(cwd, 'full', 'model', 'weights.bin')))).toBe(true);
      expect(existsSync(join(cwd, 'part', 'checkpoint'))).toBe(false);
      expect(leftovers(cwd)).toEqual([]);
      // The interrupted and the resumed run (checkpoints saved and loaded) free every tensor they made.
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    });
  }

  it('SIGTERM gives exit 143 with the resume command', async () => {
    const cwd = fresh('sigterm');
    const signals = new EventEmitter();
    let sent = false;
    const r = await run(['train', '--data', join(dir, 'train.h5'), '--model', 'standard', '--out', 'm', ...TRAIN], cwd, {
      signals,
      onErr: (s) => {
        if (!sent && / 1\/6 /.test(s)) {
          sent = true;
          signals.emit('SIGTERM');
        }
      },
    });
    expect(r.code).toBe(143);
    expect(r.err).toMatch(/stopped by SIGTERM at epoch 1\/3, step 1\/2.*dbvae train --resume/);
  });

  it('a real process: SIGINT exits 130, prints how to resume, leaves no lock or leftovers; the corrupt-chunk run prints no HDF5 diagnostics', async () => {
    const cwd = fresh('real-process');
    const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', bin, 'train', '--data', join(dir, 'train.h5'), '--model', 'standard', '--out', join(cwd, 'm'), ...TRAIN, '--epochs', '50'], { cwd: REPO });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      if (/ \d+\/100 /.test(err) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(err).toMatch(/Continue with: dbvae train --resume/);
    expect(code).toBe(130);
    expect(existsSync(join(cwd, 'm', 'checkpoint', 'state.json'))).toBe(true);
    expect(leftovers(cwd)).toEqual([]);
    // A gzip-chunked file with a damaged chunk: a typed error naming the dataset, exit 1, no HDF5-DIAG noise.
    const bad = join(cwd, 'bad.h5');
    const bytes = readFileSync(await gzipFile(join(cwd, 'good.h5')));
    bytes.fill(0xff, bytes.length >> 1, (bytes.length >> 1) + 256);
    writeFileSync(bad, bytes);
    const r = spawnSync(process.execPath, ['--import', 'tsx', bin, 'train', '--data', bad, '--model', 'standard', '--out', join(cwd, 'never')], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toMatch(/reading dataset 'images' rows .* failed/);
    expect(r.stderr).not.toMatch(/HDF5-DIAG|H5Dread|Training/);
    expect(r.status).toBe(1);
    expect(existsSync(join(cwd, 'never'))).toBe(false);
  });
});

/** A gzip-compressed lab-layout file (smooth images, so that deflate codes them and damage breaks decompression). */
async function gzipFile(path: string): Promise<string> {
  const images = new Uint8Array(N * 64 * 64 * 3);
  for (let i = 0; i < images.length; i++) images[i] = ((i >> 6) + (i % 7)) & 255;
  await writeLabH5(path, { images, labels: Array.from({ length: N }, (_, i) => i % 2), gzipLevel: 4 });
  return path;
}

describe('concurrency and leftovers', () => {
  const SYNTH = ['--n', '8', '--test-per-group', '1', '--size', '16'];

  it('an --out locked by a live process is refused with its pid; a lock left by a dead one is taken over', async () => {
    const cwd = fresh('locks');
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      writeFileSync(join(cwd, '.data.lock'), JSON.stringify({ pid: sleeper.pid, host: (await import('node:os')).hostname(), command: 'dbvae synth', startedAt: new Date().toISOString() }));
      const busy = await run(['synth', '--out', 'data', ...SYNTH], cwd);
      expect(busy.code).toBe(1);
      expect(busy.err).toMatch(new RegExp(`in use by dbvae synth \\(pid ${sleeper.pid}`));
      expect(existsSync(join(cwd, 'data'))).toBe(false);
    } finally {
      sleeper.kill('SIGKILL');
    }
    writeFileSync(join(cwd, '.data.lock'), JSON.stringify({ pid: deadPid(), host: (await import('node:os')).hostname(), command: 'dbvae synth', startedAt: new Date().toISOString() }));
    const ok = await run(['synth', '--out', 'data', ...SYNTH], cwd);
    expect(ok.code).toBe(0);
    expect(leftovers(cwd)).toEqual([]);
  });

  it('two runs on one --out at once: exactly one succeeds, the other is told the folder is in use', async () => {
    const cwd = fresh('two-runs');
    const [a, b] = await Promise.all([run(['synth', '--out', 'data', ...SYNTH], cwd), run(['synth', '--out', 'data', ...SYNTH, '--seed', '9'], cwd)]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    expect((a.code === 1 ? a : b).err).toMatch(/in use/);
    expect(leftovers(cwd)).toEqual([]);
  });

  it('leftovers of a killed save are removed, and an output moved aside by a killed run is put back', async () => {
    const cwd = fresh('leftovers');
    const dead = deadPid();
    mkdirSync(join(cwd, `.data.tmp-${dead}-0123abcd`));
    writeFileSync(join(cwd, `.data.tmp-${dead}-0123abcd`, 'weights.bin'), 'half');
    mkdirSync(join(cwd, `.data.old-${dead}-89abcdef`));
    writeFileSync(join(cwd, `.data.old-${dead}-89abcdef`, 'train.h5'), 'the previous output');
    await writeOutputMarker(join(cwd, `.data.old-${dead}-89abcdef`), 'synth', 'dbvae synth');
    const claim = await claimOutput({ path: 'data', flag: '--out', command: 'test', type: 'dir', kind: 'synth', cwd, force: true });
    await claim.release();
    expect(claim.cleaned).toHaveLength(2);
    expect(readFileSync(join(cwd, 'data', 'train.h5'), 'utf8')).toBe('the previous output');
    expect(leftovers(cwd)).toEqual([]);
  });

  it('a save killed for real (SIGKILL) leaves a temporary folder that the next run removes', async () => {
    const cwd = fresh('killed-save');
    const atomic = fileURLToPath(new URL('../src/fs-atomic.ts', import.meta.url));
    const script = `import { writeDirAtomic } from ${JSON.stringify(atomic)}; import { writeFileSync } from 'node:fs'; await writeDirAtomic('data', async (tmp) => { writeFileSync(tmp + '/weights.bin', 'x'); console.log('FILLING'); await new Promise(() => setInterval(() => {}, 1000)); });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script.replace("'data'", JSON.stringify(join(cwd, 'data')))], { cwd: REPO });
    await new Promise<void>((resolve) => child.stdout.on('data', (c: Buffer) => c.toString().includes('FILLING') && resolve()));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    expect(readdirSync(cwd).some((e) => e.startsWith('.data.tmp-'))).toBe(true);
    const r = await run(['synth', '--out', 'data', ...SYNTH], cwd);
    expect(r.code).toBe(0);
    expect(leftovers(cwd)).toEqual([]);
  });

  it('atomic folder replacement survives contention: 12 writers at once all succeed, one complete folder remains', async () => {
    const cwd = fresh('contention');
    const target = join(cwd, 'out');
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, w) =>
        writeDirAtomic(target, async (tmp) => {
          for (let f = 0; f < 3; f++) writeFileSync(join(tmp, `f${f}`), `writer ${w}`);
          await new Promise((r) => setTimeout(r, (w * 7) % 5));
          return w;
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const contents = readdirSync(target).map((f) => readFileSync(join(target, f), 'utf8'));
    expect(contents).toHaveLength(3);
    expect(new Set(contents).size).toBe(1);
    expect(leftovers(cwd)).toEqual([]);
  });
});
