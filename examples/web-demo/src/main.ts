/**
 * The web demo's page: loads the risk-wrapped face classifier that scripts/prepare-model.ts
 * trained, and scores every image the user drops (or picks) on tfjs's browser backends.
 */
import { initBackend, tf } from '@dbvae/backend';
import { loadRiskWrapper, type RiskModel } from '@dbvae/risk-wrappers';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { toScores, type ModelMeta, type Scores } from './scores';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>('status');
const results = $<HTMLElement>('results');
const dropzone = $<HTMLLabelElement>('dropzone');
const fileInput = $<HTMLInputElement>('file-input');

function setStatus(text: string, state: 'loading' | 'ready' | 'busy' | 'error'): void {
  status.textContent = text;
  status.dataset['state'] = state;
}

interface Loaded {
  model: RiskModel;
  meta: ModelMeta;
}

async function load(): Promise<Loaded> {
  // webgl first, then wasm (its binaries are served by Vite from the package), then cpu;
  // `?backend=wasm` (or webgl, cpu) picks one.
  const requested = new URLSearchParams(location.search).get('backend');
  const order: Array<'webgl' | 'wasm' | 'cpu'> = requested === 'webgl' || requested === 'wasm' || requested === 'cpu' ? [requested] : ['webgl', 'wasm', 'cpu'];
  const backend = await initBackend({
    backend: order,
    wasmPaths: {
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
    },
  });
  $('backend').textContent = `backend: ${backend.name}`;
  document.body.dataset['backend'] = backend.name;
  const base = new URL('model/', document.baseURI);
  const metaResponse = await fetch(new URL('meta.json', base));
  if (!metaResponse.ok) throw new Error('model/meta.json is missing: run "pnpm --filter @dbvae/example-web-demo prepare-model" first.');
  const meta = (await metaResponse.json()) as ModelMeta;
  const model = await loadRiskWrapper(tf.io.http(new URL('model.json', base).href));
  return { model, meta };
}

/** Decodes an image file and resizes it to the model's square input (RGB in [0, 1]). */
async function readImage(file: File, size: number): Promise<{ pixels: Float32Array; preview: string }> {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('This browser has no 2D canvas.');
  ctx.drawImage(bitmap, 0, 0, size, size);
  bitmap.close();
  const { data } = ctx.getImageData(0, 0, size, size);
  const pixels = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    pixels[3 * i] = (data[4 * i] as number) / 255;
    pixels[3 * i + 1] = (data[4 * i + 1] as number) / 255;
    pixels[3 * i + 2] = (data[4 * i + 2] as number) / 255;
  }
  return { pixels, preview: canvas.toDataURL() };
}

function score({ model, meta }: Loaded, pixels: Float32Array): Scores {
  const x = tf.tensor4d(pixels, [1, meta.size, meta.size, 3]);
  const risk = model.predict(x);
  try {
    const [logit] = risk.perSample('yHat');
    const [bias] = risk.perSample('bias');
    const [epistemic] = risk.perSample('epistemic');
    return toScores(logit as number, bias as number, epistemic as number, meta);
  } finally {
    risk.dispose();
    x.dispose();
  }
}

const ordinal = (p: number): string => {
  const r = Math.round(p);
  const suffix = r % 100 >= 11 && r % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][r % 10] ?? 'th');
  return `${r}${suffix} percentile`;
};

function bar(kind: string, label: string, value: string, detail: string, fraction: number): string {
  const width = Math.max(0, Math.min(1, fraction)) * 100;
  return `
    <div class="metric ${kind}" data-metric="${kind}">
      <div class="metric-head"><span class="metric-label">${label}</span><span class="value">${value}</span></div>
      <div class="track"><div class="fill" style="width:${width.toFixed(1)}%"></div></div>
      <div class="metric-detail">${detail}</div>
    </div>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderCard(name: string, preview: string, s: Scores): HTMLElement {
  const card = document.createElement('article');
  card.className = 'card';
  card.dataset['testid'] = 'result';
  card.dataset['probability'] = String(s.probability);
  card.dataset['representation'] = String(s.representation);
  card.dataset['epistemic'] = String(s.epistemic);
  const isFace = s.probability >= 0.5;
  const warn = s.representation < 10 ? 'Under-represented: the model has seen few images like this.' : s.epistemicPercentile > 90 ? 'Its dropout passes disagree more than usual.' : '';
  card.innerHTML = `
    <div class="card-image"><img alt="" src="${preview}" /></div>
    <div class="card-body">
      <h3 title="${escapeHtml(name)}">${escapeHtml(name)}</h3>
      <p class="verdict ${isFace ? 'face' : 'not-face'}">${isFace ? 'Face' : 'Not a face'}</p>
      ${bar('prob', 'Face probability', `${(100 * s.probability).toFixed(1)}%`, isFace ? 'classified as a face' : 'classified as not a face', s.probability)}
      ${bar('bias', 'Representation', `${s.representation.toFixed(0)}`, `${ordinal(s.representation)} · log p = ${s.logDensity.toFixed(1)}`, s.representation / 100)}
      ${bar('epi', 'Epistemic uncertainty', `${s.epistemic.toFixed(3)}`, `σ of the logit · ${ordinal(s.epistemicPercentile)}`, s.epistemicPercentile / 100)}
      ${warn ? `<p class="warn">${warn}</p>` : ''}
    </div>`;
  return card;
}

async function handleFiles(loaded: Loaded, files: ArrayLike<File>): Promise<void> {
  const images = Array.from(files).filter((f) => f.type.startsWith('image/'));
  if (images.length === 0) {
    setStatus('Those were not images: drop PNG or JPEG files.', 'error');
    return;
  }
  setStatus(`Scoring ${images.length} image${images.length > 1 ? 's' : ''}…`, 'busy');
  for (const file of images) {
    try {
      const { pixels, preview } = await readImage(file, loaded.meta.size);
      results.prepend(renderCard(file.name, preview, score(loaded, pixels)));
    } catch (error) {
      const card = document.createElement('article');
      card.className = 'card error';
      card.textContent = `${file.name}: ${(error as Error).message}`;
      results.prepend(card);
    }
  }
  setStatus(`Ready · ${results.querySelectorAll('[data-testid="result"]').length} scored`, 'ready');
}

function listenForFiles(loaded: Loaded): void {
  fileInput.addEventListener('change', () => {
    if (fileInput.files) void handleFiles(loaded, fileInput.files).then(() => (fileInput.value = ''));
  });
  for (const type of ['dragenter', 'dragover']) {
    dropzone.addEventListener(type, (e) => {
      e.preventDefault();
      dropzone.classList.add('over');
    });
  }
  for (const type of ['dragleave', 'drop']) {
    dropzone.addEventListener(type, () => dropzone.classList.remove('over'));
  }
  dropzone.addEventListener('drop', (e) => {
    e.preventDefault();
    if (e.dataTransfer?.files) void handleFiles(loaded, e.dataTransfer.files);
  });
  // Dropping outside the zone must not navigate away from the page.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
}

function showSamples(loaded: Loaded): void {
  const names = ['face-light', 'face-dark', 'not-a-face-1', 'not-a-face-2'];
  const samples = $('samples');
  samples.innerHTML = `Try the samples (click to score): ${names.map((n) => `<a href="samples/${n}.png" data-sample="${n}">${n}</a>`).join(' · ')}`;
  // A click scores the sample in place, as if it had been dropped (the link stays a plain
  // link for "open in new tab").
  samples.addEventListener('click', (event) => {
    const link = (event.target as HTMLElement).closest<HTMLAnchorElement>('a[data-sample]');
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    void fetch(link.href)
      .then(async (response) => {
        if (!response.ok) throw new Error(`${link.href}: HTTP ${response.status}`);
        const blob = await response.blob();
        await handleFiles(loaded, [new File([blob], `${link.dataset['sample']}.png`, { type: 'image/png' })]);
      })
      .catch((error: unknown) => setStatus(`Could not load the sample: ${(error as Error).message}`, 'error'));
  });
}

try {
  const loaded = await load();
  const t = loaded.meta.training;
  setStatus(`Ready · model trained on ${t.n} synthetic images for ${t.epochs} epochs (held-out accuracy ${(100 * t.heldOutAccuracy).toFixed(1)}%)`, 'ready');
  listenForFiles(loaded);
  showSamples(loaded);
} catch (error) {
  setStatus(`Could not start: ${(error as Error).message}`, 'error');
  console.error(error);
}
