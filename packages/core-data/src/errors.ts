import { DbvaeError } from '@dbvae/backend';

/**
 * A dataset could not be built or read: a file in the wrong layout, labels out of range, an
 * empty selection. Every message says what to fix. `code` is `'E_DATASET'` unless a subclass
 * sets a more precise one.
 */
export class DatasetError extends DbvaeError {
  override readonly name: string = 'DatasetError';

  constructor(message: string, code = 'E_DATASET', options?: { cause?: unknown }) {
    super(message, code, options);
  }
}

/** Why an HDF5 file was rejected; see {@link Hdf5LayoutError}. */
export type Hdf5LayoutProblem =
  | 'not-found'
  | 'unreadable'
  | 'not-hdf5'
  | 'corrupt'
  | 'missing-dataset'
  | 'wrong-rank'
  | 'wrong-dtype'
  | 'label-values'
  | 'count-mismatch';

/**
 * An HDF5 file is missing, is not HDF5, or does not follow the lab layout (`images` (N, H, W, 3)
 * uint8 and `labels` (N, 1) or (N,) numeric with values in {0, 1}). `problem` says which check
 * failed; `code` is `'E_HDF5_LAYOUT'`.
 */
export class Hdf5LayoutError extends DatasetError {
  override readonly name: string = 'Hdf5LayoutError';

  /** The failed check. */
  readonly problem: Hdf5LayoutProblem;
  /** The file that was being read. */
  readonly path: string;

  constructor(problem: Hdf5LayoutProblem, path: string, message: string, options?: { cause?: unknown }) {
    super(`${path}: ${message}`, 'E_HDF5_LAYOUT', options);
    this.problem = problem;
    this.path = path;
  }
}

/**
 * Reading a dataset of an HDF5 file failed: a chunk that does not decompress, a failed or
 * short read. `dataset` and `rows` say where; the file is damaged (or was changed while it
 * was read) and must be written or fetched again. `problem` is `'corrupt'` and `code`
 * `'E_HDF5_LAYOUT'`, as for a file that cannot be opened. The HDF5 library's own diagnostic
 * is kept in `diagnostic` (printed only when the environment sets `DBVAE_HDF5_DIAGNOSTICS=1`).
 */
export class Hdf5ReadError extends Hdf5LayoutError {
  override readonly name: string = 'Hdf5ReadError';

  /** The dataset being read, such as `images`. */
  readonly dataset: string;
  /** The rows `[start, end)` being read, when known. */
  readonly rows: [number, number] | undefined;
  /** The HDF5 library's error stack, if it gave one. */
  readonly diagnostic: string;

  constructor(path: string, dataset: string, rows: [number, number] | undefined, reason: string, diagnostic = '', options?: { cause?: unknown }) {
    super('corrupt', path, `reading dataset '${dataset}'${rows ? ` rows ${rows[0]}..${rows[1] - 1}` : ''} failed: ${reason}. The file is damaged (a corrupt chunk, or a truncated or changed file); write or fetch it again.`, options);
    this.dataset = dataset;
    this.rows = rows;
    this.diagnostic = diagnostic;
  }
}

/**
 * A text file (CelebA attribute or partition list) has a malformed line. `line` is 1-based;
 * `code` is `'E_PARSE'`.
 */
export class ParseError extends DatasetError {
  override readonly name: string = 'ParseError';

  /** 1-based line number of the offending line (0 when the file as a whole is wrong). */
  readonly line: number;

  constructor(line: number, message: string) {
    super(line > 0 ? `line ${line}: ${message}` : message, 'E_PARSE');
    this.line = line;
  }
}
