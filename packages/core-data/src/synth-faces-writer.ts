import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { InvalidArgumentError } from '@dbvae/backend';
import { writeLabH5 } from './hdf5';
import { DEFAULT_SYNTH_SKEW, generateSynthFaces, type SynthAttributes, type SynthFacesOptions, type SynthGroup } from './synth-faces';

/** Options of {@link writeSynthFaces}: the training set's options plus the test folders'. */
export interface WriteSynthFacesOptions extends SynthFacesOptions {
  /** Test faces written per group (LF, LM, DF, DM), balanced. Default 100; 0 writes no test folders. */
  testPerGroup?: number;
}

/** What {@link writeSynthFaces} wrote. */
export interface WriteSynthFacesResult {
  /** Path of the training file (lab layout, BGR). */
  trainPath: string;
  /** Path of the attributes table. */
  attributesPath: string;
  /** Folder holding `LF`, `LM`, `DF`, `DM` sub-folders of PNG test faces. */
  testDir: string;
  /** Number of training images, faces among them, and test faces per group. */
  counts: {
    /** Training images (faces and non-faces). */
    train: number;
    /** Faces among the training images. */
    trainFaces: number;
    /** Test faces in each of `LF`, `LM`, `DF`, `DM`. */
    testPerGroup: number;
  };
}

const GROUPS: SynthGroup[] = ['LF', 'LM', 'DF', 'DM'];

/**
 * Generates SynthFaces and writes it in the layout the lab's users know:
 * - `train.h5`: `images` (N, S, S, 3) uint8 in BGR order, `labels` (N, 1) float32;
 * - `attributes.json`: `{ options, skew, attributes: SynthAttributes[] }`, row i for image i;
 * - `test/{LF,LM,DF,DM}/NNNN.png`: `testPerGroup` balanced faces per group (RGB PNGs), drawn
 *   with a different seed from the training set (`seed + 1000003`).
 *
 * @param dir - Output folder (created if needed; files in it are overwritten).
 * @throws InvalidArgumentError for bad options (see `generateSynthFaces`).
 */
export async function writeSynthFaces(dir: string, options: WriteSynthFacesOptions = {}): Promise<WriteSynthFacesResult> {
  const { testPerGroup = 100, ...genOptions } = options;
  if (!Number.isInteger(testPerGroup) || testPerGroup < 0) throw new InvalidArgumentError(`writeSynthFaces: testPerGroup must be a non-negative integer, got ${testPerGroup}.`);
  await mkdir(dir, { recursive: true });
  const train = generateSynthFaces(genOptions);
  const trainPath = join(dir, 'train.h5');
  await writeLabH5(trainPath, { images: train.images, labels: train.labels, height: train.height, width: train.width, channelOrder: 'rgb' });
  const attributesPath = join(dir, 'attributes.json');
  const table: { options: SynthFacesOptions; skew: unknown; attributes: SynthAttributes[] } = {
    options: genOptions,
    skew: { ...DEFAULT_SYNTH_SKEW, ...genOptions.skew },
    attributes: train.attributes,
  };
  await writeFile(attributesPath, JSON.stringify(table));
  const testDir = join(dir, 'test');
  if (testPerGroup > 0) {
    const seed = (genOptions.seed ?? 0) + 1000003;
    const test = generateSynthFaces({ ...genOptions, n: 4 * testPerGroup, seed, faceFraction: 1, groups: GROUPS });
    const s = test.height;
    const counters: Record<string, number> = {};
    for (const g of GROUPS) await mkdir(join(testDir, g), { recursive: true });
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < test.attributes.length; i++) {
      const g = test.attributes[i]!.group!;
      const k = (counters[g] = (counters[g] ?? 0) + 1);
      const px = test.images.subarray(i * s * s * 3, (i + 1) * s * s * 3);
      jobs.push(sharp(px, { raw: { width: s, height: s, channels: 3 } }).png().toFile(join(testDir, g, `${String(k).padStart(4, '0')}.png`)));
      if (jobs.length >= 16) await Promise.all(jobs.splice(0));
    }
    await Promise.all(jobs);
  }
  let trainFaces = 0;
  for (const l of train.labels) trainFaces += l;
  return { trainPath, attributesPath, testDir, counts: { train: train.labels.length, trainFaces, testPerGroup } };
}
