/** Where a {@link ProgressBar} writes: `process.stderr` or anything with `write` (tests pass a recorder). */
export interface ProgressOutput {
  /** Writes text as given (no newline added). */
  write(text: string): unknown;
  /** True for a terminal: the bar redraws one line in place. Otherwise plain lines are printed. */
  isTTY?: boolean;
  /** Terminal width, when known. */
  columns?: number;
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Total number of steps (a positive integer). */
  total: number;
  /** Text before the bar, such as `'epoch 1/2'`. Default `''`. */
  label?: string;
  /** Output stream. Default `process.stderr`. */
  stream?: ProgressOutput;
  /** Bar width in characters on a terminal. Default 28. */
  width?: number;
  /** Without a terminal, print a line every this many percent. Default 10. */
  linePercent?: number;
  /** Clock in milliseconds (tests inject one). Default `Date.now`. */
  now?: () => number;
}

/** Formats seconds as `42s`, `3m05s` or `1h02m`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * A progress bar for long commands that behaves well in both places a CLI runs: on a terminal
 * it redraws one line (`label [#####-----] 50% 5/10 eta 3s loss 0.41`); in a log file or CI it
 * prints a plain line every `linePercent` percent instead of flooding the log with carriage returns.
 * @throws RangeError when `total` is not a positive integer.
 * @example
 * const bar = new ProgressBar({ total: steps, label: 'epoch 1/2' });
 * for (let i = 0; i < steps; i++) { ...; bar.tick(1, `loss ${loss.toFixed(3)}`); }
 * bar.done();
 */
export class ProgressBar {
  private readonly total: number;
  private readonly label: string;
  private readonly stream: ProgressOutput;
  private readonly width: number;
  private readonly linePercent: number;
  private readonly now: () => number;
  private readonly start: number;
  private current = 0;
  private lastLineBucket = 0;
  private finished = false;
  private info = '';

  constructor(options: ProgressBarOptions) {
    if (!Number.isInteger(options.total) || options.total <= 0) throw new RangeError(`ProgressBar: total must be a positive integer, got ${options.total}.`);
    this.total = options.total;
    this.label = options.label ?? '';
    this.stream = options.stream ?? process.stderr;
    this.width = options.width ?? 28;
    this.linePercent = options.linePercent ?? 10;
    this.now = options.now ?? Date.now;
    this.start = this.now();
  }

  /** Steps done so far. */
  get value(): number {
    return this.current;
  }

  /** Advances by `steps` (default 1); `info` (such as the current loss) is shown after the bar. */
  tick(steps = 1, info?: string): void {
    this.update(this.current + steps, info);
  }

  /** Sets the number of steps done (clamped to `[0, total]`). */
  update(current: number, info?: string): void {
    if (this.finished) return;
    this.current = Math.max(0, Math.min(this.total, current));
    if (info !== undefined) this.info = info;
    if (this.stream.isTTY) {
      this.stream.write(`\r${this.render()}\x1b[K`);
    } else {
      const bucket = Math.floor((this.current / this.total) * (100 / this.linePercent));
      if (bucket > this.lastLineBucket) {
        this.lastLineBucket = bucket;
        this.stream.write(`${this.render()}\n`);
      }
    }
  }

  /** Marks the bar complete and ends its line. Further updates are ignored. */
  done(info?: string): void {
    if (this.finished) return;
    if (info !== undefined) this.info = info;
    const wasComplete = this.current === this.total && !this.stream.isTTY;
    this.current = this.total;
    if (this.stream.isTTY) this.stream.write(`\r${this.render()}\x1b[K\n`);
    else if (!wasComplete || info !== undefined) this.stream.write(`${this.render()}\n`);
    this.finished = true;
  }

  /** The bar's text for the current state (no control characters). */
  render(): string {
    const fraction = this.current / this.total;
    const pct = `${Math.floor(fraction * 100)}`.padStart(3);
    const elapsed = (this.now() - this.start) / 1000;
    const eta = this.current > 0 ? (elapsed * (this.total - this.current)) / this.current : Number.NaN;
    const time = this.current >= this.total ? formatSeconds(elapsed) : `eta ${formatSeconds(eta)}`;
    const parts: string[] = [];
    if (this.label) parts.push(this.label);
    if (this.stream.isTTY) {
      const filled = Math.round(fraction * this.width);
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(this.width - filled)}]`);
    }
    parts.push(`${pct}%`, `${this.current}/${this.total}`, time);
    if (this.info) parts.push(this.info);
    let line = parts.join(' ');
    const cols = this.stream.columns;
    if (this.stream.isTTY && cols && line.length > cols - 1) line = line.slice(0, cols - 1);
    return line;
  }
}
