import { createRequire } from 'node:module';
import type { ChartData } from './data.js';
import { CHART_FONT, chartSpec } from './spec.js';

/** DejaVu Sans from npm rather than the system's fonts: the same pixels on every machine and in the image. */
const FONT_FILE = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');

/** Rendered at twice the spec's size so the text stays sharp on high-density phone screens. */
const PIXEL_RATIO = 2;

export interface RenderedChart {
  svg: string;
  png: Buffer;
}

/**
 * Vega-Lite → Vega → SVG (no canvas: vega measures text by estimate) → PNG with resvg, off the event loop.
 * The libraries are imported on first use, so the CLI and the bot's start never load them.
 */
export async function renderChart(data: ChartData): Promise<RenderedChart> {
  const [vegaLite, vega, resvg] = await Promise.all([import('vega-lite'), import('vega'), import('@resvg/resvg-js')]);
  const view = new vega.View(vega.parse(vegaLite.compile(chartSpec(data) as never).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const image = await resvg.renderAsync(svg, {
      font: {
        loadSystemFonts: false,
        fontFiles: [FONT_FILE],
        defaultFontFamily: CHART_FONT,
        sansSerifFamily: CHART_FONT,
      },
      fitTo: { mode: 'zoom', value: PIXEL_RATIO },
      background: 'white',
      logLevel: 'off',
    });
    return { svg, png: image.asPng() };
  } finally {
    view.finalize();
  }
}
