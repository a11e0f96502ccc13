import { InvalidArgumentError, ShapeError, tf } from '@dbvae/backend';

/** Throws unless `value` is a positive integer. */
export function assertPositiveInt(where: string, key: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError(`${where}: ${key} must be a positive integer, got ${value}.`);
}

/** Throws unless `shape` is [height, width, channels] of positive integers. */
export function assertImageShape(where: string, shape: readonly number[]): void {
  if (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new InvalidArgumentError(`${where}: inputShape must be [height, width, channels] of positive integers, got [${shape}].`);
  }
}

/** Throws unless `value` is a finite number >= `min`. */
export function assertFiniteAtLeast(where: string, key: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidArgumentError(`${where}: ${key} must be a finite number >= ${min}, got ${value}.`);
  }
}

/** Throws unless the tensor has the given rank (and, where given, the given trailing dimensions). */
export function assertShape(where: string, name: string, t: tf.Tensor, rank: number, trailing?: ReadonlyArray<number | null>): void {
  if (t.rank !== rank) throw new ShapeError(`${where}: ${name} must have rank ${rank}, got shape [${t.shape}].`);
  if (trailing) {
    const offset = rank - trailing.length;
    trailing.forEach((d, i) => {
      if (d !== null && t.shape[offset + i] !== d) {
        throw new ShapeError(`${where}: ${name} must have shape [..., ${trailing.map((v) => (v === null ? '*' : v)).join(', ')}], got [${t.shape}].`);
      }
    });
  }
  if (t.shape[0] === 0) throw new ShapeError(`${where}: ${name} is empty (shape [${t.shape}]); pass at least one example.`);
}

/** Throws unless two tensors have identical shapes. */
export function assertSameShape(where: string, a: tf.Tensor, b: tf.Tensor, names: [string, string]): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${where}: ${names[0]} [${a.shape}] and ${names[1]} [${b.shape}] must have the same shape.`);
  }
}
