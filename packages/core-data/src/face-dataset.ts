import { createRandom, InvalidArgumentError, ShapeError, tf, type Random } from '@dbvae/backend';
import { DatasetError } from './errors';
import { readLabH5, type ReadLabH5Options } from './hdf5';
import { uint8ToFloatBatch, type ChannelOrder, type DataFormat } from './image-tensor';
import { sampleUniformWithoutReplacement } from './uniform-sampling';
import { requireArrayLike, requireLength } from './weight-validation';
import { sampleWeighted } from './weighted-sampling';

/** Options shared by the {@link FaceDataset} constructors. */
export interface FaceDatasetOptions {
  /** Layout of the tensors produced. Default `'channelsLast'` (N, H, W, 3). */
  dataFormat?: DataFormat;
  /** Seed of the dataset's own generator, used when a call passes no `rng`. Default 0. */
  seed?: number;
}

/** Input of {@link FaceDataset.fromArrays}. */
export interface FaceDatasetArrays extends FaceDatasetOptions {
  /** Packed uint8 images, N x height x width x 3 (kept by reference, not copied). */
  images: Uint8Array;
  /** N labels: 1 = face, 0 = not a face. */
  labels: ArrayLike<number>;
  /** Image height. */
  height: number;
  /** Image width. */
  width: number;
  /** Channel order of `images`. Default `'rgb'`. */
  channelOrder?: ChannelOrder;
}

/** Options of {@link FaceDataset.getBatch}. */
export interface GetBatchOptions {
  /** Draw only faces (n of them) instead of half faces, half non-faces. Default false. */
  onlyFaces?: boolean;
  /** Sampling weights of the faces, aligned with `faceIndices` (the DB-VAE's resampling weights). Default uniform. */
  pPos?: ArrayLike<number>;
  /** Sampling weights of the non-faces, aligned with `nonFaceIndices`. Default uniform. */
  pNeg?: ArrayLike<number>;
  /** Generator to draw with; default the dataset's own (seeded by `seed`). */
  rng?: Random;
}

/** A batch: images as float32 RGB in [0, 1], labels (b, 1), and the storage rows drawn. */
export interface FaceBatch {
  /** Images, (b, H, W, 3) or (b, 3, H, W) per the dataset's `dataFormat`. */
  x: tf.Tensor4D;
  /** Labels, (b, 1), 1 = face. */
  y: tf.Tensor2D;
  /** Rows of the underlying image store, sorted ascending. */
  indices: Int32Array;
}

interface Store {
  images: Uint8Array;
  labels: Uint8Array;
  height: number;
  width: number;
  channelOrder: ChannelOrder;
}

/**
 * Faces and non-faces kept as uint8 in memory, served as float32 RGB batches in [0, 1]: the
 * semantics of the MIT 6.S191 lab loader, without its float copy of the whole set.
 *
 * `faceIndices` / `nonFaceIndices` are rows of the underlying store (file order). A split
 * ({@link FaceDataset.split}) shares the store: its indices still refer to the store's rows.
 *
 * @example
 * const ds = await FaceDataset.fromH5('train_face.h5');
 * const { x, y, indices } = ds.getBatch(32, { pPos: weights });
 * // ... train ...
 * x.dispose(); y.dispose();
 */
export class FaceDataset {
  /** Rows of the store that are faces (label 1), ascending. */
  readonly faceIndices: Int32Array;
  /** Rows of the store that are not faces (label 0), ascending. */
  readonly nonFaceIndices: Int32Array;
  /** Image height. */
  readonly height: number;
  /** Image width. */
  readonly width: number;
  /** Layout of produced tensors. */
  readonly dataFormat: DataFormat;
  private readonly store: Store;
  private readonly rng: Random;

  private constructor(store: Store, faceIndices: Int32Array, nonFaceIndices: Int32Array, options: FaceDatasetOptions) {
    const { dataFormat = 'channelsLast', seed = 0 } = options;
    if (dataFormat !== 'channelsLast' && dataFormat !== 'channelsFirst') {
      throw new InvalidArgumentError(`FaceDataset: dataFormat must be 'channelsLast' or 'channelsFirst', got ${String(dataFormat)}.`);
    }
    this.store = store;
    this.faceIndices = faceIndices;
    this.nonFaceIndices = nonFaceIndices;
    this.height = store.height;
    this.width = store.width;
    this.dataFormat = dataFormat;
    this.rng = createRandom(seed);
  }

  /**
   * Builds a dataset over packed uint8 images already in memory (not copied).
   *
   * @throws ShapeError if the byte count does not match N x H x W x 3; DatasetError for labels
   *   outside {0, 1}; InvalidArgumentError for bad sizes or options.
   */
  static fromArrays(data: FaceDatasetArrays): FaceDataset {
    const { images, labels, height, width, channelOrder = 'rgb' } = data;
    if (!(images instanceof Uint8Array)) throw new InvalidArgumentError('FaceDataset.fromArrays: images must be a Uint8Array of packed H x W x 3 bytes.');
    if (!Number.isInteger(height) || height <= 0 || !Number.isInteger(width) || width <= 0) {
      throw new InvalidArgumentError(`FaceDataset.fromArrays: height and width must be positive integers, got ${height} x ${width}.`);
    }
    if (channelOrder !== 'rgb' && channelOrder !== 'bgr') {
      throw new InvalidArgumentError(`FaceDataset.fromArrays: channelOrder must be 'rgb' or 'bgr', got ${String(channelOrder)}.`);
    }
    const n = labels.length;
    if (n === 0) throw new DatasetError('FaceDataset.fromArrays: no images (labels is empty).');
    if (images.length !== n * height * width * 3) {
      throw new ShapeError(`FaceDataset.fromArrays: ${images.length} bytes do not match ${n} images of ${height}x${width}x3 (${n * height * width * 3} bytes).`);
    }
    const lab = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = labels[i] as number;
      if (v !== 0 && v !== 1) throw new DatasetError(`FaceDataset.fromArrays: labels[${i}] = ${v}; labels must be 0 (not a face) or 1 (face).`);
      lab[i] = v;
    }
    return FaceDataset.fromStore({ images, labels: lab, height, width, channelOrder }, data);
  }

  /**
   * Reads an HDF5 file in the lab layout (see `readLabH5`; images stored BGR by default).
   * Memory: the raw uint8 image bytes plus one read slice.
   *
   * @throws Hdf5LayoutError for a missing or malformed file.
   */
  static async fromH5(path: string, options: FaceDatasetOptions & ReadLabH5Options = {}): Promise<FaceDataset> {
    const data = await readLabH5(path, options);
    return FaceDataset.fromStore(data, options);
  }

  private static fromStore(store: Store, options: FaceDatasetOptions): FaceDataset {
    let nf = 0;
    for (let i = 0; i < store.labels.length; i++) nf += store.labels[i] as number;
    const faces = new Int32Array(nf);
    const non = new Int32Array(store.labels.length - nf);
    let a = 0;
    let b = 0;
    for (let i = 0; i < store.labels.length; i++) {
      if (store.labels[i] === 1) faces[a++] = i;
      else non[b++] = i;
    }
    return new FaceDataset(store, faces, non, options);
  }

  /** Number of faces in this dataset. */
  get numFaces(): number {
    return this.faceIndices.length;
  }

  /** Number of non-faces in this dataset. */
  get numNonFaces(): number {
    return this.nonFaceIndices.length;
  }

  /** Number of images (faces + non-faces) in this dataset. */
  get size(): number {
    return this.faceIndices.length + this.nonFaceIndices.length;
  }

  /** The underlying packed uint8 images (all rows of the store, in their stored channel order). */
  get images(): Uint8Array {
    return this.store.images;
  }

  /** Channel order of the underlying store. */
  get channelOrder(): ChannelOrder {
    return this.store.channelOrder;
  }

  /** Label (0 or 1) of a store row. */
  label(row: number): number {
    const v = this.store.labels[row];
    if (v === undefined) throw new InvalidArgumentError(`FaceDataset.label: row ${row} is outside 0..${this.store.labels.length - 1}.`);
    return v;
  }

  /** Converts store rows to a float32 RGB image tensor only (no labels). */
  private imagesFromIndices(idx: Int32Array): tf.Tensor4D {
    return uint8ToFloatBatch(this.store.images, {
      height: this.height,
      width: this.width,
      channelOrder: this.store.channelOrder,
      dataFormat: this.dataFormat,
      indices: idx,
    });
  }

  /**
   * Converts the given store rows (in the given order) to a float32 RGB batch in [0, 1].
   * The caller disposes the tensors.
   */
  batchFromIndices(indices: ArrayLike<number>): FaceBatch {
    const idx = Int32Array.from(indices as ArrayLike<number>);
    const x = this.imagesFromIndices(idx);
    const yv = new Float32Array(idx.length);
    for (let i = 0; i < idx.length; i++) yv[i] = this.store.labels[idx[i] as number] as number;
    return { x, y: tf.tensor2d(yv, [idx.length, 1]), indices: idx };
  }

  /**
   * Draws a batch without replacement: `floor(n / 2)` faces with weights `pPos` and the rest
   * non-faces with weights `pNeg` (or `n` faces with `onlyFaces`), then sorts the rows, as the
   * lab's `get_batch` does. Weights default to uniform.
   *
   * @param n - Batch size, a positive integer.
   * @returns `{ x, y, indices }`; the caller disposes `x` and `y`.
   * @throws InvalidArgumentError for a bad n or weight vector (wrong length, negative, NaN,
   *   zero sum, fewer positive weights than items requested); DatasetError if a class is empty.
   */
  getBatch(n: number, options: GetBatchOptions = {}): FaceBatch {
    const { onlyFaces = false, pPos, pNeg, rng = this.rng } = options;
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`getBatch: n must be a positive integer, got ${n}.`);
    const nPos = onlyFaces ? n : Math.floor(n / 2);
    const nNeg = n - nPos;
    const pick = (pool: Int32Array, k: number, p: ArrayLike<number> | undefined, what: string): Int32Array => {
      if (k === 0) return new Int32Array(0);
      if (pool.length === 0) throw new DatasetError(`getBatch: the dataset has no ${what}; cannot draw ${k} of them.`);
      if (p === undefined && k > pool.length) {
        throw new InvalidArgumentError(`getBatch: asked for ${k} ${what} without replacement but only ${pool.length} exist; use a smaller batch.`);
      }
      let local: Int32Array;
      if (p === undefined) local = sampleUniformWithoutReplacement(pool.length, k, rng);
      else {
        // the sampler is scale-free and validates the entries: no normalised copy per batch
        const name = what === 'faces' ? 'pPos' : 'pNeg';
        requireArrayLike(p, `getBatch: ${name}`);
        requireLength(p, pool.length, `getBatch: ${name}`);
        local = sampleWeighted(p, k, rng, 'sorted', 'getBatch', name);
      }
      const rows = new Int32Array(k);
      for (let i = 0; i < k; i++) rows[i] = pool[local[i] as number] as number;
      return rows;
    };
    const pos = pick(this.faceIndices, nPos, pPos, 'faces');
    const neg = pick(this.nonFaceIndices, nNeg, pNeg, 'non-faces');
    const all = new Int32Array(n);
    all.set(pos, 0);
    all.set(neg, nPos);
    all.sort();
    return this.batchFromIndices(all);
  }

  /**
   * All faces as one float32 Tensor4D in `faceIndices` order. Memory: 4 bytes per value,
   * numFaces x H x W x 3 x 4 bytes (55k 64x64 faces = 2.7 GB); prefer {@link faceBatches}.
   */
  getAllFaces(): tf.Tensor4D {
    return this.imagesFromIndices(this.faceIndices);
  }

  /**
   * Yields the faces in `faceIndices` order as float32 Tensor4D batches of at most
   * `batchSize` (the caller disposes each), e.g. to compute latent means batch by batch.
   */
  *faceBatches(batchSize: number): Generator<tf.Tensor4D, void, undefined> {
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new InvalidArgumentError(`faceBatches: batchSize must be a positive integer, got ${batchSize}.`);
    for (let s = 0; s < this.faceIndices.length; s += batchSize) {
      yield this.imagesFromIndices(this.faceIndices.subarray(s, s + batchSize));
    }
  }

  /**
   * One epoch over every image of this dataset in batches (last one possibly smaller),
   * shuffled by default with `rng` (default the dataset's own). The caller disposes each batch.
   */
  *epoch(batchSize: number, options: { shuffle?: boolean; rng?: Random; onlyFaces?: boolean } = {}): Generator<FaceBatch, void, undefined> {
    const { shuffle = true, rng = this.rng, onlyFaces = false } = options;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new InvalidArgumentError(`epoch: batchSize must be a positive integer, got ${batchSize}.`);
    const rows = onlyFaces ? Int32Array.from(this.faceIndices) : new Int32Array(this.size);
    if (!onlyFaces) {
      rows.set(this.faceIndices, 0);
      rows.set(this.nonFaceIndices, this.faceIndices.length);
      rows.sort();
    }
    if (shuffle) {
      for (let i = rows.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const t = rows[i] as number;
        rows[i] = rows[j] as number;
        rows[j] = t;
      }
    }
    for (let s = 0; s < rows.length; s += batchSize) yield this.batchFromIndices(rows.subarray(s, s + batchSize));
  }

  /**
   * Train/test split of lab 3: the first `trainFraction` of the faces and of the non-faces (in
   * row order) train, the rest test. Both share this dataset's image store (no copy).
   *
   * @param trainFraction - In (0, 1). Default 0.8.
   */
  split(trainFraction = 0.8): {
    /** The first `trainFraction` of the faces and of the non-faces. */
    train: FaceDataset;
    /** The remaining rows. */
    test: FaceDataset;
  } {
    if (!(trainFraction > 0 && trainFraction < 1)) throw new InvalidArgumentError(`split: trainFraction must be in (0, 1), got ${trainFraction}.`);
    const cutF = Math.floor(this.faceIndices.length * trainFraction);
    const cutN = Math.floor(this.nonFaceIndices.length * trainFraction);
    const opts = { dataFormat: this.dataFormat };
    return {
      train: new FaceDataset(this.store, this.faceIndices.slice(0, cutF), this.nonFaceIndices.slice(0, cutN), { ...opts, seed: this.rng.next() * 1e9 }),
      test: new FaceDataset(this.store, this.faceIndices.slice(cutF), this.nonFaceIndices.slice(cutN), { ...opts, seed: this.rng.next() * 1e9 }),
    };
  }
}
