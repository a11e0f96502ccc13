import { createRandom, tf, type Random } from '@dbvae/backend';
import type { TrainingData } from '@dbvae/models';

/**
 * A tiny in-memory dataset for the tests (independent of @dbvae/core-data): faces are a disk
 * on a plain background, light (majority) or dark (minority); non-faces are blocky noise.
 */
export class ToyData implements TrainingData {
  readonly images: Float32Array;
  readonly labels: Float32Array;
  readonly group: Int32Array;
  readonly faceRows: number[] = [];
  readonly nonFaceRows: number[] = [];
  readonly size: number;
  readonly pPosSeen: Array<ArrayLike<number> | undefined> = [];
  private readonly pix: number;

  constructor(readonly nFaces: number, nNonFaces: number, readonly side = 16, seed = 1, minorityFraction = 0.2) {
    const rng = createRandom(seed);
    this.size = nFaces + nNonFaces;
    this.pix = side * side * 3;
    this.images = new Float32Array(this.size * this.pix);
    this.labels = new Float32Array(this.size);
    this.group = new Int32Array(this.size).fill(-1);
    for (let i = 0; i < this.size; i++) {
      const face = i % 2 === 0 ? i / 2 < nFaces : (i - 1) / 2 >= nNonFaces;
      this.labels[i] = face ? 1 : 0;
      (face ? this.faceRows : this.nonFaceRows).push(i);
      const off = i * this.pix;
      if (face) {
        const dark = rng.next() < minorityFraction;
        this.group[i] = dark ? 1 : 0;
        const tone = dark ? 0.25 + 0.1 * rng.next() : 0.8 + 0.1 * rng.next();
        const bg = 0.3 + 0.4 * rng.next();
        const cx = side / 2 + (rng.next() - 0.5) * 2;
        const r = side * (0.25 + 0.1 * rng.next());
        for (let yy = 0; yy < side; yy++)
          for (let xx = 0; xx < side; xx++) {
            const inside = (xx - cx) ** 2 + (yy - side / 2) ** 2 < r * r;
            for (let c = 0; c < 3; c++) this.images[off + (yy * side + xx) * 3 + c] = inside ? tone * (c === 0 ? 1 : 0.85) : bg;
          }
      } else {
        for (let yy = 0; yy < side; yy++)
          for (let xx = 0; xx < side; xx++) {
            const v = rng.next();
            for (let c = 0; c < 3; c++) this.images[off + (yy * side + xx) * 3 + c] = (v + rng.next()) / 2;
          }
      }
    }
  }

  get numFaces(): number {
    return this.faceRows.length;
  }

  rows(rows: number[]): { x: tf.Tensor4D; y: tf.Tensor2D } {
    const xs = new Float32Array(rows.length * this.pix);
    rows.forEach((r, i) => xs.set(this.images.subarray(r * this.pix, (r + 1) * this.pix), i * this.pix));
    return { x: tf.tensor4d(xs, [rows.length, this.side, this.side, 3]), y: tf.tensor2d(rows.map((r) => this.labels[r] as number), [rows.length, 1]) };
  }

  getBatch(n: number, options: { onlyFaces?: boolean; pPos?: ArrayLike<number>; rng?: Random } = {}): { x: tf.Tensor4D; y: tf.Tensor2D } {
    const rng = options.rng ?? createRandom(0);
    this.pPosSeen.push(options.pPos);
    const nPos = options.onlyFaces ? n : Math.floor(n / 2);
    const pick = (pool: number[], k: number, p?: ArrayLike<number>): number[] => {
      const out: number[] = [];
      for (let i = 0; i < k; i++) {
        if (!p) {
          out.push(pool[rng.int(pool.length)] as number);
          continue;
        }
        let u = rng.next();
        let j = 0;
        while (j < pool.length - 1 && u >= (p[j] as number)) u -= p[j++] as number;
        out.push(pool[j] as number);
      }
      return out;
    };
    return this.rows([...pick(this.faceRows, nPos, options.pPos), ...pick(this.nonFaceRows, n - nPos)]);
  }

  *faceBatches(batchSize: number): Generator<tf.Tensor4D> {
    for (let s = 0; s < this.faceRows.length; s += batchSize) {
      const { x, y } = this.rows(this.faceRows.slice(s, s + batchSize));
      y.dispose();
      yield x;
    }
  }
}
