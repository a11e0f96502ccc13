import { describe, it, expect } from 'vitest';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDirAtomic, writeFileAtomic } from '../src/fs-atomic';

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dbvae-atomic-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('writeFileAtomic', () => {
  it('creates parents, replaces the file and leaves no temporary file', () =>
    withTmp(async (dir) => {
      const path = join(dir, 'a', 'b', 'metrics.json');
      await writeFileAtomic(path, 'one');
      await writeFileAtomic(path, new Uint8Array([116, 119, 111]));
      expect(await readFile(path, 'utf8')).toBe('two');
      expect(await readdir(join(dir, 'a', 'b'))).toEqual(['metrics.json']);
    }));
});

describe('writeDirAtomic', () => {
  it('replaces an existing folder with the new contents only', () =>
    withTmp(async (dir) => {
      const target = join(dir, 'report');
      await mkdir(target);
      await writeFile(join(target, 'stale.txt'), 'old');
      const result = await writeDirAtomic(target, async (tmp) => {
        // Nothing is visible at the target while the folder is being filled.
        expect(await readdir(target)).toEqual(['stale.txt']);
        await writeFile(join(tmp, 'index.html'), '<html>');
        return 42;
      });
      expect(result).toBe(42);
      expect(await readdir(target)).toEqual(['index.html']);
      expect(await readdir(dir)).toEqual(['report']);
    }));

  it('leaves the old folder untouched and cleans up when filling fails', () =>
    withTmp(async (dir) => {
      const target = join(dir, 'report');
      await mkdir(target);
      await writeFile(join(target, 'keep.txt'), 'old');
      await expect(
        writeDirAtomic(target, async (tmp) => {
          await writeFile(join(tmp, 'half.html'), '<ht');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await readdir(target)).toEqual(['keep.txt']);
      expect(await readdir(dir)).toEqual(['report']);
    }));

  it('creates a folder that did not exist, and nothing on failure', () =>
    withTmp(async (dir) => {
      await expect(writeDirAtomic(join(dir, 'x'), async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
      expect(await readdir(dir)).toEqual([]);
      await writeDirAtomic(join(dir, 'nested', 'y'), async (tmp) => writeFile(join(tmp, 'f'), ''));
      expect(await readdir(join(dir, 'nested', 'y'))).toEqual(['f']);
    }));
});
