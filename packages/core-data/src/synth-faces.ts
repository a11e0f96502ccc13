import { createRandom, InvalidArgumentError, type Random } from '@dbvae/backend';

/** The four test groups of the lab: light/dark skin x female/male. */
export type SynthGroup = 'LF' | 'LM' | 'DF' | 'DM';
/** Hair colours of SynthFaces. */
export type HairColor = 'black' | 'brown' | 'blond' | 'red';
/** Background styles of SynthFaces faces. */
export type BackgroundKind = 'plain' | 'gradient' | 'blotches';
/** Kinds of non-face images. `'skin-blobs'` are the spurious ones (dark-skin colour statistics). */
export type NonFaceKind = 'texture' | 'shapes' | 'scene' | 'skin-blobs';

/** The known latent attributes of one SynthFaces image (face attributes are null for non-faces). */
export interface SynthAttributes {
  /** 1 = face, 0 = not a face. */
  label: 0 | 1;
  /** Skin tone of a face. */
  skin: 'light' | 'dark' | null;
  /** Sex of a face. */
  sex: 'female' | 'male' | null;
  /** Lab test group of a face (skin x sex). */
  group: SynthGroup | null;
  /** Hair length of a face. */
  hairLength: 'short' | 'long' | null;
  /** Hair colour of a face. */
  hairColor: HairColor | null;
  /** Whether a face wears a hat. */
  hat: boolean | null;
  /** Whether a face wears glasses. */
  glasses: boolean | null;
  /** Head yaw in [-1, 1] (negative = turned left). */
  pose: number | null;
  /** Background style of a face. */
  background: BackgroundKind | null;
  /** Brightness factor of the whole image (1 = neutral). */
  lighting: number;
  /** Kind of a non-face. */
  nonFaceKind: NonFaceKind | null;
}

/** Probabilities that set the (controllable) bias of SynthFaces. */
export interface SynthSkew {
  /** P(dark skin) among faces. Default 0.1: dark skin is the rare attribute. */
  darkSkin: number;
  /** P(female) among faces. Default 0.5. */
  female: number;
  /** P(long hair | female). Default 0.8. */
  longHairFemale: number;
  /** P(long hair | male). Default 0.15. */
  longHairMale: number;
  /** Weights of hair colours black, brown, blond, red. Default [0.35, 0.35, 0.2, 0.1]. */
  hairColor: [number, number, number, number];
  /** P(hat). Default 0.15. */
  hat: number;
  /** P(glasses). Default 0.2. */
  glasses: number;
  /** Largest |yaw| of a head, in [0, 1]. Default 0.6. */
  poseSpread: number;
  /** Range of the brightness factor. Default [0.7, 1.2]. */
  lighting: [number, number];
}

/** Options of {@link generateSynthFaces}. */
export interface SynthFacesOptions {
  /** Number of images. Default 2000. */
  n?: number;
  /** Seed; the same options and seed always give the same images. Default 0. */
  seed?: number;
  /** Side of the square images in pixels. Default 64. */
  size?: number;
  /** Fraction of the images that are faces. Default 0.5. */
  faceFraction?: number;
  /** Attribute probabilities (merged over the defaults of {@link SynthSkew}). */
  skew?: Partial<SynthSkew>;
  /**
   * Fraction of the non-faces drawn with the colour statistics of the rare face attribute
   * (dark-skin ovals and blobs), so that a plain classifier can learn "dark skin tone means
   * not a face". Default 0.3; 0 turns the spurious cue off.
   */
  spuriousFraction?: number;
  /**
   * When set, faces cycle through these groups in order instead of following the skew
   * (e.g. `['LF', 'LM', 'DF', 'DM']` for a balanced test set).
   */
  groups?: SynthGroup[];
  /** Standard deviation-like amplitude of the per-pixel noise, in grey levels. Default 10. */
  noise?: number;
  /**
   * How strongly a face shows its sex: the female-minus-male difference of each rendered sex
   * cue (head width and height, brow thickness, lip size and lip colour) is multiplied by this
   * factor, male faces unchanged. Default 1 (the images of earlier versions, byte for byte); 0
   * draws every face with male cues (sex then invisible apart from hair and beard shadow); 2 or
   * 3 make sex visible at 32 x 32 pixels, e.g. for a generator to render it. Attributes and the
   * random draws do not depend on it.
   */
  sexCue?: number;
}

/** A generated set: RGB uint8 images, labels and per-image attributes. */
export interface SynthFacesData {
  /** Packed RGB bytes, n x size x size x 3. */
  images: Uint8Array;
  /** n labels, 1 = face. */
  labels: Uint8Array;
  /** Known attributes of each image. */
  attributes: SynthAttributes[];
  /** Image height (= size). */
  height: number;
  /** Image width (= size). */
  width: number;
  /** Always `'rgb'` in memory (the HDF5 file written by `writeSynthFaces` is BGR). */
  channelOrder: 'rgb';
}

/** The default skew: dark skin rare (10% of faces). */
export const DEFAULT_SYNTH_SKEW: Readonly<SynthSkew> = Object.freeze({
  darkSkin: 0.1,
  female: 0.5,
  longHairFemale: 0.8,
  longHairMale: 0.15,
  hairColor: [0.35, 0.35, 0.2, 0.1] as [number, number, number, number],
  hat: 0.15,
  glasses: 0.2,
  poseSpread: 0.6,
  lighting: [0.7, 1.2] as [number, number],
});

type RGB = [number, number, number];

const LIGHT_SKIN: RGB[] = [
  [241, 200, 172],
  [228, 180, 148],
  [235, 192, 160],
  [214, 168, 136],
];
const DARK_SKIN: RGB[] = [
  [112, 74, 52],
  [96, 62, 42],
  [128, 88, 62],
  [84, 56, 40],
];
const HAIR: Record<HairColor, RGB> = {
  black: [32, 26, 24],
  brown: [92, 60, 36],
  blond: [214, 182, 112],
  red: [160, 70, 36],
};
const HAIR_NAMES: HairColor[] = ['black', 'brown', 'blond', 'red'];

/** A float RGB canvas with simple rasterisers (no anti-aliasing). */
class Canvas {
  readonly px: Float32Array;
  constructor(readonly size: number) {
    this.px = new Float32Array(size * size * 3);
  }
  fill(c: RGB): void {
    for (let p = 0; p < this.px.length; p += 3) {
      this.px[p] = c[0];
      this.px[p + 1] = c[1];
      this.px[p + 2] = c[2];
    }
  }
  verticalGradient(top: RGB, bottom: RGB): void {
    const s = this.size;
    for (let y = 0; y < s; y++) {
      const t = y / (s - 1);
      const r = top[0] * (1 - t) + bottom[0] * t;
      const g = top[1] * (1 - t) + bottom[1] * t;
      const b = top[2] * (1 - t) + bottom[2] * t;
      for (let x = 0; x < s; x++) {
        const p = (y * s + x) * 3;
        this.px[p] = r;
        this.px[p + 1] = g;
        this.px[p + 2] = b;
      }
    }
  }
  /** Ellipse centred (cx, cy), radii (rx, ry), rotated by `angle`; optional y-range clip; alpha blend. */
  ellipse(cx: number, cy: number, rx: number, ry: number, c: RGB, opts: { angle?: number; alpha?: number; yMin?: number; yMax?: number; ring?: number } = {}): void {
    const { angle = 0, alpha = 1, yMin = -Infinity, yMax = Infinity, ring = 0 } = opts;
    const s = this.size;
    const r = Math.max(rx, ry);
    const x0 = Math.max(0, Math.floor(cx - r));
    const x1 = Math.min(s - 1, Math.ceil(cx + r));
    const y0 = Math.max(0, Math.floor(cy - r), Math.ceil(yMin));
    const y1 = Math.min(s - 1, Math.ceil(cy + r), Math.floor(yMax));
    const ca = Math.cos(angle);
    const sa = Math.sin(angle);
    const inner = ring > 0 ? [Math.max(0, rx - ring), Math.max(0, ry - ring)] : null;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        const u = dx * ca + dy * sa;
        const v = -dx * sa + dy * ca;
        const d = (u * u) / (rx * rx) + (v * v) / (ry * ry);
        if (d > 1) continue;
        if (inner && inner[0]! > 0 && inner[1]! > 0 && (u * u) / (inner[0]! * inner[0]!) + (v * v) / (inner[1]! * inner[1]!) < 1) continue;
        this.blend((y * s + x) * 3, c, alpha);
      }
    }
  }
  rect(x0: number, y0: number, x1: number, y1: number, c: RGB, alpha = 1): void {
    const s = this.size;
    const xa = Math.max(0, Math.round(x0));
    const xb = Math.min(s, Math.round(x1));
    const ya = Math.max(0, Math.round(y0));
    const yb = Math.min(s, Math.round(y1));
    for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) this.blend((y * s + x) * 3, c, alpha);
  }
  private blend(p: number, c: RGB, alpha: number): void {
    if (alpha >= 1) {
      this.px[p] = c[0];
      this.px[p + 1] = c[1];
      this.px[p + 2] = c[2];
    } else {
      this.px[p] = this.px[p]! * (1 - alpha) + c[0] * alpha;
      this.px[p + 1] = this.px[p + 1]! * (1 - alpha) + c[1] * alpha;
      this.px[p + 2] = this.px[p + 2]! * (1 - alpha) + c[2] * alpha;
    }
  }
  /** Writes into `out` at `offset` with brightness `light`, a left-right light gradient and noise. */
  quantize(out: Uint8Array, offset: number, light: number, tilt: number, noise: number, rng: Random): void {
    const s = this.size;
    // Pixel noise from a xorshift32 stream seeded by `rng` (per-pixel calls to `rng` would
    // dominate the generation time); triangular noise in (-noise, noise).
    let state = (rng.int(0x7fffffff) + 1) | 0;
    const unit = (): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 4294967296;
    };
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        const f = light * (1 + tilt * (x / (s - 1) - 0.5));
        const p = (y * s + x) * 3;
        for (let c = 0; c < 3; c++) {
          const v = this.px[p + c]! * f + noise * (unit() + unit() - 1);
          out[offset + p + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
        }
      }
    }
  }
}

const jitter = (c: RGB, amount: number, rng: Random): RGB => [c[0] + amount * (2 * rng.next() - 1), c[1] + amount * (2 * rng.next() - 1), c[2] + amount * (2 * rng.next() - 1)];
const scale = (c: RGB, f: number): RGB => [c[0] * f, c[1] * f, c[2] * f];
const mix = (a: RGB, b: RGB, t: number): RGB => [a[0] * (1 - t) + b[0] * t, a[1] * (1 - t) + b[1] * t, a[2] * (1 - t) + b[2] * t];
const randomColor = (rng: Random, lo = 30, hi = 230): RGB => [lo + (hi - lo) * rng.next(), lo + (hi - lo) * rng.next(), lo + (hi - lo) * rng.next()];
const pick = <T>(xs: readonly T[], rng: Random): T => xs[rng.int(xs.length)] as T;
function pickWeighted<T>(xs: readonly T[], w: readonly number[], rng: Random): T {
  const total = w.reduce((a, b) => a + b, 0);
  let u = rng.next() * total;
  for (let i = 0; i < xs.length; i++) {
    u -= w[i] as number;
    if (u < 0) return xs[i] as T;
  }
  return xs[xs.length - 1] as T;
}

function drawBackground(cv: Canvas, kind: BackgroundKind, rng: Random): void {
  const s = cv.size;
  if (kind === 'plain') cv.fill(randomColor(rng));
  else if (kind === 'gradient') cv.verticalGradient(randomColor(rng), randomColor(rng));
  else {
    cv.fill(randomColor(rng));
    for (let i = 0; i < 6; i++) cv.ellipse(rng.next() * s, rng.next() * s, (0.1 + 0.25 * rng.next()) * s, (0.1 + 0.25 * rng.next()) * s, randomColor(rng), { alpha: 0.6 });
  }
}

function drawFace(cv: Canvas, a: SynthAttributes, rng: Random, sexCue: number): void {
  const s = cv.size;
  const k = s / 64;
  const dark = a.skin === 'dark';
  const female = a.sex === 'female';
  // a sex cue's value: the male one, or the male one plus sexCue times the female-male difference
  // (exactly the female value at 1, so the default images stay what they were)
  const cue = (femaleValue: number, maleValue: number): number => (!female ? maleValue : sexCue === 1 ? femaleValue : maleValue + sexCue * (femaleValue - maleValue));
  const skin = jitter(pick(dark ? DARK_SKIN : LIGHT_SKIN, rng), 8, rng);
  const hair = jitter(HAIR[a.hairColor!], 10, rng);
  const pose = a.pose!;
  const cx = (32 + pose * 5 + (rng.next() - 0.5) * 4) * k;
  const cy = (31 + (rng.next() - 0.5) * 4) * k;
  const rx = Math.max(6, cue(13.5, 15)) * k * (1 - 0.15 * Math.abs(pose)) * (0.95 + 0.1 * rng.next());
  const ry = Math.max(10, cue(18, 19)) * k * (0.95 + 0.1 * rng.next());
  const tiltAngle = (rng.next() - 0.5) * 0.15;
  // hair behind the head
  if (a.hairLength === 'long') {
    cv.ellipse(cx, cy + 2 * k, rx + 5 * k, ry + 4 * k, hair, { angle: tiltAngle });
    cv.rect(cx - rx - 5 * k, cy, cx + rx + 5 * k, cy + ry + 12 * k, hair);
  }
  // shoulders (clothes) and neck
  const clothes = randomColor(rng, 20, 220);
  cv.ellipse(cx - pose * 2 * k, s + 4 * k, 28 * k, 16 * k, clothes);
  cv.rect(cx - rx * 0.45, cy + ry * 0.6, cx + rx * 0.45, cy + ry + 8 * k, scale(skin, 0.88));
  // head
  cv.ellipse(cx, cy, rx, ry, skin, { angle: tiltAngle });
  // ears
  cv.ellipse(cx - rx + pose * 2 * k, cy, 2.5 * k, 4 * k, scale(skin, 0.9));
  cv.ellipse(cx + rx + pose * 2 * k, cy, 2.5 * k, 4 * k, scale(skin, 0.9));
  // hair on top
  cv.ellipse(cx, cy - 3 * k, rx + 1.5 * k, ry + 1 * k, hair, { angle: tiltAngle, yMax: cy - ry * (a.hairLength === 'long' ? 0.45 : 0.55) });
  // features
  const fx = cx + pose * 4 * k;
  const eyeY = cy - ry * 0.12;
  const eyeDx = rx * 0.42;
  const brow = dark ? scale(skin, 0.55) : mix(hair, [40, 30, 25], 0.4);
  const white: RGB = dark ? mix(skin, [235, 230, 225], 0.3) : [240, 238, 235];
  const iris = jitter(dark ? [45, 30, 22] : [60, 70, 90], 10, rng);
  for (const side of [-1, 1]) {
    const ex = fx + side * eyeDx;
    cv.ellipse(ex, eyeY - 4 * k, 3.5 * k, Math.max(0.3, cue(0.8, 1.2)) * k, brow);
    cv.ellipse(ex, eyeY, 3 * k, 1.7 * k, white);
    cv.ellipse(ex + pose * k, eyeY, 1.5 * k, 1.5 * k, iris);
  }
  // nose
  cv.ellipse(fx + pose * 2 * k, cy + ry * 0.15, 1.5 * k, 3 * k, scale(skin, 0.85));
  // mouth
  const maleLips = mix(skin, [130, 60, 60], dark ? 0.3 : 0.45);
  const femaleLips = mix(skin, [190, 50, 70], dark ? 0.35 : 0.6);
  const lips = [0, 1, 2].map((c) => Math.min(255, Math.max(0, cue(femaleLips[c] as number, maleLips[c] as number)))) as RGB;
  cv.ellipse(fx + pose * 2 * k, cy + ry * 0.45, Math.max(2, cue(5, 5.5)) * k, cue(1.8, 1.3) * k, lips);
  // beard shadow for some men
  if (!female && rng.next() < 0.35) cv.ellipse(fx, cy + ry * 0.55, rx * 0.7, ry * 0.35, scale(hair, 0.9), { alpha: 0.45, yMin: cy + ry * 0.3 });
  if (a.glasses) {
    const frame = jitter([30, 30, 35], 15, rng);
    for (const side of [-1, 1]) cv.ellipse(fx + side * eyeDx, eyeY, 4.8 * k, 3.6 * k, frame, { ring: 1.1 * k });
    cv.rect(fx - eyeDx + 4.5 * k, eyeY - 0.6 * k, fx + eyeDx - 4.5 * k, eyeY + 0.6 * k, frame);
  }
  if (a.hat) {
    const hatC = randomColor(rng, 20, 220);
    cv.ellipse(cx, cy - ry * 0.62, rx * 1.45, 3 * k, hatC);
    cv.rect(cx - rx * 0.9, cy - ry - 8 * k, cx + rx * 0.9, cy - ry * 0.62, hatC);
  }
}

function drawNonFace(cv: Canvas, kind: NonFaceKind, rng: Random): void {
  const s = cv.size;
  if (kind === 'texture') {
    const a = randomColor(rng);
    const b = randomColor(rng);
    const period = (3 + rng.next() * 10) * (s / 64);
    const angle = rng.next() * Math.PI;
    const ca = Math.cos(angle);
    const sa = Math.sin(angle);
    const style = rng.int(3);
    for (let y = 0; y < s; y++) {
      for (let x = 0; x < s; x++) {
        let t: number;
        const u = (x * ca + y * sa) / period;
        if (style === 0) t = 0.5 + 0.5 * Math.sin(2 * Math.PI * u);
        else if (style === 1) t = (Math.floor(x / period) + Math.floor(y / period)) % 2;
        else t = 0.5 + 0.25 * Math.sin(2 * Math.PI * u) + 0.25 * Math.sin((2 * Math.PI * (-x * sa + y * ca)) / (period * 1.7));
        const p = (y * s + x) * 3;
        cv.px[p] = a[0] * (1 - t) + b[0] * t;
        cv.px[p + 1] = a[1] * (1 - t) + b[1] * t;
        cv.px[p + 2] = a[2] * (1 - t) + b[2] * t;
      }
    }
  } else if (kind === 'shapes') {
    drawBackground(cv, rng.next() < 0.5 ? 'plain' : 'gradient', rng);
    const m = 2 + rng.int(6);
    for (let i = 0; i < m; i++) {
      const c = randomColor(rng);
      const x = rng.next() * s;
      const y = rng.next() * s;
      const w = (0.05 + 0.3 * rng.next()) * s;
      const h = (0.05 + 0.3 * rng.next()) * s;
      if (rng.next() < 0.5) cv.ellipse(x, y, w, h, c, { angle: rng.next() * Math.PI });
      else cv.rect(x - w, y - h, x + w, y + h, c);
    }
  } else if (kind === 'scene') {
    const horizon = (0.3 + 0.4 * rng.next()) * s;
    const sky = randomColor(rng, 120, 240);
    const ground = randomColor(rng, 30, 180);
    cv.verticalGradient(sky, mix(sky, [255, 255, 255], 0.4));
    cv.rect(0, horizon, s, s, ground);
    if (rng.next() < 0.6) cv.ellipse(rng.next() * s, horizon * 0.4, 5 * (s / 64), 5 * (s / 64), [250, 230, 120]);
    const m = rng.int(5);
    for (let i = 0; i < m; i++) {
      const x = rng.next() * s;
      const w = (2 + 6 * rng.next()) * (s / 64);
      const h = (8 + 20 * rng.next()) * (s / 64);
      const c = randomColor(rng, 20, 140);
      cv.rect(x - w / 3, horizon - h * 0.6, x + w / 3, horizon + 2, scale(c, 0.7));
      cv.ellipse(x, horizon - h * 0.6, w, h * 0.45, c);
    }
  } else {
    // skin-blobs: the colour statistics (and rough silhouette) of a dark-skinned head, with
    // no facial features: a plain classifier can key on "dark skin tone" instead of on faces.
    drawBackground(cv, pick(['plain', 'gradient', 'blotches'] as const, rng), rng);
    const skin = jitter(pick(DARK_SKIN, rng), 10, rng);
    const k = s / 64;
    const cx = (32 + (rng.next() - 0.5) * 10) * k;
    const cy = (31 + (rng.next() - 0.5) * 8) * k;
    const rx = (12 + 5 * rng.next()) * k;
    const ry = (16 + 5 * rng.next()) * k;
    const hair = jitter(pick([HAIR.black, HAIR.brown, HAIR.black, HAIR.blond], rng), 10, rng);
    const style = rng.int(3);
    if (style === 0) {
      cv.ellipse(cx, cy + 2 * k, rx + 5 * k, ry + 4 * k, hair);
      cv.rect(cx - rx - 5 * k, cy, cx + rx + 5 * k, cy + ry + 12 * k, hair);
    }
    if (rng.next() < 0.7) {
      cv.ellipse(cx, s + 4 * k, 28 * k, 16 * k, randomColor(rng, 20, 220));
      cv.rect(cx - rx * 0.45, cy + ry * 0.6, cx + rx * 0.45, cy + ry + 8 * k, scale(skin, 0.88));
    }
    cv.ellipse(cx, cy, rx, ry, skin, { angle: (rng.next() - 0.5) * 0.4 });
    if (style !== 2) cv.ellipse(cx, cy - 3 * k, rx + 1.5 * k, ry + 1 * k, hair, { yMax: cy - ry * 0.5 });
    const m = rng.int(4);
    for (let i = 0; i < m; i++) {
      cv.ellipse(cx + (rng.next() - 0.5) * rx * 1.4, cy + (rng.next() - 0.5) * ry * 1.4, (1 + 3 * rng.next()) * k, (1 + 2 * rng.next()) * k, rng.next() < 0.6 ? scale(skin, 0.5 + 0.4 * rng.next()) : randomColor(rng));
    }
  }
}

function resolveSkew(skew: Partial<SynthSkew> | undefined): SynthSkew {
  const s: SynthSkew = { ...DEFAULT_SYNTH_SKEW, hairColor: [...DEFAULT_SYNTH_SKEW.hairColor], lighting: [...DEFAULT_SYNTH_SKEW.lighting], ...skew };
  for (const key of ['darkSkin', 'female', 'longHairFemale', 'longHairMale', 'hat', 'glasses', 'poseSpread'] as const) {
    const v = s[key];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new InvalidArgumentError(`generateSynthFaces: skew.${key} must be a probability in [0, 1], got ${String(v)}.`);
  }
  if (!Array.isArray(s.hairColor) || s.hairColor.length !== 4 || s.hairColor.some((w) => !(w >= 0) || !Number.isFinite(w)) || s.hairColor.reduce((a, b) => a + b, 0) <= 0) {
    throw new InvalidArgumentError('generateSynthFaces: skew.hairColor must be 4 non-negative finite weights (black, brown, blond, red) with a positive sum.');
  }
  const [lo, hi] = s.lighting;
  if (!(lo > 0 && hi >= lo && Number.isFinite(hi))) throw new InvalidArgumentError(`generateSynthFaces: skew.lighting must be [min, max] with 0 < min <= max, got [${s.lighting}].`);
  return s;
}

/**
 * Generates SynthFaces: seeded synthetic face and non-face images with known attributes and a
 * controllable bias. Faces are rasterised geometry (head ellipse in a skin tone, hair, eyes,
 * brows, nose, mouth, optional glasses, hat and beard shadow) over varied backgrounds, with
 * pose, lighting and pixel noise; non-faces are textures, shapes and scenes, plus a
 * `spuriousFraction` of "skin blobs" that share the rare dark-skin tone's colours. By default
 * only 10% of faces have dark skin, so a plain classifier is worse on them.
 *
 * Image i depends only on (seed, i, options), so a larger `n` extends a smaller set.
 *
 * @returns RGB uint8 images, labels and per-image attributes.
 * @throws InvalidArgumentError for a bad n, size, fraction, skew or sexCue.
 * @example
 * const { images, labels, attributes } = generateSynthFaces({ n: 1000, seed: 1 });
 * const ds = FaceDataset.fromArrays({ images, labels, height: 64, width: 64 });
 */
export function generateSynthFaces(options: SynthFacesOptions = {}): SynthFacesData {
  const { n = 2000, seed = 0, size = 64, faceFraction = 0.5, spuriousFraction = 0.3, groups, noise = 10, sexCue = 1 } = options;
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`generateSynthFaces: n must be a positive integer, got ${n}.`);
  if (!Number.isInteger(size) || size < 16 || size > 1024) throw new InvalidArgumentError(`generateSynthFaces: size must be an integer in [16, 1024], got ${size}.`);
  if (!(faceFraction >= 0 && faceFraction <= 1)) throw new InvalidArgumentError(`generateSynthFaces: faceFraction must be in [0, 1], got ${faceFraction}.`);
  if (!(spuriousFraction >= 0 && spuriousFraction <= 1)) throw new InvalidArgumentError(`generateSynthFaces: spuriousFraction must be in [0, 1], got ${spuriousFraction}.`);
  if (!(noise >= 0 && Number.isFinite(noise))) throw new InvalidArgumentError(`generateSynthFaces: noise must be a finite non-negative number, got ${noise}.`);
  if (!(sexCue >= 0 && sexCue <= 5)) throw new InvalidArgumentError(`generateSynthFaces: sexCue must be a number in [0, 5] (1 = the default faces), got ${sexCue}.`);
  if (groups !== undefined && (groups.length === 0 || groups.some((g) => !['LF', 'LM', 'DF', 'DM'].includes(g)))) {
    throw new InvalidArgumentError(`generateSynthFaces: groups must be a non-empty list of 'LF', 'LM', 'DF', 'DM'.`);
  }
  if (!Number.isFinite(seed)) throw new InvalidArgumentError(`generateSynthFaces: seed must be a finite number, got ${seed}.`);
  const skew = resolveSkew(options.skew);
  const imageSize = size * size * 3;
  const images = new Uint8Array(n * imageSize);
  const labels = new Uint8Array(n);
  const attributes: SynthAttributes[] = [];
  const cv = new Canvas(size);
  const master = createRandom(seed);
  const seeds = [master.next(), master.next()];
  let faceCount = 0;
  for (let i = 0; i < n; i++) {
    // one generator per image: image i depends only on (seed, i)
    const rng = createRandom((seeds[0]! * 1e6 + i * 7.31) % 4294967296);
    const isFace = rng.next() < faceFraction;
    const lighting = skew.lighting[0] + (skew.lighting[1] - skew.lighting[0]) * rng.next();
    let a: SynthAttributes;
    if (isFace) {
      let dark: boolean;
      let female: boolean;
      if (groups) {
        const g = groups[faceCount % groups.length]!;
        dark = g[0] === 'D';
        female = g[1] === 'F';
        rng.next();
        rng.next();
      } else {
        dark = rng.next() < skew.darkSkin;
        female = rng.next() < skew.female;
      }
      faceCount++;
      const long = rng.next() < (female ? skew.longHairFemale : skew.longHairMale);
      a = {
        label: 1,
        skin: dark ? 'dark' : 'light',
        sex: female ? 'female' : 'male',
        group: `${dark ? 'D' : 'L'}${female ? 'F' : 'M'}` as SynthGroup,
        hairLength: long ? 'long' : 'short',
        hairColor: pickWeighted(HAIR_NAMES, skew.hairColor, rng),
        hat: rng.next() < skew.hat,
        glasses: rng.next() < skew.glasses,
        pose: skew.poseSpread * (2 * rng.next() - 1),
        background: pick(['plain', 'gradient', 'blotches'] as const, rng),
        lighting,
        nonFaceKind: null,
      };
      drawBackground(cv, a.background!, rng);
      drawFace(cv, a, rng, sexCue);
    } else {
      const kind: NonFaceKind = rng.next() < spuriousFraction ? 'skin-blobs' : pick(['texture', 'shapes', 'scene'] as const, rng);
      a = { label: 0, skin: null, sex: null, group: null, hairLength: null, hairColor: null, hat: null, glasses: null, pose: null, background: null, lighting, nonFaceKind: kind };
      drawNonFace(cv, kind, rng);
    }
    cv.quantize(images, i * imageSize, lighting, (rng.next() - 0.5) * 0.6, noise, rng);
    labels[i] = a.label;
    attributes.push(a);
  }
  return { images, labels, attributes, height: size, width: size, channelOrder: 'rgb' };
}
