import { createReadStream } from 'node:fs';
import { open, readFile, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { InputError } from '../errors';
import { replaceFileAtomic, writeFileAtomic } from '../fs-atomic';
import { RISK_COLUMNS, riskFileHead, riskFileRow, riskFileTail, riskFormatFromPath, type RiskColumn, type RiskScoreFormat, type RiskScoreRow } from '../risk-output';

/** Contents of the progress file kept beside a partial output (`<out>.progress.json`). */
export interface ScoringProgress {
  /** Format tag, so other JSON files are not mistaken for a progress file. */
  format: 'dbvae-risk-progress';
  /** Format version (1). */
  version: 1;
  /** What the run scores and how: a resumed run must match it exactly. */
  identity: Record<string, unknown>;
  /** Units (chunks or shards) whose rows are in the partial file, counted from the first. */
  unitsDone: number;
  /** Rows in the partial file. */
  rowsDone: number;
  /** Bytes of the partial file holding those rows (anything after them is from an unfinished unit). */
  bytes: number;
  /** Columns present in any row so far. */
  columns: RiskColumn[];
}

/** Paths of the files a resumable output keeps beside `out` while it runs. */
export function resumablePaths(out: string): {
  /** `<out>.partial.ndjson`: the rows of the finished units. */
  partial: string;
  /** `<out>.progress.json`: the {@link ScoringProgress}. */
  progress: string;
} {
  return { partial: `${out}.partial.ndjson`, progress: `${out}.progress.json` };
}

function sameIdentity(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
}

/**
 * The output of a long scoring run: rows are appended unit by unit (a chunk, or a queue shard)
 * to `<out>.partial.ndjson`, and after each unit `<out>.progress.json` records how many units
 * and bytes are complete (the partial file is flushed to disk first, so the progress file never
 * claims rows that are not there). An interrupted run reopened with the same identity continues
 * after its last complete unit; `finish` writes the CSV/JSON atomically (byte for byte what
 * `formatRiskScores` gives for all rows) and removes the two working files.
 */
export class ResumableRiskOutput {
  private constructor(
    /** The final output file. */
    readonly out: string,
    private readonly format: RiskScoreFormat,
    private readonly handle: FileHandle,
    private state: ScoringProgress,
  ) {}

  /** Units already complete (0 for a fresh run). */
  get unitsDone(): number {
    return this.state.unitsDone;
  }

  /** Rows already written. */
  get rowsDone(): number {
    return this.state.rowsDone;
  }

  /**
   * Opens the output of a run, resuming an interrupted one with the same identity. Creates the
   * partial file at once, so an unwritable output folder fails before any work.
   * @throws InputError when an interrupted run with other settings left its files there (the
   *   message names them), or the output folder cannot be written.
   */
  static async open(out: string, identity: Record<string, unknown>): Promise<ResumableRiskOutput> {
    const format = riskFormatFromPath(out);
    const { partial, progress } = resumablePaths(out);
    let state: ScoringProgress = { format: 'dbvae-risk-progress', version: 1, identity, unitsDone: 0, rowsDone: 0, bytes: 0, columns: [] };
    let previous: ScoringProgress | undefined;
    try {
      previous = JSON.parse(await readFile(progress, 'utf8')) as ScoringProgress;
    } catch {
      previous = undefined;
    }
    if (previous !== undefined) {
      if (previous.format !== 'dbvae-risk-progress' || !sameIdentity(previous.identity, identity)) {
        throw new InputError(
          `--out ${out}: an interrupted run with other settings left ${progress} and ${partial} (it scored ${JSON.stringify(previous.identity)}). Rerun it with the same settings to resume, or delete both files to start over.`,
        );
      }
      const size = (await stat(partial).catch(() => undefined))?.size;
      if (size === undefined || size < previous.bytes) throw new InputError(`--out ${out}: ${partial} is shorter than ${progress} records; delete both files to start over.`);
      // Rows of a unit that was being written when the run stopped are dropped here and scored again.
      await truncate(partial, previous.bytes);
      state = previous;
    }
    let handle: FileHandle;
    try {
      handle = await open(partial, previous === undefined ? 'w' : 'a');
    } catch (cause) {
      throw new InputError(`--out ${out}: cannot write beside it (${(cause as Error).message}); choose a folder you can write to.`, { cause });
    }
    const output = new ResumableRiskOutput(out, format, handle, state);
    if (previous === undefined) await output.saveProgress();
    return output;
  }

  private async saveProgress(): Promise<void> {
    await writeFileAtomic(resumablePaths(this.out).progress, `${JSON.stringify(this.state)}\n`);
  }

  /** Appends the rows of the next unit and records it complete. */
  async append(rows: readonly RiskScoreRow[]): Promise<void> {
    const text = rows.map((r) => `${JSON.stringify(r)}\n`).join('');
    const bytes = Buffer.byteLength(text);
    if (bytes > 0) {
      await this.handle.write(text);
      await this.handle.sync();
    }
    const columns = new Set(this.state.columns);
    for (const r of rows) for (const c of RISK_COLUMNS) if (r[c] !== undefined) columns.add(c);
    this.state = {
      ...this.state,
      unitsDone: this.state.unitsDone + 1,
      rowsDone: this.state.rowsDone + rows.length,
      bytes: this.state.bytes + bytes,
      columns: RISK_COLUMNS.filter((c) => columns.has(c)),
    };
    await this.saveProgress();
  }

  /** Writes the final CSV/JSON atomically from the partial rows and removes the working files. */
  async finish(): Promise<void> {
    await this.handle.close();
    const { partial, progress } = resumablePaths(this.out);
    const { columns, rowsDone } = this.state;
    await replaceFileAtomic(this.out, async (tmp) => {
      const outFile = await open(tmp, 'w');
      try {
        let buffered = riskFileHead(columns, this.format, rowsDone > 0);
        let first = true;
        const lines = createInterface({ input: createReadStream(partial, { encoding: 'utf8' }), crlfDelay: Infinity });
        for await (const line of lines) {
          if (line === '') continue;
          buffered += riskFileRow(JSON.parse(line) as RiskScoreRow, columns, this.format, first);
          first = false;
          if (buffered.length > 1 << 20) {
            await outFile.write(buffered);
            buffered = '';
          }
        }
        buffered += riskFileTail(this.format, rowsDone > 0);
        await outFile.write(buffered);
        await outFile.sync();
      } finally {
        await outFile.close();
      }
    });
    await rm(progress, { force: true });
    await rm(partial, { force: true });
  }

  /** Closes the partial file, keeping both working files for a later resume. */
  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}
