import { randomBytes } from 'node:crypto';
import { open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { OutputError } from './errors';
import { describeFsError, makeDirs } from './fs-atomic';
import { acquireOutputLock, cleanLeftovers, type OutputLock } from './lock';

/** File that marks a folder as written by a `dbvae` command, so a rerun may replace it (with `--force`). */
export const OUTPUT_MARKER = '.dbvae-output.json';

/** What wrote an output folder: `model` (dbvae train), `synth` (dbvae synth), `report` (dbvae demo, risk --report). */
export type OutputKind = 'model' | 'synth' | 'report';

/** Contents of {@link OUTPUT_MARKER}. */
export interface OutputMarker {
  /** Format tag: marks the folder as written by `dbvae`. */
  format: 'dbvae-output';
  /** What the folder holds. */
  kind: OutputKind;
  /** The command that wrote it. */
  command: string;
  /** When (ISO). */
  writtenAt: string;
}

/** Writes the ownership marker into a folder being built (normally the temporary folder of `writeDirAtomic`). */
export async function writeOutputMarker(dir: string, kind: OutputKind, command: string): Promise<void> {
  const marker: OutputMarker = { format: 'dbvae-output', kind, command, writtenAt: new Date().toISOString() };
  await writeFile(join(dir, OUTPUT_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
}

/** The kind of dbvae output a folder holds, from its marker (or, for model folders written before markers, `dbvae-model.json`); undefined for anything else. */
export async function outputKindOf(dir: string): Promise<OutputKind | undefined> {
  try {
    const marker = JSON.parse(await readFile(join(dir, OUTPUT_MARKER), 'utf8')) as Partial<OutputMarker>;
    if (marker.format === 'dbvae-output' && (marker.kind === 'model' || marker.kind === 'synth' || marker.kind === 'report')) return marker.kind;
  } catch {
    // no marker: look for the older manifests
  }
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'dbvae-model.json'), 'utf8')) as { format?: string };
    if (manifest.format === 'dbvae-cli-model') return 'model';
  } catch {
    // not a model folder either
  }
  return undefined;
}

/** What {@link claimOutput} checks. */
export interface OutputClaim {
  /** The output (absolute, or relative to `cwd`). */
  path: string;
  /** Flag that named it, for messages (`--out`, `--report`, `--json`). */
  flag: string;
  /** The command, such as `dbvae train` (shown to a second run that finds the lock). */
  command: string;
  /** A folder the command builds, or a single file. */
  type: 'dir' | 'file';
  /** For folders: the kind of output it may replace. */
  kind?: OutputKind;
  /** For files: recognises a previous output of the command, which is replaced without `--force`. */
  isOwnFile?: (path: string) => Promise<boolean>;
  /** Replace a previous output (or, for files, any file). */
  force?: boolean;
  /** Keep a previous output in place without `--force` (resuming into it). */
  resume?: boolean;
  /** Input files and folders of the run (absolute): never inside the output. */
  inputs?: readonly string[];
  /** Working folder. Default `process.cwd()`. */
  cwd?: string;
}

/** An output location checked and locked by {@link claimOutput}. */
export interface ClaimedOutput {
  /** Absolute path. */
  path: string;
  /** Whether something (a previous output) is there now. */
  exists: boolean;
  /** Leftovers of killed runs that were removed or restored. */
  cleaned: string[];
  /** Releases the lock. */
  release(): Promise<void>;
}

function contains(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Checks, before any work starts, that a command may write its output at `claim.path`, and
 * locks it against other runs. The rules, so that an output never destroys input:
 *
 * - never the working folder or a folder above it, never the folder of an input or one above it;
 * - a folder output: a new path, an empty folder, or a folder holding a previous output of the
 *   same kind (replaced only with `force`, kept with `resume`); a file or any other non-empty
 *   folder is refused;
 * - a file output: never a folder; an existing file is replaced only if it is a previous output
 *   of the command (`isOwnFile`) or with `force`;
 * - the parent folder is created and a probe file written and removed, so a read-only, missing
 *   or impossible location fails now rather than after hours of training;
 * - the lock `.<name>.lock` (owner pid) is taken and leftovers of killed runs are cleaned.
 *
 * @throws OutputError saying why the location is refused and what to do instead.
 */
export async function claimOutput(claim: OutputClaim): Promise<ClaimedOutput> {
  const cwd = resolve(claim.cwd ?? process.cwd());
  const target = resolve(cwd, claim.path);
  const shown = `${claim.flag} ${claim.path}`;
  if (contains(target, cwd)) {
    throw new OutputError(`${shown} is ${target === cwd ? 'the working folder' : `a folder above the working folder (${cwd})`}; the command would replace it, and everything in it. Give a new folder name, such as ${claim.flag} ${claim.type === 'dir' ? 'out' : 'scores.csv'}.`);
  }
  for (const input of claim.inputs ?? []) {
    if (contains(target, resolve(cwd, input))) {
      throw new OutputError(`${shown} ${target === resolve(cwd, input) ? 'is' : 'contains'} the input ${input}; writing there would destroy it. Give a separate output location.`);
    }
  }
  const parent = dirname(target);
  try {
    await makeDirs(parent);
  } catch (error) {
    throw error instanceof OutputError ? new OutputError(`${shown}: ${error.message}`, { cause: error }) : error;
  }
  const probe = join(parent, `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(probe, 'wx');
    await handle.close();
    await rm(probe, { force: true });
  } catch (error) {
    throw new OutputError(`${shown}: cannot write in ${parent}: ${describeFsError(error)}. Choose an output location you can write to.`, { cause: error });
  }
  const lock: OutputLock = await acquireOutputLock(target, claim.command, claim.flag);
  let probeInside: string | undefined;
  try {
    const cleaned = await cleanLeftovers(target);
    const st = await statOrUndefined(target);
    if (st) await checkExisting(claim, target, shown, st.isDirectory());
    if (st?.isDirectory()) {
      // The command writes inside a folder it keeps (checkpoints, resuming): check that too.
      probeInside = join(target, `.dbvae-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
      try {
        await (await open(probeInside, 'wx')).close();
        await rm(probeInside, { force: true });
      } catch (error) {
        throw new OutputError(`${shown}: cannot write in ${target}: ${describeFsError(error)}. Choose an output location you can write to.`, { cause: error });
      }
    }
    return { path: target, exists: st !== undefined, cleaned, release: () => lock.release() };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function checkExisting(claim: OutputClaim, target: string, shown: string, isDir: boolean): Promise<void> {
  if (claim.type === 'file') {
    if (isDir) throw new OutputError(`${shown} is a folder; give a file name (such as ${join(claim.path, claim.flag === '--json' ? 'metrics.json' : 'scores.csv')}).`);
    if (claim.force || (claim.isOwnFile && (await claim.isOwnFile(target)))) return;
    throw new OutputError(`${shown}: the file exists and was not written by this command; pass --force to replace it, or give another file name.`);
  }
  if (!isDir) throw new OutputError(`${shown} is a file; the output is a folder. Give a folder name, or remove the file.`);
  const entries = await readdir(target);
  if (entries.length === 0) return;
  const kind = await outputKindOf(target);
  if (kind !== undefined && kind === claim.kind) {
    if (claim.force || claim.resume) return;
    throw new OutputError(`${shown} holds a previous ${describeKind(kind)}; pass --force to replace it, or give another folder.`);
  }
  throw new OutputError(`${shown} is a folder with ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} that ${kind ? `holds a ${describeKind(kind)}, not a ${describeKind(claim.kind!)}` : 'were not written by dbvae'}; it is never replaced. Give a new or empty folder.`);
}

function describeKind(kind: OutputKind): string {
  return kind === 'model' ? "model written by 'dbvae train'" : kind === 'synth' ? "data set written by 'dbvae synth'" : 'dbvae report';
}

/** Runs `work` with the output claimed (see {@link claimOutput}), releasing the lock afterwards, whether it succeeds or throws. */
export async function withOutputs<T>(claims: readonly OutputClaim[], work: (claimed: ClaimedOutput[]) => Promise<T>): Promise<T> {
  const claimed: ClaimedOutput[] = [];
  try {
    for (const c of claims) claimed.push(await claimOutput(c));
    return await work(claimed);
  } finally {
    for (const c of claimed.reverse()) await c.release();
  }
}

async function head(path: string, bytes = 4096): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** True for a file written by `dbvae risk --out`: a CSV whose header starts with `index`, or JSON starting with `{ "columns"`. */
export async function isRiskScoresFile(path: string): Promise<boolean> {
  const text = await head(path).catch(() => '');
  return /^index(,|\n|$)/.test(text) || /^\{\s*"columns"\s*:/.test(text);
}

/** True for a file written by `dbvae evaluate --json`: JSON starting with `{ "groups"`. */
export async function isGroupMetricsFile(path: string): Promise<boolean> {
  const text = await head(path).catch(() => '');
  return /^\{\s*"groups"\s*:/.test(text);
}
