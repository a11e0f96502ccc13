import { InvalidArgumentError } from './errors';

/**
 * A small, fast, seedable pseudo-random generator shared by all packages, so that every
 * draw in dbvae (batch sampling, synthetic data, bootstraps) repeats under a seed.
 */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform float in (0, 1): never 0, safe under `Math.log`. */
  nextOpen(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal draw (Box-Muller). */
  normal(): number;
  /** A new generator whose stream is independent of this one's continuation. */
  fork(): Random;
}

/**
 * Creates a seeded generator (sfc32 seeded through splitmix32). Any finite number is a valid
 * seed; the same seed always gives the same stream on every platform.
 *
 * @param seed - The seed; fractional parts are kept, so `1.5` and `1` differ.
 */
export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) {
    throw new InvalidArgumentError(`createRandom: seed must be a finite number, got ${seed}.`);
  }
  // splitmix32 turns one number into four well-mixed 32-bit words.
  let s = (Math.floor(seed) ^ Math.round((seed % 1) * 0x7fffffff)) >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) nextUint32();
  let spareNormal: number | undefined;
  const rng: Random = {
    next: () => nextUint32() / 4294967296,
    nextOpen: () => (nextUint32() + 0.5) / 4294967296,
    int: (n: number) => {
      if (!Number.isInteger(n) || n <= 0) {
        throw new InvalidArgumentError(`Random.int: n must be a positive integer, got ${n}.`);
      }
      return Math.floor((nextUint32() / 4294967296) * n);
    },
    normal: () => {
      if (spareNormal !== undefined) {
        const v = spareNormal;
        spareNormal = undefined;
        return v;
      }
      const u = rng.nextOpen();
      const v = rng.next();
      const r = Math.sqrt(-2 * Math.log(u));
      spareNormal = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    fork: () => createRandom(nextUint32() + nextUint32() / 4294967296),
  };
  return rng;
}
