/** A minimal writable stream (Node's process.stderr fits). */
export interface ProgressStream {
  /** Writes a chunk of text (a redrawn line on a terminal, a whole line otherwise). */
  write(chunk: string): unknown;
  /** Whether the stream is a terminal, where the bar redraws one line in place. */
  isTTY?: boolean;
  /** Terminal width in characters, to fit the bar. */
  columns?: number;
}

function defaultStream(): ProgressStream | undefined {
  const proc = (globalThis as { process?: { stderr?: ProgressStream } }).process;
  return proc?.stderr;
}

/** Formats seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/**
 * A one-line terminal progress bar. Draws only when enabled: `'auto'` (default) draws when the
 * stream is a TTY (Node's stderr by default), `true` always, `false` never; in a browser there
 * is no stream and nothing is drawn.
 */
export class ProgressBar {
  private readonly stream: ProgressStream | undefined;
  private readonly enabled: boolean;
  private lastDraw = 0;

  constructor(enabled: boolean | 'auto' = 'auto', stream: ProgressStream | undefined = defaultStream()) {
    this.stream = stream;
    this.enabled = stream !== undefined && (enabled === true || (enabled === 'auto' && stream.isTTY === true));
  }

  /** Whether this bar writes anything. */
  get active(): boolean {
    return this.enabled;
  }

  /** Redraws the bar (at most ~10 times a second unless `force`). */
  update(done: number, total: number, label: string, force = false): void {
    if (!this.enabled || !this.stream) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100 && done < total) return;
    this.lastDraw = now;
    const width = 24;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(frac * width);
    const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(width - filled);
    const line = `[${bar}] ${String(Math.round(frac * 100)).padStart(3)}% ${done}/${total} ${label}`;
    const cols = this.stream.columns ?? 120;
    this.stream.write(`\r${line.slice(0, Math.max(20, cols - 1)).padEnd(Math.min(cols - 1, line.length + 4))}`);
  }

  /** Ends the line. */
  finish(): void {
    if (this.enabled && this.stream) this.stream.write('\n');
  }
}
