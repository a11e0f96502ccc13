import { num, resolvePath, str, type CliIO, type CommandDefinition } from '../command';
import { writeDirAtomic } from '../fs-atomic';
import { claimOutput, writeOutputMarker } from '../output-dir';

/** Options of `dbvae synth`. */
export interface SynthOptions {
  /** Output folder (replaced atomically). */
  out: string;
  /** Training images. */
  n: number;
  /** Seed. */
  seed: number;
  /** Balanced test faces per group. */
  testPerGroup: number;
  /** Fraction of training images that are faces. */
  faceFraction: number;
  /** Fraction of training faces with dark skin (the rare attribute). */
  darkSkin: number;
  /** Image side in pixels. */
  size: number;
  /** Replace a previous `dbvae synth` output in `out`. */
  force?: boolean;
}

/**
 * Writes SynthFaces in the lab's layout (`train.h5`, `attributes.json`, `test/{LF,LM,DF,DM}/*.png`)
 * into a temporary folder, then renames it to `options.out`.
 */
export async function runSynth(options: SynthOptions, io: CliIO): Promise<void> {
  const t0 = Date.now();
  // Loaded on use so that `dbvae --help` does not load tfjs.
  const { writeSynthFaces } = await import('@dbvae/core-data');
  const claim = await claimOutput({ path: options.out, flag: '--out', command: 'dbvae synth', type: 'dir', kind: 'synth', force: options.force, cwd: io.cwd });
  io.stderr.write(`Generating ${options.n} training images and ${4 * options.testPerGroup} test faces (seed ${options.seed})...\n`);
  const result = await writeDirAtomic(options.out, async (tmp) => {
    const written = await writeSynthFaces(tmp, { n: options.n, seed: options.seed, testPerGroup: options.testPerGroup, faceFraction: options.faceFraction, size: options.size, skew: { darkSkin: options.darkSkin } });
    await writeOutputMarker(tmp, 'synth', 'dbvae synth');
    return written;
  }).finally(() => claim.release());
  io.stdout.write(`Wrote ${options.out}: train.h5 (${result.counts.train} images, ${result.counts.trainFaces} faces), attributes.json, test/{LF,LM,DF,DM} (${result.counts.testPerGroup} each) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

/** `dbvae synth`. */
export const synthCommand: CommandDefinition<SynthOptions> = {
  name: 'synth',
  summary: 'Generate SynthFaces: a skewed training set plus balanced test folders.',
  description:
    'Writes a synthetic stand-in for the lab data: train.h5 (images N x 64 x 64 x 3 uint8 in BGR order, labels N x 1, 1 = face) with dark skin rare among the faces, attributes.json, and balanced test folders test/LF, test/LM, test/DF, test/DM of PNG faces. The folder appears complete or not at all.',
  options: [
    { name: 'out', kind: 'path', required: true, placeholder: '<dir>', description: 'Output folder' },
    { name: 'n', kind: 'int', default: 20000, min: 2, description: 'Training images (faces and non-faces)' },
    { name: 'seed', kind: 'int', default: 1, min: 0, description: 'Random seed; the same seed gives the same files' },
    { name: 'test-per-group', kind: 'int', default: 100, min: 0, description: 'Test faces per group (LF, LM, DF, DM)' },
    { name: 'face-fraction', kind: 'number', default: 0.5, min: 0, max: 1, exclusiveMin: true, description: 'Fraction of training images that are faces' },
    { name: 'dark-skin', kind: 'number', default: 0.1, min: 0, max: 1, description: 'Fraction of training faces with dark skin (the under-represented attribute)' },
    { name: 'size', kind: 'int', default: 64, min: 16, max: 512, description: 'Image side in pixels' },
    { name: 'force', kind: 'boolean', description: "Replace a previous 'dbvae synth' output in --out" },
  ],
  examples: ['dbvae synth --out data/synth', 'dbvae synth --out data/small --n 2000 --seed 7 --test-per-group 50'],
  toOptions: (v, io) => ({
    out: resolvePath(io, str(v, 'out')),
    n: num(v, 'n'),
    seed: num(v, 'seed'),
    testPerGroup: num(v, 'test-per-group'),
    faceFraction: num(v, 'face-fraction'),
    darkSkin: num(v, 'dark-skin'),
    size: num(v, 'size'),
    force: v.force === true,
  }),
  run: runSynth,
};
