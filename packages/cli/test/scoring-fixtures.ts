/** Test fixtures of the scoring tests: a small lab file and small fitted risk models, made by code. */
import { join } from 'node:path';
import { tf } from '@dbvae/backend';
import { writeLabH5 } from '@dbvae/core-data';
import type { WrapOptions } from '@dbvae/risk-wrappers';
import { fitWrapped } from '../src/risk-scoring';
import { saveRiskModel } from '../src/scoring/risk-model-store';

/** Image side of the fixtures. */
export const SIDE = 8;

/** Deterministic images (an LCG, independent of the code under test) and alternating labels. */
export function fixtureImages(n: number, seed = 7): { images: Uint8Array; labels: number[] } {
  const images = new Uint8Array(n * SIDE * SIDE * 3);
  let s = seed >>> 0;
  for (let i = 0; i < images.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    images[i] = s >>> 24;
  }
  return { images, labels: Array.from({ length: n }, (_, i) => i % 2) };
}

/** Writes an n-image lab file (8x8). */
export async function fixtureLabFile(dir: string, name: string, n: number, seed = 7): Promise<string> {
  const path = join(dir, name);
  const { images, labels } = fixtureImages(n, seed);
  await writeLabH5(path, { images, labels, height: SIDE, width: SIDE, channelOrder: 'rgb' });
  return path;
}

/** A small CNN ending in logits, seeded. */
export function smallCnn(seed = 1): tf.LayersModel {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 10 + k });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [SIDE, SIDE, 3], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 8, activation: 'relu', kernelInitializer: init(2), name: 'features' }),
      tf.layers.dense({ units: 1, kernelInitializer: init(3) }),
    ],
  });
}

/**
 * Fits a risk for the small CNN (one epoch on 32 fixture images, through `fitWrapped`: post-hoc,
 * MC dropout in a trained copy) and saves it as a risk model folder. Returns the folder.
 */
export async function fixtureRiskModel(dir: string, name: string, options: WrapOptions, wrapperName: string): Promise<string> {
  const out = join(dir, name);
  const { images, labels } = fixtureImages(32, 99);
  const model = smallCnn();
  const fitted = await fitWrapped(model, { images, labels: Uint8Array.from(labels), height: SIDE, width: SIDE }, { wrap: { featureLayer: 'features', ...options }, epochs: 1, batchSize: 16, seed: 3, kind: wrapperName });
  try {
    await saveRiskModel(out, fitted, { cliVersion: 'test', wrapper: wrapperName, inputShape: [SIDE, SIDE, 3], settings: {} });
  } finally {
    fitted.dispose();
    model.dispose();
  }
  return out;
}
