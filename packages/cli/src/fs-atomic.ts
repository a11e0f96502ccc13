import { mkdir, rename, rm, writeFile, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';

function tempSibling(target: string, tag: string): string {
  const abs = resolve(target);
  return join(dirname(abs), `.${basename(abs)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * Writes a file so that readers never see it half-written: the data goes to a temporary file
 * in the same folder, which is then renamed over the target (atomic on POSIX file systems).
 * Parent folders are created. On failure the temporary file is removed and the target is untouched.
 * @param path Target file.
 * @param data Contents (a string is written as UTF-8).
 * @example
 * await writeFileAtomic('out/metrics.json', JSON.stringify(metrics, null, 2));
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const target = resolve(path);
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempSibling(target, 'tmp');
  try {
    await writeFile(tmp, data);
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds a folder so that it appears complete or not at all: `fill` writes into a fresh
 * temporary folder beside the target, which then replaces the target (an existing target is
 * moved aside first and removed afterwards). If `fill` throws, the temporary folder is removed
 * and the old target, if any, is left as it was.
 * @param dir Target folder.
 * @param fill Writes the folder's contents into the temporary folder it is given.
 * @returns What `fill` returned.
 * @example
 * await writeDirAtomic('report', async (tmp) => { await writeFile(join(tmp, 'index.html'), html); });
 */
export async function writeDirAtomic<T>(dir: string, fill: (tmpDir: string) => Promise<T>): Promise<T> {
  const target = resolve(dir);
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempSibling(target, 'tmp');
  await mkdir(tmp);
  let result: T;
  try {
    result = await fill(tmp);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  let old: string | undefined;
  if (await exists(target)) {
    old = tempSibling(target, 'old');
    await rename(target, old);
  }
  try {
    await rename(tmp, target);
  } catch (error) {
    if (old) await rename(old, target);
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  if (old) await rm(old, { recursive: true, force: true });
  return result;
}

/**
 * Like {@link writeFileAtomic} for contents too large to hold in memory: `fill` writes the
 * temporary file at the path it is given (streaming), which is then renamed over the target.
 * If `fill` throws, the temporary file is removed and the target is untouched.
 * @example
 * await replaceFileAtomic('scores.csv', async (tmp) => { await pipeline(rows, createWriteStream(tmp)); });
 */
export async function replaceFileAtomic(path: string, fill: (tmpPath: string) => Promise<void>): Promise<void> {
  const target = resolve(path);
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempSibling(target, 'tmp');
  try {
    await fill(tmp);
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
