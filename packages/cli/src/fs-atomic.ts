import { mkdir, rename, rm, writeFile, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { OutputError } from './errors';

/** Tags of the hidden siblings the atomic writers create: `.<name>.tmp-<pid>-<hex>` and `.<name>.old-<pid>-<hex>`. */
export const ATOMIC_SIBLING_PATTERN = /^\.(.+)\.(tmp|old)-(\d+)-[0-9a-f]{8}$/;

function tempSibling(target: string, tag: 'tmp' | 'old'): string {
  const abs = resolve(target);
  return join(dirname(abs), `.${basename(abs)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Words for the file-system errors a user can fix. */
export function describeFsError(error: unknown): string {
  switch (errnoOf(error)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is exhausted';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'ENOENT':
      return 'a part of the path does not exist and cannot be created there';
    case 'EISDIR':
      return 'it is a folder';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default:
      return (error as Error)?.message ?? String(error);
  }
}

function outputFailure(what: string, path: string, error: unknown): OutputError {
  return new OutputError(`cannot ${what} ${path}: ${describeFsError(error)}. Choose an output location you can write to.`, { cause: error });
}

/**
 * Creates `dir` and any missing parents, one `mkdir` per missing level. Unlike
 * `mkdir(dir, { recursive: true })`, which on Node 20 retries forever under paths such as
 * `/proc/<x>/out`, it never loops: every failure is reported once.
 * @throws OutputError naming the folder and what is wrong (permission, read-only, a file in the path).
 */
export async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  let current = resolve(dir);
  for (;;) {
    try {
      const st = await stat(current);
      if (!st.isDirectory()) throw new OutputError(`cannot create ${resolve(dir)}: ${current} is a file, not a folder.`);
      break;
    } catch (error) {
      if (error instanceof OutputError) throw error;
      if (errnoOf(error) !== 'ENOENT') throw outputFailure('create', resolve(dir), error);
      missing.push(current);
      const parent = dirname(current);
      if (parent === current) break;
      current = parent;
    }
  }
  for (const level of missing.reverse()) {
    try {
      await mkdir(level);
    } catch (error) {
      if (errnoOf(error) === 'EEXIST' && (await isDirectory(level))) continue;
      throw outputFailure('create', level, error);
    }
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes a file so that readers never see it half-written: the data goes to a temporary file
 * in the same folder, which is then renamed over the target (atomic on POSIX file systems).
 * Parent folders are created. On failure the temporary file is removed and the target is untouched.
 * @param path Target file.
 * @param data Contents (a string is written as UTF-8).
 * @throws OutputError when the folder cannot be created or written, or the target is a folder.
 * @example
 * await writeFileAtomic('out/metrics.json', JSON.stringify(metrics, null, 2));
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const target = resolve(path);
  await makeDirs(dirname(target));
  const tmp = tempSibling(target, 'tmp');
  try {
    await writeFile(tmp, data);
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw outputFailure('write', target, error);
  }
}

/** Attempts at putting a folder in place when other writers replace the same target meanwhile (with a growing random pause between them). */
const REPLACE_ATTEMPTS = 40;

const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 * (attempt + 1))));

/**
 * Builds a folder so that it appears complete or not at all: `fill` writes into a fresh
 * temporary folder beside the target, which then replaces the target (an existing target is
 * moved aside first and removed afterwards). If `fill` throws, the temporary folder is removed
 * and the old target, if any, is left as it was. When several writers replace the same target
 * at once, each retries (a bounded number of times) and the target ends up as one writer's
 * complete folder, never a mix and never missing.
 * @param dir Target folder.
 * @param fill Writes the folder's contents into the temporary folder it is given.
 * @returns What `fill` returned.
 * @throws OutputError when the folder cannot be created or replaced; whatever `fill` throws.
 * @example
 * await writeDirAtomic('report', async (tmp) => { await writeFile(join(tmp, 'index.html'), html); });
 */
export async function writeDirAtomic<T>(dir: string, fill: (tmpDir: string) => Promise<T>): Promise<T> {
  const target = resolve(dir);
  await makeDirs(dirname(target));
  const tmp = tempSibling(target, 'tmp');
  try {
    await mkdir(tmp);
  } catch (error) {
    throw outputFailure('write into', dirname(target), error);
  }
  let result: T;
  try {
    result = await fill(tmp);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  const movedAside: string[] = [];
  let lastError: unknown;
  for (let attempt = 0; attempt < REPLACE_ATTEMPTS; attempt++) {
    try {
      const old = tempSibling(target, 'old');
      await rename(target, old);
      movedAside.push(old);
    } catch (error) {
      // ENOENT: no target (first write, or another writer has it moved aside right now).
      if (errnoOf(error) !== 'ENOENT') {
        lastError = error;
        break;
      }
    }
    try {
      await rename(tmp, target);
      lastError = undefined;
      break;
    } catch (error) {
      // ENOTEMPTY / EEXIST: another writer put its folder in place between our two renames; go again.
      lastError = error;
      if (errnoOf(error) !== 'ENOTEMPTY' && errnoOf(error) !== 'EEXIST') break;
      await pause(attempt);
    }
  }
  if (lastError !== undefined) {
    if (movedAside.length > 0 && !(await isDirectory(target))) await rename(movedAside.shift()!, target).catch(() => undefined);
    await Promise.all([tmp, ...movedAside].map((p) => rm(p, { recursive: true, force: true })));
    throw outputFailure('replace', target, lastError);
  }
  await Promise.all(movedAside.map((p) => rm(p, { recursive: true, force: true })));
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
