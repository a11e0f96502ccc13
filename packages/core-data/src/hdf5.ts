import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { Hdf5LayoutError, Hdf5ReadError } from './errors';
import type { ChannelOrder } from './image-tensor';

type H5Module = typeof import('h5wasm/node');
type H5Lib = H5Module['default'];
type H5Dataset = InstanceType<H5Lib['Dataset']>;

let h5Promise: Promise<H5Lib> | undefined;
/** h5wasm's module: its error-handler switches (a live binding, set once h5wasm is ready). */
let h5Errors: { activate_throwing_error_handler(): number; deactivate_throwing_error_handler(): number } | undefined;

/** @internal Loads h5wasm (ESM only, so imported lazily) and waits for its WebAssembly to be ready. */
export async function loadH5wasm(): Promise<H5Lib> {
  h5Promise ??= (async () => {
    const mod = (await import('h5wasm/node')) as H5Module;
    const lib = mod.default;
    await lib.ready;
    h5Errors = (mod as unknown as { Module?: typeof h5Errors }).Module;
    return lib;
  })();
  return h5Promise;
}

/**
 * Runs synchronous h5wasm calls with HDF5's errors turned into exceptions (carrying the HDF5
 * error stack as their message) instead of diagnostics printed on stderr: h5wasm ignores the
 * status of a read, so a chunk that fails to decompress would otherwise come back as zeros or
 * stale heap bytes, after 20-odd lines of HDF5-DIAG on the user's terminal.
 */
function withHdf5Errors<T>(work: () => T): T {
  h5Errors?.activate_throwing_error_handler();
  try {
    return work();
  } finally {
    h5Errors?.deactivate_throwing_error_handler();
  }
}

/** The few informative lines of an HDF5 error stack (the `minor:` reasons, deduplicated). */
function hdf5Reason(error: unknown): { reason: string; diagnostic: string } {
  const diagnostic = error instanceof Error ? error.message : String(error);
  const minors = [...new Set([...diagnostic.matchAll(/minor:\s*(.+)/g)].map((m) => (m[1] as string).trim()))];
  const where = [...diagnostic.matchAll(/in (H5\w+)\(\): ([^\n]+)/g)].map((m) => (m[2] as string).trim());
  const reason = where.length ? `${where[where.length - 1]}${minors.length ? ` (${minors.slice(-2).join('; ')})` : ''}` : diagnostic.split('\n')[0] || 'unknown HDF5 error';
  return { reason, diagnostic };
}

function readFailure(path: string, dataset: string, rows: [number, number] | undefined, error: unknown): Hdf5ReadError {
  const { reason, diagnostic } = hdf5Reason(error);
  const failure = new Hdf5ReadError(path, dataset, rows, reason, diagnostic, { cause: error });
  if (process.env.DBVAE_HDF5_DIAGNOSTICS === '1') process.stderr.write(`${diagnostic}\n`);
  return failure;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** @internal True if the file carries the HDF5 superblock signature at offset 0, 512, 1024, 2048, ... */
export function hasHdf5Signature(path: string): boolean {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      readSync(fd, buf, 0, 8, offset);
      if (HDF5_SIGNATURE.every((b, i) => buf[i] === b)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** The lab layout read into memory: uint8 images, labels as bytes (0 or 1). */
export interface LabH5Data {
  /** Packed images, N x height x width x 3 bytes, in `channelOrder`. */
  images: Uint8Array;
  /** One label per image, 1 = face, 0 = not a face. */
  labels: Uint8Array;
  /** Number of images. */
  n: number;
  /** Image height. */
  height: number;
  /** Image width. */
  width: number;
  /** Channel order of `images` as stored in the file: the lab layout is `'bgr'`. */
  channelOrder: ChannelOrder;
}

/** Options of {@link readLabH5}. */
export interface ReadLabH5Options {
  /**
   * Bytes of image data read per slice. The images are read slice by slice into one
   * preallocated buffer, so peak memory is the raw image bytes plus one slice. Default 8 MiB.
   */
  sliceBytes?: number;
  /** Channel order the file's images are stored in. Default `'bgr'` (the lab layout). */
  channelOrder?: ChannelOrder;
}

function getDataset(file: InstanceType<H5Lib['File']>, lib: H5Lib, name: string, path: string): H5Dataset {
  const keys = file.keys();
  if (!keys.includes(name)) {
    throw new Hdf5LayoutError('missing-dataset', path, `no dataset '${name}' at the root (found: ${keys.length ? keys.join(', ') : 'nothing'}). The lab layout needs 'images' (N, H, W, 3) uint8 and 'labels' (N, 1).`);
  }
  const entity = file.get(name);
  if (!(entity instanceof lib.Dataset)) {
    throw new Hdf5LayoutError('missing-dataset', path, `'${name}' is a group or link, not a dataset.`);
  }
  return entity;
}

/** @internal An open lab-layout file whose datasets passed the layout checks (label values are checked as they are read). */
export interface OpenLabLayout {
  file: InstanceType<H5Lib['File']>;
  imagesDs: H5Dataset;
  labelsDs: H5Dataset;
  n: number;
  height: number;
  width: number;
}

/**
 * @internal Opens `path` and checks the lab layout (datasets, ranks, dtypes, counts). The caller
 * closes `file`. @throws Hdf5LayoutError as {@link readLabH5} documents.
 */
export async function openLabLayout(path: string): Promise<OpenLabLayout> {
  const abs = resolve(path);
  if (!existsSync(abs) || !statSync(abs).isFile()) {
    throw new Hdf5LayoutError('not-found', path, 'file not found; check the path.');
  }
  let signed: boolean;
  try {
    signed = hasHdf5Signature(abs);
  } catch (cause) {
    const errno = (cause as { code?: string }).code;
    throw new Hdf5LayoutError('unreadable', path, `cannot read the file: ${errno === 'EACCES' || errno === 'EPERM' ? "permission denied; check the file's permissions" : (cause as Error).message}.`, { cause });
  }
  if (!signed) {
    throw new Hdf5LayoutError('not-hdf5', path, 'not an HDF5 file (no HDF5 signature); pass the .h5 file itself, not an archive or a partial download.');
  }
  const lib = await loadH5wasm();
  const corrupt = (cause?: unknown) => {
    if (cause !== undefined && process.env.DBVAE_HDF5_DIAGNOSTICS === '1') process.stderr.write(`${hdf5Reason(cause).diagnostic}\n`);
    return new Hdf5LayoutError('corrupt', path, 'the file has an HDF5 signature but the HDF5 library cannot open it: it is corrupt or truncated (an interrupted download?). Fetch or write it again.', cause === undefined ? undefined : { cause });
  };
  let file: InstanceType<H5Lib['File']>;
  try {
    file = withHdf5Errors(() => new lib.File(abs, 'r'));
  } catch (cause) {
    throw corrupt(cause);
  }
  if (typeof file.file_id === 'bigint' && file.file_id < 0n) throw corrupt();
  try {
    return withHdf5Errors(() => checkLayout(file, lib, path));
  } catch (error) {
    closeQuietly(file);
    throw error;
  }
}

/** @internal Closes a file whose read may have failed (closing may report the same damage again). */
export function closeQuietly(file: InstanceType<H5Lib['File']>): void {
  try {
    file.close();
  } catch {
    // the damage was already reported by the read that failed
  }
}

function checkLayout(file: InstanceType<H5Lib['File']>, lib: H5Lib, path: string): OpenLabLayout {
  const imagesDs = getDataset(file, lib, 'images', path);
  const labelsDs = getDataset(file, lib, 'labels', path);
  const im = imagesDs.metadata;
  const shape = im.shape ?? [];
  if (shape.length !== 4 || shape[3] !== 3) {
    throw new Hdf5LayoutError('wrong-rank', path, `'images' has shape (${shape.join(', ')}); expected (N, height, width, 3), channels last.`);
  }
  if (im.type !== 0 || im.size !== 1 || im.signed || im.vlen) {
    throw new Hdf5LayoutError('wrong-dtype', path, `'images' has dtype ${String(imagesDs.dtype)}; expected uint8. Convert with e.g. numpy's astype(np.uint8) after scaling to 0..255.`);
  }
  const [n, height, width] = shape as [number, number, number, number];
  const lm = labelsDs.metadata;
  const lshape = lm.shape ?? [];
  if (!(lshape.length === 1 || (lshape.length === 2 && lshape[1] === 1))) {
    throw new Hdf5LayoutError('wrong-rank', path, `'labels' has shape (${lshape.join(', ')}); expected (N, 1) or (N,).`);
  }
  if ((lm.type !== 0 && lm.type !== 1) || lm.vlen || !(lm.size >= 1 && lm.size <= 8)) {
    throw new Hdf5LayoutError('wrong-dtype', path, `'labels' has dtype ${String(labelsDs.dtype)}; expected a numeric (float or integer) type.`);
  }
  if (lshape[0] !== n) {
    throw new Hdf5LayoutError('count-mismatch', path, `'images' holds ${n} images but 'labels' holds ${lshape[0]} labels; they must match.`);
  }
  if (n === 0) {
    throw new Hdf5LayoutError('count-mismatch', path, 'the file holds no images.');
  }
  return { file, imagesDs, labelsDs, n, height, width };
}

/** @internal Checks that every label is 0 or 1 and returns them as bytes; `offset` is the index of the first one in the file. */
export function labelBytes(raw: ArrayLike<number | bigint>, path: string, offset = 0): Uint8Array {
  const labels = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = Number(raw[i]);
    if (v !== 0 && v !== 1) {
      throw new Hdf5LayoutError('label-values', path, `labels[${offset + i}] = ${v}; labels must be 0 (not a face) or 1 (face).`);
    }
    labels[i] = v;
  }
  return labels;
}

/**
 * @internal Reads rows `start..end` of the images and labels, checked: a failed chunk read, a
 * decompression error or a short read is an Hdf5ReadError naming the file, dataset and rows,
 * never zeros or stale bytes (h5wasm itself ignores a read's status).
 */
export function readLabRows(layout: OpenLabLayout, path: string, start: number, end: number): { images: Uint8Array; labels: Uint8Array } {
  const imageSize = layout.height * layout.width * 3;
  const rows: [number, number] = [start, end];
  return withHdf5Errors(() => {
    let images: Uint8Array;
    try {
      images = layout.imagesDs.slice([[start, end]]) as Uint8Array;
    } catch (e) {
      throw readFailure(path, 'images', rows, e);
    }
    if (!(images instanceof Uint8Array) || images.length !== (end - start) * imageSize) {
      throw new Hdf5ReadError(path, 'images', rows, `a short read: ${images?.length ?? 0} bytes, expected ${(end - start) * imageSize}`);
    }
    let rawLabels: ArrayLike<number | bigint>;
    try {
      rawLabels = layout.labelsDs.slice([[start, end]]) as ArrayLike<number | bigint>;
    } catch (e) {
      throw readFailure(path, 'labels', rows, e);
    }
    if (!rawLabels || rawLabels.length !== end - start) throw new Hdf5ReadError(path, 'labels', rows, `it returned ${rawLabels?.length ?? 0} labels, expected ${end - start}`);
    return { images, labels: labelBytes(rawLabels, path, start) };
  });
}

/**
 * Reads an HDF5 file in the MIT 6.S191 lab layout: dataset `images` (N, H, W, 3) uint8 (BGR
 * in the lab's files) and dataset `labels` (N, 1) or (N,) of numbers in {0, 1}. Works on files
 * written by any HDF5 tool (h5py, h5wasm, ...). Images are read in slices into a single uint8
 * buffer, so memory stays near the raw image bytes. Every read is checked.
 *
 * @param path - File path.
 * @param options - Slice size and the stored channel order.
 * @throws Hdf5LayoutError with `problem` one of `not-found`, `unreadable`, `not-hdf5`, `corrupt`, `missing-dataset`,
 *   `wrong-rank`, `wrong-dtype`, `label-values`, `count-mismatch`; Hdf5ReadError when a read fails
 *   (a corrupt chunk, a decompression error, a short read).
 */
export async function readLabH5(path: string, options: ReadLabH5Options = {}): Promise<LabH5Data> {
  const { sliceBytes = 8 * 1024 * 1024, channelOrder = 'bgr' } = options;
  if (!Number.isFinite(sliceBytes) || sliceBytes <= 0) {
    throw new InvalidArgumentError(`readLabH5: sliceBytes must be a positive number, got ${sliceBytes}.`);
  }
  if (channelOrder !== 'rgb' && channelOrder !== 'bgr') {
    throw new InvalidArgumentError(`readLabH5: channelOrder must be 'rgb' or 'bgr', got ${String(channelOrder)}.`);
  }
  const layout = await openLabLayout(path);
  try {
    const { n, height, width } = layout;
    const imageSize = height * width * 3;
    const images = new Uint8Array(n * imageSize);
    const labels = new Uint8Array(n);
    const rowsPerSlice = Math.max(1, Math.floor(sliceBytes / imageSize));
    for (let start = 0; start < n; start += rowsPerSlice) {
      const end = Math.min(n, start + rowsPerSlice);
      const part = readLabRows(layout, path, start, end);
      images.set(part.images, start * imageSize);
      labels.set(part.labels, start);
    }
    return { images, labels, n, height, width, channelOrder };
  } finally {
    closeQuietly(layout.file);
  }
}

/** Input of {@link writeLabH5}. */
export interface WriteLabH5Data {
  /** Packed uint8 images, N x height x width x 3, in `channelOrder`. */
  images: Uint8Array;
  /** N labels, each 0 or 1. */
  labels: ArrayLike<number>;
  /** Image height. Default 64. */
  height?: number;
  /** Image width. Default 64. */
  width?: number;
  /** Channel order of `images` in memory. Default `'rgb'`; the file always stores BGR. */
  channelOrder?: ChannelOrder;
  /** Bytes of images converted and written per block. Default 8 MiB. */
  blockBytes?: number;
  /** Gzip level (1-9) of the image chunks, as h5py's `compression='gzip'`. Default none (uncompressed). */
  gzipLevel?: number;
}

/**
 * Writes images and labels in the lab layout: `images` (N, H, W, 3) uint8 in **BGR** order
 * (chunked; uncompressed unless `gzipLevel` is given) and `labels` (N, 1) float32. Readable by h5py, the lab loader and
 * {@link readLabH5}. Overwrites an existing file. Data are written in blocks, so the copy
 * made for the colour swap is one block, not the whole set.
 *
 * @throws ShapeError if the image bytes do not match N labels of H x W x 3;
 *   InvalidArgumentError for a label outside {0, 1} or an empty set.
 */
export async function writeLabH5(path: string, data: WriteLabH5Data): Promise<void> {
  const { images, labels, height = 64, width = 64, channelOrder = 'rgb', blockBytes = 8 * 1024 * 1024, gzipLevel } = data;
  if (gzipLevel !== undefined && !(Number.isInteger(gzipLevel) && gzipLevel >= 1 && gzipLevel <= 9)) throw new InvalidArgumentError(`writeLabH5: gzipLevel must be an integer from 1 to 9, got ${gzipLevel}.`);
  if (!(images instanceof Uint8Array)) throw new InvalidArgumentError('writeLabH5: images must be a Uint8Array.');
  if (!Number.isInteger(height) || height <= 0 || !Number.isInteger(width) || width <= 0) {
    throw new InvalidArgumentError(`writeLabH5: height and width must be positive integers, got ${height} x ${width}.`);
  }
  if (channelOrder !== 'rgb' && channelOrder !== 'bgr') {
    throw new InvalidArgumentError(`writeLabH5: channelOrder must be 'rgb' or 'bgr', got ${String(channelOrder)}.`);
  }
  const n = labels.length;
  const imageSize = height * width * 3;
  if (n === 0) throw new InvalidArgumentError('writeLabH5: nothing to write (no labels).');
  if (images.length !== n * imageSize) {
    throw new ShapeError(`writeLabH5: ${images.length} image bytes do not match ${n} labels of ${height}x${width}x3 images (${n * imageSize} bytes).`);
  }
  const labelData = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels[i] as number;
    if (v !== 0 && v !== 1) throw new InvalidArgumentError(`writeLabH5: labels[${i}] = ${v}; labels must be 0 or 1.`);
    labelData[i] = v;
  }
  const lib = await loadH5wasm();
  const file = new lib.File(resolve(path), 'w');
  try {
    const chunkRows = Math.min(n, 64);
    const blockRows = Math.max(chunkRows, Math.floor(blockBytes / imageSize));
    const block = (start: number, end: number): Uint8Array => {
      const part = images.slice(start * imageSize, end * imageSize);
      if (channelOrder === 'rgb') {
        for (let p = 0; p < part.length; p += 3) {
          const t = part[p] as number;
          part[p] = part[p + 2] as number;
          part[p + 2] = t;
        }
      }
      return part;
    };
    const firstEnd = Math.min(n, blockRows);
    const ds = file.create_dataset({
      name: 'images',
      data: block(0, firstEnd),
      shape: [firstEnd, height, width, 3],
      maxshape: [n, height, width, 3],
      chunks: [chunkRows, height, width, 3],
      dtype: '<B',
      ...(gzipLevel ? { compression: gzipLevel } : {}),
    });
    if (firstEnd < n) {
      ds.resize([n, height, width, 3]);
      for (let start = firstEnd; start < n; start += blockRows) {
        const end = Math.min(n, start + blockRows);
        ds.write_slice([[start, end]], block(start, end));
      }
    }
    file.create_dataset({ name: 'labels', data: labelData, shape: [n, 1], dtype: '<f' });
    file.flush();
  } finally {
    file.close();
  }
}
