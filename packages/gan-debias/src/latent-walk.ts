import { tf, InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { GanDebiasError } from './errors';
import { imageGrid, type ImageGrid, type ImageGridOptions } from './image-grid';
import { asFunction, type ImageModel, type LatentModel } from './model-fn';
import { positiveInt, positiveNumber } from './matrix';

/** Options of {@link latentWalk}. */
export interface LatentWalkOptions {
  /** The attribute to walk along: its index in the classifier's outputs, or its name in `attributeNames`. */
  target: number | string;
  /** One name per classifier output. Default `attr0`, `attr1`, ... */
  attributeNames?: string[];
  /** Steps in each direction (up: more of the target, down: less). Default 30. */
  steps?: number;
  /** Step size: each step adds `stepSize * gradient` (up) or subtracts it (down). Default `1 / 30`. */
  stepSize?: number;
  /**
   * What is differentiated: `'mean'` (default) the batch mean of the target logit, as in the
   * notebook, so each latent moves by `stepSize / batch * d logit_i / d z_i`; `'sum'` the sum,
   * so each latent moves along the gradient of its own logit whatever the batch size.
   */
  objective?: 'mean' | 'sum';
  /**
   * How a step uses the gradient: `'fresh'` (default) adds `stepSize` times the gradient at the
   * current latent; `'accumulated'` adds `stepSize` times the **sum of all gradients so far** in
   * this direction, which is what the GAN bias notebook does (it never clears `new_noise.grad`,
   * so step `k` moves about `k` times as far as the first, and 30 steps travel about 15.5 times
   * as far as 30 fresh ones). Use `'accumulated'` with `record: 'before-step'`, `steps: 30` and
   * `stepSize: 1 / 30` to reproduce the notebook's covariances.
   */
  gradient?: 'fresh' | 'accumulated';
  /**
   * Which positions are recorded in `changes`: `'after-step'` (default) the `steps` positions
   * reached after each step (offsets `+1..+steps`, `-1..-steps`); `'before-step'` the position
   * before each step, as the notebook's history (offsets `0..steps-1` and `-0..-(steps-1)`: the
   * start twice, with zero change, and not the last position).
   */
  record?: 'after-step' | 'before-step';
  /**
   * Record image trajectories for the report. `samples` (default 8) first latents become the
   * grid's rows; columns are the positions from `-steps` to `+steps` whose offset is a multiple
   * of `every` (default 5), ordered from least to most of the target. Other fields are passed
   * to {@link imageGrid}. Omit to record no images.
   */
  images?: {
    /** Latents drawn as grid rows. Default 8. */
    samples?: number;
    /** Column spacing in walk positions. Default 5. */
    every?: number;
  } & ImageGridOptions;
}

/** What {@link latentWalk} recorded. All arrays are plain typed arrays: nothing to dispose. */
export interface LatentWalkResult {
  /** Names of the classifier outputs. */
  attributeNames: string[];
  /** Index of the walked attribute. */
  targetIndex: number;
  /** Number of latents walked. */
  samples: number;
  /** Steps per direction. */
  steps: number;
  /** Number of classifier outputs. */
  attributes: number;
  /** Logits at the starting latents, `[samples, attributes]` row-major. */
  startLogits: Float32Array;
  /**
   * Logit changes from the start, `[2 * steps, samples, attributes]` row-major. Block `s`
   * (0-based) holds the position `offsets[s]`: blocks `0..steps-1` are `+1..+steps` (up),
   * blocks `steps..2*steps-1` are `-1..-steps` (down); with `record: 'before-step'` they are
   * `0..steps-1` and `0, -1..-(steps-1)`.
   */
  changes: Float32Array;
  /** Signed step offset of each block of `changes`. */
  offsets: Int32Array;
  /** The image trajectories (rows = samples, columns = positions), when `images` was asked for. */
  trajectory?: ImageGrid;
  /** Step offsets of the trajectory's columns, left to right. */
  trajectoryOffsets?: number[];
}

function resolveTarget(target: number | string, names: string[]): number {
  if (typeof target === 'number') {
    if (!Number.isInteger(target) || target < 0 || target >= names.length) {
      throw new InvalidArgumentError(`latentWalk: target index ${target} is outside 0..${names.length - 1}.`);
    }
    return target;
  }
  const i = names.indexOf(target);
  if (i < 0) throw new InvalidArgumentError(`latentWalk: no attribute named '${target}'; known: ${names.join(', ')}.`);
  return i;
}

/**
 * Walks a batch of latents along the gradient of a target attribute's logit, up and down, and
 * records how every attribute's logit changes: the data of a generator-bias report (see
 * {@link biasReport}). By default a fresh gradient is computed at every step; the original
 * notebook let the gradient accumulate across steps, so its steps grew (`gradient:
 * 'accumulated'`, `record: 'before-step'` reproduce it).
 *
 * @param generator - Latents `[n, zDim]` to images `[n, h, w, c]` (model or function).
 * @param classifier - Images to logits `[n, attributes]` (extra dims are flattened).
 * @param latents - Starting latents `[n, zDim]`; not modified or disposed.
 * @param options - See {@link LatentWalkOptions}.
 * @returns The logits at the start and their changes at every step, as typed arrays.
 * @throws ShapeError when the latents are not rank 2 or the classifier's output does not have one row per latent.
 * @throws InvalidArgumentError on bad options or an unknown target.
 * @throws GanDebiasError when the walk produces non-finite logits (step too large).
 * @example
 * ```ts
 * const walk = await latentWalk(gen, cls, tf.randomNormal([64, 32]), {
 *   target: 'Male', attributeNames: names, steps: 10, stepSize: 0.1,
 * });
 * const report = biasReport(walk, { topK: 5 });
 * ```
 */
export async function latentWalk(
  generator: LatentModel,
  classifier: ImageModel,
  latents: tf.Tensor2D,
  options: LatentWalkOptions,
): Promise<LatentWalkResult> {
  if (!(latents instanceof tf.Tensor) || latents.rank !== 2) throw new ShapeError('latentWalk: latents must be a rank-2 tensor [samples, zDim].');
  const [n] = latents.shape;
  if (n < 1) throw new ShapeError('latentWalk: latents is empty; pass at least one latent.');
  const gen = asFunction(generator, 'latentWalk: generator');
  const cls = asFunction(classifier, 'latentWalk: classifier');
  const steps = positiveInt(options.steps ?? 30, 'latentWalk: steps');
  const stepSize = positiveNumber(options.stepSize ?? 1 / 30, 'latentWalk: stepSize');
  const objective = options.objective ?? 'mean';
  if (objective !== 'mean' && objective !== 'sum') throw new InvalidArgumentError(`latentWalk: objective must be 'mean' or 'sum', got '${String(objective)}'.`);
  const accumulate = (options.gradient ?? 'fresh') === 'accumulated';
  if (options.gradient !== undefined && options.gradient !== 'fresh' && options.gradient !== 'accumulated') {
    throw new InvalidArgumentError(`latentWalk: gradient must be 'fresh' or 'accumulated', got '${String(options.gradient)}'.`);
  }
  const before = (options.record ?? 'after-step') === 'before-step';
  if (options.record !== undefined && options.record !== 'after-step' && options.record !== 'before-step') {
    throw new InvalidArgumentError(`latentWalk: record must be 'after-step' or 'before-step', got '${String(options.record)}'.`);
  }
  const imgOpts = options.images;
  const imgSamples = imgOpts ? Math.min(positiveInt(imgOpts.samples ?? 8, 'latentWalk: images.samples'), n) : 0;
  const every = imgOpts ? positiveInt(imgOpts.every ?? 5, 'latentWalk: images.every') : 1;

  const logitsOf = (images: tf.Tensor): tf.Tensor2D => {
    const out = cls(images);
    if (out.rank < 1 || out.shape[0] !== n) {
      throw new ShapeError(`latentWalk: the classifier returned shape [${out.shape.join(', ')}]; expected [${n}, attributes].`);
    }
    return out.reshape([n, -1]) as tf.Tensor2D;
  };

  // One probe to learn the number of attributes and validate names and target.
  const k = tf.tidy(() => logitsOf(gen(latents)).shape[1]);
  const names = options.attributeNames ?? Array.from({ length: k }, (_, i) => `attr${i}`);
  if (names.length !== k) throw new InvalidArgumentError(`latentWalk: attributeNames has ${names.length} names but the classifier has ${k} outputs.`);
  const t = resolveTarget(options.target, names);

  const startLogits = new Float32Array(n * k);
  const changes = new Float32Array(2 * steps * n * k);
  const offsets = new Int32Array(2 * steps);
  const frames = new Map<number, tf.Tensor>();

  // Evaluates logits (and images) at z and the gradient of the objective there, in one pass.
  const evaluate = (z: tf.Tensor2D, wantGrad: boolean): { logits: tf.Tensor2D; images: tf.Tensor; grad?: tf.Tensor2D } => {
    let logits: tf.Tensor2D | undefined;
    let images: tf.Tensor | undefined;
    const f = (zz: tf.Tensor): tf.Scalar => {
      const img = gen(zz as tf.Tensor2D);
      const lg = logitsOf(img);
      logits = tf.keep(lg);
      images = tf.keep(img);
      const col = lg.slice([0, t], [n, 1]);
      return (objective === 'mean' ? col.mean() : col.sum()) as tf.Scalar;
    };
    if (wantGrad) {
      const grad = tf.grad(f)(z) as tf.Tensor2D;
      return { logits: logits!, images: images!, grad };
    }
    tf.tidy(() => {
      f(z);
    });
    return { logits: logits!, images: images! };
  };

  const keepFrame = (offset: number, images: tf.Tensor): void => {
    if (imgSamples > 0 && offset % every === 0 && !frames.has(offset)) {
      if (images.rank !== 4) throw new ShapeError(`latentWalk: images were requested but the generator returned rank ${images.rank}; expected [n, h, w, c].`);
      frames.set(offset, tf.tidy(() => images.slice([0, 0, 0, 0], [imgSamples, -1, -1, -1])));
    }
  };

  try {
    for (const sign of [1, -1]) {
      let z = latents.clone();
      let running: tf.Tensor2D | undefined; // the never-cleared gradient of 'accumulated'
      try {
        const last = before ? steps - 1 : steps;
        for (let s = 0; s <= last; s++) {
          const res = evaluate(z, s < steps);
          try {
            const lg = await res.logits.data();
            for (let i = 0; i < lg.length; i++) {
              if (!Number.isFinite(lg[i]!)) {
                throw new GanDebiasError(`latentWalk: logits became ${lg[i]} at step ${sign * s}; use a smaller stepSize or fewer steps.`);
              }
            }
            if (s === 0 && sign === 1) startLogits.set(lg);
            if (before || s > 0) {
              const pos = before ? s : s - 1;
              const block = sign === 1 ? pos : steps + pos;
              offsets[block] = sign * s;
              const base = block * n * k;
              for (let i = 0; i < n * k; i++) changes[base + i] = lg[i]! - startLogits[i]!;
            }
            keepFrame(sign * s, res.images);
            if (res.grad) {
              let direction = res.grad;
              if (accumulate) {
                const sum: tf.Tensor2D = running ? running.add(res.grad) : res.grad.clone();
                running?.dispose();
                running = sum;
                direction = sum;
              }
              const next = tf.tidy(() => z.add(direction.mul(sign * stepSize)) as tf.Tensor2D);
              z.dispose();
              z = next;
            }
          } finally {
            res.logits.dispose();
            res.images.dispose();
            res.grad?.dispose();
          }
        }
      } finally {
        z.dispose();
        running?.dispose();
      }
    }

    const result: LatentWalkResult = { attributeNames: names.slice(), targetIndex: t, samples: n, steps, attributes: k, startLogits, changes, offsets };
    if (imgSamples > 0) {
      const cols = [...frames.keys()].sort((a, b) => a - b);
      const grid = tf.tidy(() => {
        const stacked = tf.stack(cols.map((o) => frames.get(o)!), 1); // [m, cols, h, w, c]
        const [m, nc, h, w, c] = stacked.shape as [number, number, number, number, number];
        return stacked.reshape([m * nc, h, w, c]) as tf.Tensor4D;
      });
      try {
        result.trajectory = imageGrid(grid, imgSamples, cols.length, imgOpts);
      } finally {
        grid.dispose();
      }
      result.trajectoryOffsets = cols;
    }
    return result;
  } finally {
    for (const f of frames.values()) f.dispose();
  }
}
