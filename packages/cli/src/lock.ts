import { readFileSync, rmSync } from 'node:fs';
import { open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { OutputError } from './errors';
import { ATOMIC_SIBLING_PATTERN, describeFsError } from './fs-atomic';

/** What a lock file holds: who owns the output and since when. */
export interface LockOwner {
  /** Process id of the owning run. */
  pid: number;
  /** Host it runs on (a lock from another host is never taken for stale). */
  host: string;
  /** The command, such as `dbvae train`. */
  command: string;
  /** When the lock was taken (ISO). */
  startedAt: string;
}

/** A held lock; {@link OutputLock.release} removes it (also done when the process exits). */
export interface OutputLock {
  /** Path of the lock file. */
  readonly path: string;
  /** Removes the lock file if this process still owns it. Safe to call twice. */
  release(): Promise<void>;
}

/** The lock file of an output: `.<name>.lock` beside it, so that it survives the output's replacement. */
export function lockPathOf(target: string): string {
  const abs = resolve(target);
  return join(dirname(abs), `.${basename(abs)}.lock`);
}

/** True when a process with this id runs on this machine (EPERM: it runs under another user). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** Attempts at taking a lock: each failed attempt removes one stale lock, so a few suffice. */
const LOCK_ATTEMPTS = 4;
/** A lock file with no readable owner younger than this may still be being written by its owner. */
const UNREADABLE_GRACE_MS = 5_000;

async function readOwner(path: string): Promise<{ owner?: LockOwner; ageMs: number } | undefined> {
  let ageMs = 0;
  try {
    ageMs = Date.now() - (await stat(path)).mtimeMs;
    const owner = JSON.parse(await readFile(path, 'utf8')) as LockOwner;
    if (!Number.isInteger(owner.pid)) return { ageMs };
    return { owner, ageMs };
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    return { ageMs };
  }
}

/**
 * Takes the lock of an output location so that two runs never write the same output: creates
 * `.<name>.lock` (exclusively) holding this process's id. A lock left by a process that no
 * longer runs (a killed run) is stale and is replaced; a live owner is reported.
 * @param target The output file or folder.
 * @param command The command taking it (shown to a second run).
 * @param flag The flag naming the output, for messages.
 * @throws OutputError when another live run holds the lock, or the lock cannot be written.
 */
export async function acquireOutputLock(target: string, command: string, flag = '--out'): Promise<OutputLock> {
  const path = lockPathOf(target);
  const me: LockOwner = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    let handle;
    try {
      handle = await open(path, 'wx');
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') {
        throw new OutputError(`${flag} ${resolve(target)}: cannot create the lock file ${path}: ${describeFsError(error)}. Choose an output location you can write to.`, { cause: error });
      }
      const found = await readOwner(path);
      if (!found) continue; // released meanwhile
      const { owner, ageMs } = found;
      const alive = owner ? owner.host !== me.host || isProcessAlive(owner.pid) : ageMs < UNREADABLE_GRACE_MS;
      if (alive && owner?.pid !== process.pid) {
        const who = owner ? `${owner.command} (pid ${owner.pid}${owner.host !== me.host ? ` on ${owner.host}` : ''}, started ${owner.startedAt})` : 'another run';
        throw new OutputError(`${flag} ${resolve(target)} is in use by ${who}. Wait for it to finish or stop it, or choose another ${flag}. If no such run exists, delete ${path}.`);
      }
      if (alive) throw new OutputError(`${flag} ${resolve(target)} is already in use by this process.`);
      await rm(path, { force: true }); // stale: its owner is gone
      continue;
    }
    try {
      await handle.writeFile(`${JSON.stringify(me)}\n`);
    } finally {
      await handle.close();
    }
    const onExit = () => removeIfMine(path);
    process.once('exit', onExit);
    let released = false;
    return {
      path,
      release: async () => {
        if (released) return;
        released = true;
        process.removeListener('exit', onExit);
        removeIfMine(path);
      },
    };
  }
  throw new OutputError(`${flag} ${resolve(target)}: could not take the lock ${path} after ${LOCK_ATTEMPTS} attempts (other runs keep taking it). Try again, or choose another ${flag}.`);
}

function removeIfMine(path: string): void {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    if (owner.pid === process.pid) rmSync(path, { force: true });
  } catch {
    // gone or unreadable: not ours to remove
  }
}

/**
 * Removes what killed runs left beside an output: the hidden `.<name>.tmp-<pid>-*` and
 * `.<name>.old-<pid>-*` siblings of the atomic writers whose process no longer runs. When the
 * output itself is missing and a dead run's `.old-*` copy exists (the run was killed between
 * moving the old output aside and putting the new one in place), the old copy is put back.
 * Call it while holding the output's lock.
 * @returns The leftovers removed or restored (absolute paths).
 */
export async function cleanLeftovers(target: string): Promise<string[]> {
  const abs = resolve(target);
  const parent = dirname(abs);
  const name = basename(abs);
  let entries: string[];
  try {
    entries = await readdir(parent);
  } catch {
    return [];
  }
  const handled: string[] = [];
  const dead = entries.filter((e) => {
    const m = ATOMIC_SIBLING_PATTERN.exec(e);
    return m !== null && m[1] === name && Number(m[3]) !== process.pid && !isProcessAlive(Number(m[3]));
  });
  let targetExists = entries.includes(name);
  for (const entry of dead.filter((e) => ATOMIC_SIBLING_PATTERN.exec(e)![2] === 'old')) {
    const path = join(parent, entry);
    if (!targetExists) {
      try {
        await rename(path, abs);
        targetExists = true;
        handled.push(path);
        continue;
      } catch {
        // fall through to removal
      }
    }
    await rm(path, { recursive: true, force: true });
    handled.push(path);
  }
  for (const entry of dead.filter((e) => ATOMIC_SIBLING_PATTERN.exec(e)![2] === 'tmp')) {
    const path = join(parent, entry);
    await rm(path, { recursive: true, force: true });
    handled.push(path);
  }
  return handled;
}
