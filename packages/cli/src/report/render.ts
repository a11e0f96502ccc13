import sharp from 'sharp';
import { DbvaeError } from '@dbvae/backend';
import type { ChartSpec } from './charts';

/** A chart could not be compiled or rendered (a malformed Vega-Lite specification). */
export class ChartRenderError extends DbvaeError {
  override readonly name: string = 'ChartRenderError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_CHART', options);
  }
}

type VegaModule = typeof import('vega');
type VegaLiteModule = typeof import('vega-lite');
let engines: Promise<[VegaModule, VegaLiteModule]> | undefined;

// vega and vega-lite are ESM-only; load them on first use so that the CJS build of this
// package (and `dbvae --help`) does not pay for them.
function loadEngines(): Promise<[VegaModule, VegaLiteModule]> {
  engines ??= Promise.all([import('vega'), import('vega-lite')]);
  return engines;
}

/**
 * Renders a Vega-Lite specification to a standalone SVG string in Node, without a browser:
 * compiles it with vega-lite and runs a headless vega View (`renderer: 'none'`).
 * @throws ChartRenderError when the specification does not compile or render.
 * @example
 * const svg = await renderChartSvg(groupProbabilityChart(models));
 */
export async function renderChartSvg(spec: ChartSpec): Promise<string> {
  const [vega, vl] = await loadEngines();
  let view: InstanceType<VegaModule['View']> | undefined;
  try {
    const compiled = vl.compile(spec as unknown as Parameters<VegaLiteModule['compile']>[0]).spec;
    view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
    return await view.toSVG();
  } catch (error) {
    throw new ChartRenderError(`Could not render chart: ${(error as Error).message}`, { cause: error });
  } finally {
    view?.finalize();
  }
}

/**
 * Rasterises an SVG string to PNG with sharp.
 * @param scale Pixel density relative to the SVG's size (2 for sharp text on high-DPI screens). Default 2.
 */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 * scale }).png({ compressionLevel: 9 }).toBuffer();
}
