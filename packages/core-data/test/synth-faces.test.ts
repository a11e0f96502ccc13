import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, InvalidArgumentError } from '@dbvae/backend';
import { FaceDataset, generateSynthFaces, loadImageFolder, readLabH5, writeSynthFaces, type SynthAttributes } from '@dbvae/core-data';

let dir: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  dir = mkdtempSync(join(tmpdir(), 'core-data-synth-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Mean RGB of the central 8x8 patch of image i (the middle of the face / of the non-face). */
function centreMean(images: Uint8Array, i: number, s = 64): [number, number, number] {
  const m: [number, number, number] = [0, 0, 0];
  for (let y = s / 2 - 4; y < s / 2 + 4; y++) for (let x = s / 2 - 4; x < s / 2 + 4; x++) for (let c = 0; c < 3; c++) m[c] = (m[c] as number) + (images[(i * s * s + y * s + x) * 3 + c] as number) / 64;
  return m;
}

describe('generateSynthFaces', () => {
  it('is deterministic under a seed, and image i does not depend on n', () => {
    const a = generateSynthFaces({ n: 20, seed: 7 });
    const b = generateSynthFaces({ n: 30, seed: 7 });
    const c = generateSynthFaces({ n: 20, seed: 8 });
    expect(Buffer.compare(Buffer.from(a.images), Buffer.from(b.images.subarray(0, a.images.length)))).toBe(0);
    expect(b.attributes.slice(0, 20)).toEqual(a.attributes);
    expect(Buffer.compare(Buffer.from(a.images), Buffer.from(c.images))).not.toBe(0);
    expect(a.images.length).toBe(20 * 64 * 64 * 3);
  });

  it('follows the skew: face fraction, rare dark skin, hair length by sex', () => {
    const n = 3000;
    const d = generateSynthFaces({ n, seed: 1, size: 16, noise: 0 });
    const faces = d.attributes.filter((a) => a.label === 1);
    const within = (count: number, total: number, p: number): void => {
      expect(Math.abs(count / total - p)).toBeLessThan(4.5 * Math.sqrt((p * (1 - p)) / total));
    };
    within(faces.length, n, 0.5);
    within(faces.filter((a) => a.skin === 'dark').length, faces.length, 0.1);
    const women = faces.filter((a) => a.sex === 'female');
    within(women.filter((a) => a.hairLength === 'long').length, women.length, 0.8);
    const men = faces.filter((a) => a.sex === 'male');
    within(men.filter((a) => a.hairLength === 'long').length, men.length, 0.15);
    const non = d.attributes.filter((a) => a.label === 0);
    within(non.filter((a) => a.nonFaceKind === 'skin-blobs').length, non.length, 0.3);
    expect(non.every((a) => a.skin === null && a.group === null && a.nonFaceKind !== null)).toBe(true);
    expect(Array.from(d.labels)).toEqual(d.attributes.map((a) => a.label));
    const skewed = generateSynthFaces({ n: 2000, seed: 2, size: 16, skew: { darkSkin: 0.5 }, spuriousFraction: 0 });
    const f2 = skewed.attributes.filter((a) => a.label === 1);
    within(f2.filter((a) => a.skin === 'dark').length, f2.length, 0.5);
    expect(skewed.attributes.some((a) => a.nonFaceKind === 'skin-blobs')).toBe(false);
  });

  it('paints the skin tone: dark faces and skin-blob non-faces share colour statistics, light faces do not', () => {
    const d = generateSynthFaces({ n: 600, seed: 3, skew: { darkSkin: 0.5, glasses: 0, hat: 0 }, noise: 0 });
    const lum = (a: SynthAttributes | ((a: SynthAttributes) => boolean)): number => {
      const pred = typeof a === 'function' ? a : () => true;
      let s = 0;
      let k = 0;
      d.attributes.forEach((at, i) => {
        if (pred(at)) {
          const [r, g, b] = centreMean(d.images, i);
          s += (r + g + b) / 3 / (at.lighting ?? 1);
          k++;
        }
      });
      return s / k;
    };
    const light = lum((a) => a.skin === 'light');
    const dark = lum((a) => a.skin === 'dark');
    const blobs = lum((a) => a.nonFaceKind === 'skin-blobs');
    expect(light - dark).toBeGreaterThan(60);
    expect(Math.abs(dark - blobs)).toBeLessThan(25);
  });

  it('cycles through forced groups for balanced test sets', () => {
    const d = generateSynthFaces({ n: 12, seed: 4, faceFraction: 1, groups: ['LF', 'LM', 'DF', 'DM'] });
    expect(d.attributes.map((a) => a.group)).toEqual(['LF', 'LM', 'DF', 'DM', 'LF', 'LM', 'DF', 'DM', 'LF', 'LM', 'DF', 'DM']);
    expect(d.attributes.every((a) => (a.group![0] === 'D') === (a.skin === 'dark'))).toBe(true);
  });

  it('validates options', () => {
    expect(() => generateSynthFaces({ n: 0 })).toThrow(InvalidArgumentError);
    expect(() => generateSynthFaces({ n: 5, skew: { darkSkin: 1.5 } })).toThrow(/skew.darkSkin/);
    expect(() => generateSynthFaces({ n: 5, faceFraction: -0.1 })).toThrow(InvalidArgumentError);
    expect(() => generateSynthFaces({ n: 5, groups: ['XX' as never] })).toThrow(/groups/);
    expect(() => generateSynthFaces({ n: 5, size: 8 })).toThrow(/size/);
    for (const sexCue of [-1, 5.5, Number.NaN]) expect(() => generateSynthFaces({ n: 5, sexCue })).toThrow(/sexCue/);
  });

  it('sexCue 1 draws the images of the version before the option existed, byte for byte', () => {
    // FNV-1a of generateSynthFaces({ n: 64, seed: 3 }).images, computed with the source before
    // sexCue was added (commit 5261ce1): earlier datasets, models and measurements stay valid
    const fnv = (bytes: Uint8Array): string => {
      let h = 2166136261;
      for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
      return h.toString(16);
    };
    expect(fnv(generateSynthFaces({ n: 64, seed: 3 }).images)).toBe('a664969');
    expect(fnv(generateSynthFaces({ n: 64, seed: 3, sexCue: 1 }).images)).toBe('a664969');
  });

  it('sexCue changes only female faces, leaves attributes alone, and makes their lips redder', () => {
    const size = 64;
    const per = size * size * 3;
    const sets = [0, 1, 3].map((sexCue) => generateSynthFaces({ n: 60, seed: 9, faceFraction: 1, sexCue }));
    const [none, base, strong] = sets as [ReturnType<typeof generateSynthFaces>, ReturnType<typeof generateSynthFaces>, ReturnType<typeof generateSynthFaces>];
    expect(strong.attributes).toEqual(base.attributes);
    expect(none.attributes).toEqual(base.attributes);
    // vivid red pixels (lipstick-like: red well above green and blue) in one image
    const vividRed = (d: typeof base, i: number): number => {
      let count = 0;
      for (let p = i * per; p < (i + 1) * per; p += 3) {
        const [r, g, b] = [d.images[p]!, d.images[p + 1]!, d.images[p + 2]!];
        if (r - g > 110 && r - b > 80) count++;
      }
      return count;
    };
    const same = (a: typeof base, b: typeof base, i: number): boolean => a.images.subarray(i * per, (i + 1) * per).every((v, j) => v === b.images[i * per + j]);
    let females = 0;
    let redder = 0;
    for (let i = 0; i < base.attributes.length; i++) {
      if (base.attributes[i]!.sex === 'male') {
        expect(same(base, strong, i)).toBe(true);
        expect(same(base, none, i)).toBe(true);
      } else {
        females++;
        expect(same(base, strong, i)).toBe(false);
        if (vividRed(strong, i) > vividRed(base, i) + 10) redder++;
      }
    }
    expect(females).toBeGreaterThan(15);
    // light-skinned lips at cue 3 are about (250, 55, 90); at cue 1 (210, 110, 105)
    expect(redder / females).toBeGreaterThan(0.8);
  });
});

describe('writeSynthFaces', () => {
  it('writes train.h5 (BGR), attributes.json and balanced PNG test folders that the loaders read back', async () => {
    const out = join(dir, 'synth');
    const res = await writeSynthFaces(out, { n: 40, seed: 5, testPerGroup: 3 });
    const gen = generateSynthFaces({ n: 40, seed: 5 });
    const raw = await readLabH5(res.trainPath);
    expect(raw.n).toBe(40);
    expect(raw.images[0]).toBe(gen.images[2]); // BGR on disk
    expect(raw.images[2]).toBe(gen.images[0]);
    expect(Array.from(raw.labels)).toEqual(Array.from(gen.labels));
    const ds = await FaceDataset.fromH5(res.trainPath);
    expect(ds.numFaces).toBe(res.counts.trainFaces);
    const table = JSON.parse(readFileSync(res.attributesPath, 'utf8')) as { attributes: SynthAttributes[] };
    expect(table.attributes).toEqual(gen.attributes);
    expect(readdirSync(res.testDir).sort()).toEqual(['DF', 'DM', 'LF', 'LM']);
    const test = await loadImageFolder(res.testDir, { size: [64, 64], groups: true });
    expect(test.files.length).toBe(12);
    const expected = generateSynthFaces({ n: 12, seed: 5 + 1000003, faceFraction: 1, groups: ['LF', 'LM', 'DF', 'DM'] });
    // PNG is lossless: DF/0001.png is the 3rd generated test face
    const k = test.files.indexOf(join('DF', '0001.png'));
    expect(Buffer.compare(Buffer.from(test.images.subarray(k * 12288, (k + 1) * 12288)), Buffer.from(expected.images.subarray(2 * 12288, 3 * 12288)))).toBe(0);
  });
});
