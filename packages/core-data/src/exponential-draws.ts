import type { Random } from '@dbvae/backend';

/**
 * Ziggurat tables of the standard exponential density e^-x (Marsaglia and Tsang, "The
 * ziggurat method for generating random variables", J. Stat. Softw. 2000): 256 strips of
 * equal area V; strip 0 is the base rectangle plus the tail beyond R.
 * `zk[i]` (as a fraction of 2^32) is the share of strip i lying wholly under the curve,
 * `zw[i]` maps a 32-bit word to an abscissa in strip i, `zf[i]` = e^-x_i.
 */
const ZIG_R = 7.69711747013105;
const ZIG_V = 3.949659822581572e-3;
const zk = new Float64Array(256);
const zw = new Float64Array(256);
const zf = new Float64Array(256);
{
  const m = 4294967296;
  let x = ZIG_R;
  let prev = x;
  const q = ZIG_V / Math.exp(-x);
  zk[0] = Math.floor((x / q) * m);
  zk[1] = 0; // the top strip has no part wholly under the curve: every draw there takes the slow test
  zw[0] = q / m;
  zw[255] = x / m;
  zf[0] = 1;
  zf[255] = Math.exp(-x);
  for (let i = 254; i >= 1; i--) {
    x = -Math.log(ZIG_V / x + Math.exp(-x));
    zk[i + 1] = Math.floor((x / prev) * m);
    prev = x;
    zf[i] = Math.exp(-x);
    zw[i] = x / m;
  }
}

/**
 * Random source of the weighted sampler's inner loops: sfc32 seeded with 128 bits drawn from
 * the caller's `Random`, so every draw is a deterministic function of the caller's seeded
 * stream. The state lives in an Int32Array (no boxed numbers) and exponentials come from the
 * ziggurat (no logarithm on the fast path, 98.9% of draws): an Exp(1) costs a few nanoseconds,
 * against about 30 ns for `-Math.log(rng.nextOpen())`.
 *
 * @internal
 */
export class ExponentialDraws {
  private readonly s = new Int32Array(4);

  /** Takes four 32-bit words from `rng` as the new state (the whole state: no earlier draw carries over). */
  reseed(rng: Random): void {
    const s = this.s;
    for (let j = 0; j < 4; j++) s[j] = (rng.next() * 4294967296) | 0;
    for (let j = 0; j < 8; j++) this.word();
  }

  /** One sfc32 step: a 32-bit word (as a signed int). */
  word(): number {
    const s = this.s;
    const a = s[0] as number;
    const b = s[1] as number;
    const c = s[2] as number;
    const d = s[3] as number;
    const t = (((a + b) | 0) + d) | 0;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) | 0;
    s[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    s[3] = (d + 1) | 0;
    return t;
  }

  /** Uniform in (0, 1) with 53 random bits; never 0 or 1. */
  open(): number {
    const hi = this.word() >>> 0;
    const lo = this.word() >>> 11;
    return hi * 2.3283064365386963e-10 + (lo + 0.5) * 1.1102230246251565e-16;
  }

  /** Standard exponential, Exp(1), by the ziggurat (strip index and abscissa from separate words). */
  exp(): number {
    for (;;) {
      const i = this.word() & 255;
      const j = this.word() >>> 0;
      if (j < (zk[i] as number)) return j * (zw[i] as number);
      if (i === 0) return ZIG_R - Math.log(this.open()); // tail: R + Exp(1), memorylessness
      const x = j * (zw[i] as number);
      const f1 = zf[i] as number;
      if (f1 + this.open() * ((zf[i - 1] as number) - f1) < Math.exp(-x)) return x;
    }
  }

  /** Exp(1) conditioned on being below `c` (> 0), by rejection: from U(0, c) when c <= 1, else from Exp(1). */
  expBelow(c: number): number {
    if (c <= 1) {
      for (;;) {
        const x = c * this.open();
        const v = this.open();
        // accept with probability e^-x; 1 - x <= e^-x is a cheap sufficient test
        if (v <= 1 - x || v <= Math.exp(-x)) return x;
      }
    }
    for (;;) {
      const x = this.exp();
      if (x < c) return x;
    }
  }
}

/**
 * Test hook: `n` draws of the sampler's exponential source seeded from `rng`: Exp(1), or
 * Exp(1) conditioned below `below` when given. Takes four words from `rng`, as a sampler call does.
 *
 * @internal
 */
export function exponentialDrawsForTests(rng: Random, n: number, below?: number): Float64Array {
  const draws = new ExponentialDraws();
  draws.reseed(rng);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = below === undefined ? draws.exp() : draws.expBelow(below);
  return out;
}
