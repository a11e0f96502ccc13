import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import sharp from 'sharp';
import { InvalidArgumentError, tf } from '@dbvae/backend';
import { DatasetError } from './errors';
import { IMAGE_EXTENSIONS } from './image-extensions';
import { uint8ToFloatBatch, type DataFormat } from './image-tensor';


/** Options of {@link loadImageFolder}. */
export interface LoadImageFolderOptions {
  /** Output size `[height, width]`; every image is resized to it (bilinear, aspect not kept). Default [64, 64]. */
  size?: [number, number];
  /**
   * Take a group per image from its sub-folder: `dir/<group>/*.png`. Default false (images
   * directly in `dir`).
   */
  groups?: boolean;
  /** Number of files decoded at once. Default 4. */
  concurrency?: number;
}

/** Images of a folder as packed RGB uint8, with their files and groups. */
export interface ImageFolderData {
  /** Packed RGB bytes, n x height x width x 3. */
  images: Uint8Array;
  /** Group name of each image (`''` without `groups`). */
  groups: string[];
  /** Sorted distinct group names. */
  groupNames: string[];
  /** File of each image, relative to the folder, in load order (sorted by group, then name). */
  files: string[];
  /** Image height. */
  height: number;
  /** Image width. */
  width: number;
}

/** @internal Image files directly in `dir`, sorted by name. */
export async function listImages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase()))
    .map((e) => join(dir, e.name))
    .sort();
}

/** @internal Decodes one image file to RGB (alpha dropped, not composited, as OpenCV's imread does) and resizes it bilinearly. */
export async function decodeResize(file: string, height: number, width: number): Promise<Uint8Array> {
  // Two passes: drop alpha first, then resize the raw RGB, so that the resize does not
  // premultiply colours by alpha.
  const { data, info } = await sharp(await readFile(file)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  let rgb = data;
  if (info.channels !== 3) {
    // grey (1 channel): replicate
    const c = info.channels;
    rgb = Buffer.alloc(info.width * info.height * 3);
    for (let p = 0; p < info.width * info.height; p++) for (let k = 0; k < 3; k++) rgb[p * 3 + k] = data[p * c + Math.min(k, c - 1)] as number;
  }
  if (info.width === width && info.height === height) return new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length);
  const out = await sharp(rgb, { raw: { width: info.width, height: info.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/**
 * Loads every PNG / JPEG image of a folder (optionally grouped by sub-folder, e.g. the lab's
 * `test/{LF,LM,DF,DM}/*.png`) as packed RGB uint8, resized to `size` with bilinear
 * interpolation. Alpha channels are dropped (RGBA PNGs of any size are fine), grey images
 * are expanded to RGB.
 *
 * @returns `{ images, groups, groupNames, files, height, width }`; use {@link imagesToTensor}
 *   for a float batch.
 * @throws DatasetError if the folder is missing, holds no images, or a file cannot be decoded
 *   (the message names the file); InvalidArgumentError for a bad size.
 * @example
 * const test = await loadImageFolder('test', { size: [64, 64], groups: true });
 * const x = imagesToTensor(test); // (n, 64, 64, 3) float32 in [0, 1]
 */
export async function loadImageFolder(dir: string, options: LoadImageFolderOptions = {}): Promise<ImageFolderData> {
  const { size = [64, 64], groups = false, concurrency = 4 } = options;
  const [height, width] = size;
  if (!Number.isInteger(height) || height <= 0 || !Number.isInteger(width) || width <= 0) {
    throw new InvalidArgumentError(`loadImageFolder: size must be [height, width] of positive integers, got [${size}].`);
  }
  if (!Number.isInteger(concurrency) || concurrency <= 0) throw new InvalidArgumentError(`loadImageFolder: concurrency must be a positive integer, got ${concurrency}.`);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new DatasetError(`loadImageFolder: ${dir} is not a folder.`);
  const files: string[] = [];
  const groupOf: string[] = [];
  if (groups) {
    const subdirs = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    for (const g of subdirs) {
      for (const f of await listImages(join(dir, g))) {
        files.push(f);
        groupOf.push(g);
      }
    }
  } else {
    for (const f of await listImages(dir)) {
      files.push(f);
      groupOf.push('');
    }
  }
  if (files.length === 0) {
    throw new DatasetError(`loadImageFolder: no ${IMAGE_EXTENSIONS.join('/')} images in ${dir}${groups ? '/<group>/' : ''}.`);
  }
  const imageSize = height * width * 3;
  const images = new Uint8Array(files.length * imageSize);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      const file = files[i] as string;
      let px: Uint8Array;
      try {
        px = await decodeResize(file, height, width);
      } catch (e) {
        // A file that cannot be read is not a format problem: say which it is.
        const errno = (e as { code?: string }).code;
        const unreadable = errno === 'EACCES' || errno === 'EPERM' ? 'permission denied; check the file\'s permissions' : errno === 'EISDIR' ? 'it is a folder, not an image file' : errno === 'ENOENT' ? 'it disappeared while the folder was read' : errno === 'EIO' ? 'an input/output error (a failing disk or network share?)' : undefined;
        throw new DatasetError(unreadable ? `loadImageFolder: cannot read ${file}: ${unreadable}.` : `loadImageFolder: cannot decode ${file}: ${(e as Error).message}`, 'E_DATASET', { cause: e });
      }
      images.set(px, i * imageSize);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return {
    images,
    groups: groupOf,
    groupNames: [...new Set(groupOf)].sort(),
    files: files.map((f) => relative(dir, f)),
    height,
    width,
  };
}

