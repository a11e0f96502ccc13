import type { Random, tf } from '@dbvae/backend';

/**
 * What the training loops need from a dataset; `FaceDataset` of `@dbvae/core-data` satisfies
 * it, and so can any small in-memory implementation.
 */
export interface TrainingData {
  /** Number of faces (label 1). */
  readonly numFaces: number;
  /** Number of images, faces and non-faces. */
  readonly size: number;
  /**
   * A batch of n images as float32 in [0, 1] with (n, 1) labels: half faces drawn with weights
   * `pPos` (aligned with the order of {@link TrainingData.faceBatches}), half non-faces, or n
   * faces with `onlyFaces`. The caller disposes `x` and `y`.
   */
  getBatch(
    n: number,
    options?: { onlyFaces?: boolean; pPos?: ArrayLike<number>; rng?: Random },
  ): {
    /** Images, (n, height, width, 3) float32 in [0, 1]. */
    x: tf.Tensor4D;
    /** Labels, (n, 1): 1 for a face, 0 for a non-face. */
    y: tf.Tensor2D;
  };
  /** All faces in a fixed order, in batches the caller disposes. */
  faceBatches(batchSize: number): Iterable<tf.Tensor4D>;
}
