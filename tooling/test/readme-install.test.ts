/**
 * Every README's install lines install what its snippets import, under npm, pnpm and yarn
 * alike. pnpm and yarn (PnP or strict layouts) only resolve packages the project depends on
 * directly, so a snippet importing `@dbvae/backend` from a README that installs only
 * `@dbvae/risk-wrappers` fails there even though npm's flat node_modules hides it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function readmes(): string[] {
  const files = [join(root, 'README.md'), join(root, 'docs/README.md')];
  for (const dir of ['packages', 'docs/guides']) {
    for (const name of readdirSync(join(root, dir))) {
      const path = dir === 'packages' ? join(root, dir, name, 'README.md') : join(root, dir, name);
      if (path.endsWith('.md') && existsSync(path)) files.push(path);
    }
  }
  return files;
}

type Manager = 'npm' | 'pnpm' | 'yarn';
const COMMANDS: Record<Manager, RegExp> = {
  npm: /\bnpm (?:install|i)(?! -g)((?:[ \t]+(?!#)[^\s]+)+)/g,
  pnpm: /\bpnpm add(?! -g)((?:[ \t]+(?!#)[^\s]+)+)/g,
  yarn: /\byarn add((?:[ \t]+(?!#)[^\s]+)+)/g,
};

/** The packages each manager's install commands of a file name (flags dropped). */
function installs(text: string): Record<Manager, Set<string>> {
  const shell = [...text.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
  const out = { npm: new Set<string>(), pnpm: new Set<string>(), yarn: new Set<string>() };
  for (const manager of Object.keys(COMMANDS) as Manager[]) {
    for (const m of shell.matchAll(COMMANDS[manager])) {
      for (const word of (m[1] as string).trim().split(/\s+/)) if (!word.startsWith('-') && word !== '&&') out[manager].add(word.replace(/@[\^~]?\d[\w.-]*$/, ''));
    }
  }
  return out;
}

/** Bare package names imported by the file's TypeScript / JavaScript snippets. */
function imports(text: string): Set<string> {
  const code = [...text.matchAll(/```(?:ts|typescript|js|javascript)\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
  const names = new Set<string>();
  for (const m of code.matchAll(/(?:from|import)\s*\(?\s*'([^'.][^']*)'/g)) {
    const spec = m[1] as string;
    if (spec.startsWith('node:')) continue;
    const parts = spec.split('/');
    names.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string));
  }
  return names;
}

describe('README install lines', () => {
  const files = readmes().map((path) => ({ path: path.slice(root.length), text: readFileSync(path, 'utf8') }));

  it('the check reads the files it should', () => {
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['README.md', 'packages/risk-wrappers/README.md', 'packages/backend/README.md']));
    const sample = installs('```sh\nnpm install @dbvae/a @tensorflow/tfjs # note\npnpm add @dbvae/a\n```');
    expect([...sample.npm]).toEqual(['@dbvae/a', '@tensorflow/tfjs']);
    expect([...imports("```ts\nimport { tf } from '@dbvae/backend';\nimport x from './local';\nawait import('@scope/pkg/sub');\n```")]).toEqual(['@dbvae/backend', '@scope/pkg']);
  });

  for (const { path, text } of files) {
    const wanted = imports(text);
    const given = installs(text);
    if (given.npm.size === 0) continue; // a guide without install lines points to one that has them
    it(`${path}: npm, pnpm and yarn lines install every package its snippets import`, () => {
      for (const manager of ['npm', 'pnpm', 'yarn'] as const) {
        const missing = [...wanted].filter((name) => !given[manager].has(name));
        expect({ manager, missing }).toEqual({ manager, missing: [] });
      }
    });
  }
});
