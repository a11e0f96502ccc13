import { describe, it, expect } from 'vitest';
import { InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { averageFacesPerPercentile, extremeImages } from '../src/report/face-grids';

// Five 1x1 images whose only pixel is (v, v, v) for v = 10, 20, 30, 40, 50.
const images = { data: new Uint8Array([10, 10, 10, 20, 20, 20, 30, 30, 30, 40, 40, 40, 50, 50, 50]), n: 5, width: 1, height: 1 };
const scores = [0.5, 0.1, 0.4, 0.2, 0.3]; // ascending order: images 1, 3, 4, 2, 0 -> values 20, 40, 50, 30, 10

describe('averageFacesPerPercentile', () => {
  it('averages consecutive chunks of the score order, remainder first', () => {
    const row = averageFacesPerPercentile(images, scores, 2);
    // chunk 1 (3 images): 20, 40, 50 -> 36.67 -> 37; chunk 2: 30, 10 -> 20
    expect(row.images.map((i) => Array.from(i.data))).toEqual([[37, 37, 37], [20, 20, 20]]);
    expect(row.label).toBe('mean face');
    expect(averageFacesPerPercentile(images, scores, 5).images.map((i) => i.data[0])).toEqual([20, 40, 50, 30, 10]);
  });

  it('validates its inputs', () => {
    expect(() => averageFacesPerPercentile(images, scores, 6)).toThrow(InvalidArgumentError);
    expect(() => averageFacesPerPercentile(images, [1, 2], 2)).toThrow(ShapeError);
    expect(() => averageFacesPerPercentile({ ...images, n: 4 }, scores.slice(0, 4))).toThrow(ShapeError);
    expect(() => averageFacesPerPercentile(images, [0, 0, Number.NaN, 0, 0], 2)).toThrow(/finite/);
  });
});

describe('extremeImages', () => {
  it('returns the k lowest (ascending) and k highest (descending) images', () => {
    const [least, most] = extremeImages(images, scores, 2);
    expect(least!.images.map((i) => i.data[0])).toEqual([20, 40]);
    expect(most!.images.map((i) => i.data[0])).toEqual([10, 30]);
    expect([least!.label, most!.label]).toEqual(['least', 'most']);
    expect(() => extremeImages(images, scores, 0)).toThrow(InvalidArgumentError);
  });
});
