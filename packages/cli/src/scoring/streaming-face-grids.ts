import type { ImageGridRow, RgbImage } from '../report/types';

/**
 * The report's face grids (average image per score percentile, least and most represented
 * images) computed in one streaming pass over the data, so memory is one chunk plus one
 * accumulator per percentile. Percentiles are cut as `averageFacesPerPercentile` cuts them
 * (ascending by score, earlier chunks take the remainder).
 * @param indices Source index of each scored row; `scores` the matching scores.
 */
export async function streamingFaceGrids(data: string, inputShape: [number, number, number], indices: readonly number[], scores: Float64Array, chunks: number, k: number, chunkSize: number): Promise<Array<{ title: string; rows: ImageGridRow[] }>> {
  const { openImageSource, iterateImageChunks } = await import('@dbvae/core-data');
  const [h, w] = inputShape;
  const size = h * w * 3;
  const n = indices.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number) || a - b);
  const bucketOf = new Map<number, number>();
  const base = Math.floor(n / chunks);
  const extra = n % chunks;
  let pos = 0;
  for (let c = 0; c < chunks; c++) {
    const count = base + (c < extra ? 1 : 0);
    for (let j = pos; j < pos + count; j++) bucketOf.set(indices[order[j] as number] as number, c);
    pos += count;
  }
  const least = order.slice(0, k).map((i) => indices[i] as number);
  const most = order.slice(-k).reverse().map((i) => indices[i] as number);
  const wanted = new Set([...least, ...most]);
  const picked = new Map<number, Uint8Array>();
  const sums = Array.from({ length: chunks }, () => new Float64Array(size));
  const counts = new Array<number>(chunks).fill(0);
  const source = await openImageSource(data, { size: [h, w] });
  try {
    for await (const chunk of iterateImageChunks(source, { chunkSize })) {
      for (let i = 0; i < chunk.n; i++) {
        const index = chunk.start + i;
        const c = bucketOf.get(index);
        if (c === undefined) continue;
        const px = chunk.images.subarray(i * size, (i + 1) * size);
        const acc = sums[c] as Float64Array;
        for (let p = 0; p < size; p++) acc[p] = (acc[p] as number) + (px[p] as number);
        counts[c] = (counts[c] as number) + 1;
        if (wanted.has(index)) picked.set(index, px.slice());
      }
    }
  } finally {
    await source.close();
  }
  const mean = (c: number): RgbImage => ({ data: Uint8Array.from(sums[c] as Float64Array, (v) => Math.round(v / Math.max(1, counts[c] as number))), width: w, height: h });
  const image = (index: number): RgbImage => ({ data: picked.get(index) ?? new Uint8Array(size), width: w, height: h });
  return [
    { title: 'Average image per bias percentile', rows: [{ label: 'mean face', images: Array.from({ length: chunks }, (_, c) => mean(c)) }] },
    { title: 'Least and most represented samples', rows: [{ label: 'least', images: least.map(image) }, { label: 'most', images: most.map(image) }] },
  ];
}
