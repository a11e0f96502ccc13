/** A chart in a report section: the inline SVG plus the PNG written beside the page. */
export interface ChartBlock {
  /** Discriminant of the block union. */
  kind: 'chart';
  /** Standalone SVG markup (from `renderChartSvg`). */
  svg: string;
  /** Relative path of the PNG copy (linked under the chart), if any. */
  png?: string;
  /** Accessible description and caption. */
  caption?: string;
}

/** An image (an image grid PNG) in a report section. */
export interface ImageBlock {
  /** Discriminant of the block union. */
  kind: 'image';
  /** Relative path of the image. */
  src: string;
  /** Alternative text. */
  alt: string;
  /** Caption under the image. */
  caption?: string;
}

/** A small table of numbers. */
export interface TableBlock {
  /** Discriminant of the block union. */
  kind: 'table';
  /** Header cells. */
  columns: string[];
  /** Body rows (already formatted). */
  rows: (string | number)[][];
  /** Caption under the table. */
  caption?: string;
}

/** A paragraph or a bulleted list of text. */
export interface TextBlock {
  /** Discriminant of the block union. */
  kind: 'text';
  /** Paragraphs (one string) or list items (several, with `list: true`). */
  text: string | string[];
  /** Render as a bulleted list. */
  list?: boolean;
}

/** Anything a report section can hold. */
export type ReportBlock = ChartBlock | ImageBlock | TableBlock | TextBlock;

/** One section of the page, with its heading. */
export interface ReportSection {
  /** Anchor id (letters, digits, dashes). */
  id: string;
  /** Heading. */
  title: string;
  /** A sentence under the heading saying what the section shows. */
  intro?: string;
  /** Blocks; consecutive charts and images are laid out side by side when there is room. */
  blocks: ReportBlock[];
}

/** A headline number shown as a card at the top. */
export interface SummaryCard {
  /** What it is, such as `'DB-VAE'`. */
  label: string;
  /** The number, formatted, such as `'93.1%'`. */
  value: string;
  /** A line under it, such as `'mean accuracy · gap 4.2 pp'`. */
  detail?: string;
  /** Colour of the card's accent bar. */
  color?: string;
}

/** The whole page as passed to {@link assembleReportHtml}. */
export interface ReportDocument {
  /** Page title (also the `<title>`). */
  title: string;
  /** A line under the title. */
  subtitle?: string;
  /** A small line of metadata (date, tool version). */
  meta?: string;
  /** Headline numbers shown as cards above the sections. */
  cards?: SummaryCard[];
  /** The sections, in page order. */
  sections: ReportSection[];
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

let svgCounter = 0;

/**
 * Prepares a standalone SVG for inlining: prefixes its ids (and the references to them) so that
 * several charts on one page cannot pick up each other's clip paths or gradients, and adds an
 * accessible role and label.
 */
export function inlineSvg(svg: string, label: string): string {
  const prefix = `c${++svgCounter}-`;
  return svg
    .replace(/^\s*<\?xml[^>]*>\s*/, '')
    .replace(/\sid="([^"]+)"/g, ` id="${prefix}$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}$1"`)
    .replace(/^<svg\b/, `<svg role="img" aria-label="${escapeHtml(label)}"`);
}

const CSS = `
:root { --ink: #0f172a; --muted: #475569; --faint: #94a3b8; --line: #e2e8f0; --bg: #f8fafc; --card: #ffffff; --accent: #0d9488; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.55 Inter, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
header.hero { background: linear-gradient(135deg, #0f172a 0%, #134e4a 100%); color: #f8fafc; padding: 40px 0 34px; }
.wrap { max-width: 1100px; margin: 0 auto; padding: 0 28px; }
header.hero h1 { margin: 0 0 6px; font-size: 30px; letter-spacing: -0.02em; }
header.hero p.subtitle { margin: 0; font-size: 16px; color: #cbd5e1; max-width: 760px; }
header.hero p.meta { margin: 14px 0 0; font-size: 12px; color: #94a3b8; }
nav.toc { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 18px; }
nav.toc a { color: #e2e8f0; text-decoration: none; font-size: 13px; padding: 3px 10px; border: 1px solid rgba(226,232,240,.35); border-radius: 999px; }
nav.toc a:hover { background: rgba(255,255,255,.1); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 14px; margin: -22px auto 8px; }
.card { background: var(--card); border-radius: 10px; padding: 14px 18px 14px 20px; box-shadow: 0 1px 3px rgba(15,23,42,.08), 0 6px 16px rgba(15,23,42,.06); border-left: 5px solid var(--accent); }
.card .label { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); font-weight: 600; }
.card .value { font-size: 28px; font-weight: 700; letter-spacing: -0.02em; margin-top: 2px; }
.card .detail { font-size: 13px; color: var(--muted); }
main { padding-bottom: 48px; }
section { background: var(--card); border-radius: 12px; margin: 22px 0; padding: 22px 26px 18px; box-shadow: 0 1px 2px rgba(15,23,42,.06); }
section h2 { margin: 0 0 4px; font-size: 20px; letter-spacing: -0.01em; }
section p.intro { margin: 0 0 14px; color: var(--muted); max-width: 820px; }
.row { display: flex; flex-wrap: wrap; gap: 18px 28px; align-items: flex-start; }
figure { margin: 6px 0 10px; max-width: 100%; display: table; }
figure svg, figure img { display: block; max-width: 100%; height: auto; }
figure img.grid { image-rendering: pixelated; border-radius: 6px; }
figcaption { display: table-caption; caption-side: bottom; font-size: 13px; color: var(--muted); margin-top: 6px; }
figcaption a { color: var(--faint); font-size: 12px; margin-left: 6px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 14px; margin: 8px 0 6px; }
th, td { padding: 6px 14px; text-align: right; border-bottom: 1px solid var(--line); }
th:first-child, td:first-child { text-align: left; }
thead th { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); border-bottom: 2px solid var(--line); }
tbody tr:hover { background: #f1f5f9; }
.table-wrap { overflow-x: auto; }
ul.notes { margin: 0; padding-left: 20px; color: var(--muted); }
code { font: 13px ui-monospace, "DejaVu Sans Mono", Menlo, monospace; background: #f1f5f9; padding: 1px 5px; border-radius: 4px; }
footer { color: var(--faint); font-size: 12px; text-align: center; padding: 10px 0 30px; }
@media print { body { background: white; } section { box-shadow: none; border: 1px solid var(--line); break-inside: avoid; } header.hero { color: var(--ink); background: none; } }
`;

function caption(text: string | undefined, extra = ''): string {
  if (!text && !extra) return '';
  return `<figcaption>${text ? escapeHtml(text) : ''}${extra}</figcaption>`;
}

function renderBlock(block: ReportBlock): string {
  switch (block.kind) {
    case 'chart':
      return `<figure class="chart">${inlineSvg(block.svg, block.caption ?? 'chart')}${caption(block.caption, block.png ? `<a href="${escapeHtml(block.png)}">PNG</a>` : '')}</figure>`;
    case 'image':
      return `<figure class="image"><img class="grid" src="${escapeHtml(block.src)}" alt="${escapeHtml(block.alt)}">${caption(block.caption)}</figure>`;
    case 'table': {
      const head = `<thead><tr>${block.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>`;
      const body = `<tbody>${block.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join('')}</tr>`).join('')}</tbody>`;
      return `<figure class="table"><div class="table-wrap"><table>${head}${body}</table></div>${caption(block.caption)}</figure>`;
    }
    case 'text': {
      const items = Array.isArray(block.text) ? block.text : [block.text];
      return block.list ? `<ul class="notes">${items.map((t) => `<li>${escapeHtml(t)}</li>`).join('')}</ul>` : items.map((t) => `<p>${escapeHtml(t)}</p>`).join('');
    }
  }
}

function renderBlocks(blocks: readonly ReportBlock[]): string {
  // Group consecutive figures so that small charts sit side by side.
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length) out.push(`<div class="row">${run.join('')}</div>`);
    run = [];
  };
  for (const b of blocks) {
    if (b.kind === 'chart' || b.kind === 'image') run.push(renderBlock(b));
    else {
      flush();
      out.push(renderBlock(b));
    }
  }
  flush();
  return out.join('\n');
}

/**
 * Assembles a self-contained HTML page (inline CSS and SVG; images referenced by relative path):
 * a title banner with a table of contents, headline cards, then one card-like section per entry.
 */
export function assembleReportHtml(doc: ReportDocument): string {
  const toc = doc.sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join('');
  const cards = doc.cards?.length
    ? `<div class="wrap"><div class="cards">${doc.cards
        .map((c) => `<div class="card"${c.color ? ` style="border-left-color:${escapeHtml(c.color)}"` : ''}><div class="label">${escapeHtml(c.label)}</div><div class="value">${escapeHtml(c.value)}</div>${c.detail ? `<div class="detail">${escapeHtml(c.detail)}</div>` : ''}</div>`)
        .join('')}</div></div>`
    : '';
  const sections = doc.sections
    .map((s) => `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>${s.intro ? `<p class="intro">${escapeHtml(s.intro)}</p>` : ''}\n${renderBlocks(s.blocks)}</section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="hero"><div class="wrap"><h1>${escapeHtml(doc.title)}</h1>${doc.subtitle ? `<p class="subtitle">${escapeHtml(doc.subtitle)}</p>` : ''}${doc.meta ? `<p class="meta">${escapeHtml(doc.meta)}</p>` : ''}<nav class="toc">${toc}</nav></div></header>
${cards}
<main class="wrap">
${sections}
</main>
<footer>Made with <code>dbvae</code>. Charts: Vega-Lite; images: sharp.</footer>
</body>
</html>
`;
}
