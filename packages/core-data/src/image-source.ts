import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InvalidArgumentError } from '@dbvae/backend';
import { DatasetError } from './errors';
import { closeQuietly, hasHdf5Signature, openLabLayout, readLabRows, type OpenLabLayout } from './hdf5';
import { decodeResize, listImages } from './image-folder';

/** Where the images of an {@link ImageSource} come from. */
export type ImageSourceKind = 'lab-h5' | 'image-folder' | 'image-list';

/** An image that could not be read: its index in the source and why. */
export interface ImageFailure {
  /** Index of the image in the whole source. */
  index: number;
  /** What went wrong (the decoder's message). */
  reason: string;
}

/** A contiguous run of images `[start, start + n)` of an {@link ImageSource}, as packed RGB bytes. */
export interface ImageChunk {
  /** Index of the first image in the source. */
  start: number;
  /** Number of images. */
  n: number;
  /** Packed RGB bytes, n x height x width x 3. An unreadable image is all zeros (see `failures`). */
  images: Uint8Array;
  /** Labels (1 face, 0 not a face) where the source has them (lab HDF5 files). */
  labels?: Uint8Array;
  /** Files relative to the folder (folders) or as listed (lists). */
  files?: string[];
  /** Group (sub-folder) of each image, for grouped folders. */
  groups?: string[];
  /** Images that could not be decoded; the rest of the chunk is usable. */
  failures: ImageFailure[];
}

/**
 * Random access to the images of a lab HDF5 file, an image folder or a list of image paths,
 * a range at a time, so that memory is bounded by the range, never by the source. All
 * sources give RGB bytes of one size (`height` x `width`).
 */
export interface ImageSource {
  /** Kind of source. */
  readonly kind: ImageSourceKind;
  /** The path it was opened from (absolute). */
  readonly path: string;
  /** Number of images. */
  readonly n: number;
  /** Image height. */
  readonly height: number;
  /** Image width. */
  readonly width: number;
  /**
   * Reads images `[start, end)`. Images a folder or list names but that cannot be decoded come
   * back as zeros and are listed in `failures`; a damaged HDF5 file throws.
   * @throws InvalidArgumentError for a range outside `[0, n]`; Hdf5LayoutError for a damaged file, Hdf5ReadError for a failed read.
   */
  read(start: number, end: number): Promise<ImageChunk>;
  /** Releases the file handle (HDF5). Further reads throw. */
  close(): Promise<void>;
}

/** Options of {@link openImageSource}. */
export interface OpenImageSourceOptions {
  /**
   * Size `[height, width]` images of folders and lists are resized to (bilinear). A lab HDF5
   * file keeps its stored size. Default [64, 64].
   */
  size?: [number, number];
  /** Channel order of a lab HDF5 file's images. Default `'bgr'` (the lab layout); chunks are always RGB. */
  channelOrder?: 'rgb' | 'bgr';
  /** Files decoded at once for folders and lists. Default 4. */
  concurrency?: number;
}

function checkRange(source: { n: number; path: string }, start: number, end: number): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > source.n || start > end) {
    throw new InvalidArgumentError(`ImageSource.read: range [${start}, ${end}) is outside [0, ${source.n}) of ${source.path}.`);
  }
}

class LabH5Source implements ImageSource {
  readonly kind = 'lab-h5' as const;
  readonly n: number;
  readonly height: number;
  readonly width: number;
  private layout: OpenLabLayout | undefined;

  constructor(
    readonly path: string,
    layout: OpenLabLayout,
    private readonly channelOrder: 'rgb' | 'bgr',
  ) {
    this.layout = layout;
    this.n = layout.n;
    this.height = layout.height;
    this.width = layout.width;
  }

  async read(start: number, end: number): Promise<ImageChunk> {
    checkRange(this, start, end);
    const layout = this.layout;
    if (!layout) throw new InvalidArgumentError(`ImageSource.read: ${this.path} is closed.`);
    const n = end - start;
    if (n === 0) return { start, n, images: new Uint8Array(0), labels: new Uint8Array(0), failures: [] };
    // h5wasm reads only the hyperslab: the chunk, not the dataset; every read is checked.
    const { images, labels } = readLabRows(layout, this.path, start, end);
    if (this.channelOrder === 'bgr') {
      for (let p = 0; p < images.length; p += 3) {
        const t = images[p] as number;
        images[p] = images[p + 2] as number;
        images[p + 2] = t;
      }
    }
    return { start, n, images, labels, failures: [] };
  }

  async close(): Promise<void> {
    if (this.layout) closeQuietly(this.layout.file);
    this.layout = undefined;
  }
}

class FileListSource implements ImageSource {
  readonly n: number;

  constructor(
    readonly kind: 'image-folder' | 'image-list',
    readonly path: string,
    /** Absolute paths of the images. */
    private readonly absFiles: string[],
    /** Names reported in chunks (relative to the folder, or as listed). */
    private readonly names: string[],
    private readonly groups: string[] | undefined,
    readonly height: number,
    readonly width: number,
    private readonly concurrency: number,
  ) {
    this.n = absFiles.length;
  }

  async read(start: number, end: number): Promise<ImageChunk> {
    checkRange(this, start, end);
    const n = end - start;
    const size = this.height * this.width * 3;
    const images = new Uint8Array(n * size);
    const failures: ImageFailure[] = [];
    let next = 0;
    const decodeNext = async (): Promise<void> => {
      while (next < n) {
        const i = next++;
        try {
          images.set(await decodeResize(this.absFiles[start + i] as string, this.height, this.width), i * size);
        } catch (e) {
          failures.push({ index: start + i, reason: `cannot decode ${this.names[start + i]}: ${(e as Error).message}` });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, n) }, decodeNext));
    failures.sort((a, b) => a.index - b.index);
    return {
      start,
      n,
      images,
      files: this.names.slice(start, end),
      groups: this.groups?.slice(start, end),
      failures,
    };
  }

  async close(): Promise<void> {}
}

/**
 * Parses a list of image paths: one path per line; blank lines and lines starting with `#`
 * are skipped; relative paths are relative to the list's folder.
 * @returns The paths as written and their absolute forms.
 */
export function parseImageList(
  text: string,
  listPath: string,
): {
  /** The paths as written in the list, in order. */
  names: string[];
  /** The same paths made absolute (relative ones resolved against the list's folder). */
  absolute: string[];
} {
  const base = dirname(resolve(listPath));
  const names: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    names.push(line);
  }
  return { names, absolute: names.map((f) => (isAbsolute(f) ? f : join(base, f))) };
}

/**
 * Opens a source of images for chunked reading: a lab-layout HDF5 file (recognised by its
 * signature), a folder of images (with group sub-folders when it has any: `dir/<group>/*.png`,
 * the lab's test layout), or any other file as a plain-text list of image paths. Only the
 * file list is kept in memory; images are read when a range is asked for.
 *
 * @throws DatasetError for a missing path, an empty folder or list; Hdf5LayoutError for an
 *   HDF5 file outside the lab layout; InvalidArgumentError for a bad size or concurrency.
 * @example
 * const source = await openImageSource('data/train.h5');
 * for await (const chunk of iterateImageChunks(source, { chunkSize: 1024 })) score(chunk);
 * await source.close();
 */
export async function openImageSource(path: string, options: OpenImageSourceOptions = {}): Promise<ImageSource> {
  const { size = [64, 64], channelOrder = 'bgr', concurrency = 4 } = options;
  const [height, width] = size;
  if (!Number.isInteger(height) || height <= 0 || !Number.isInteger(width) || width <= 0) {
    throw new InvalidArgumentError(`openImageSource: size must be [height, width] of positive integers, got [${size}].`);
  }
  if (!Number.isInteger(concurrency) || concurrency <= 0) throw new InvalidArgumentError(`openImageSource: concurrency must be a positive integer, got ${concurrency}.`);
  const abs = resolve(path);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw new DatasetError(`${path}: no such file or folder.`);
  if (st.isFile()) {
    if (hasHdf5Signature(abs)) return new LabH5Source(abs, await openLabLayout(abs), channelOrder);
    const { names, absolute } = parseImageList(await readFile(abs, 'utf8'), abs);
    if (names.length === 0) throw new DatasetError(`${path}: the list names no images (one image path per line; '#' starts a comment).`);
    return new FileListSource('image-list', abs, absolute, names, undefined, height, width, concurrency);
  }
  const entries = await readdir(abs, { withFileTypes: true });
  const subdirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const files: string[] = [];
  const groups: string[] = [];
  if (subdirs.length > 0) {
    for (const g of subdirs) {
      for (const f of await listImages(join(abs, g))) {
        files.push(f);
        groups.push(g);
      }
    }
  } else {
    files.push(...(await listImages(abs)));
  }
  if (files.length === 0) throw new DatasetError(`${path}: no .png/.jpg/.jpeg images${subdirs.length > 0 ? ' in its sub-folders' : ''}.`);
  return new FileListSource('image-folder', abs, files, files.map((f) => relative(abs, f)), subdirs.length > 0 ? groups : undefined, height, width, concurrency);
}

/** Options of {@link iterateImageChunks}. */
export interface IterateImageChunksOptions {
  /** Images per chunk (the last may be shorter). */
  chunkSize: number;
  /** First image. Default 0. */
  start?: number;
  /** One past the last image. Default the source's `n`. */
  end?: number;
}

/**
 * Yields `[start, end)` of a source in chunks of `chunkSize` images, in order, reading each
 * only when it is asked for: at most one chunk is held at a time by the iterator.
 * @throws InvalidArgumentError for a chunk size that is not a positive integer or a bad range.
 */
export async function* iterateImageChunks(source: ImageSource, options: IterateImageChunksOptions): AsyncGenerator<ImageChunk> {
  const { chunkSize, start = 0, end = source.n } = options;
  if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new InvalidArgumentError(`iterateImageChunks: chunkSize must be a positive integer, got ${chunkSize}.`);
  checkRange(source, start, end);
  for (let s = start; s < end; s += chunkSize) yield await source.read(s, Math.min(end, s + chunkSize));
}
