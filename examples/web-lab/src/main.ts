/**
 * The lab's page: settings, a Train and a Stop button, live loss and per-group recall while a
 * worker trains, the lab's figures at the end, and a drop zone that scores your own images with
 * the trained, risk-wrapped model. URL parameters override the sizes (used by the e2e test):
 * `?n=400&size=16&epochs=1&filters=4&dense=16&latent=4&test=16&backend=wasm&autostart=1`.
 */
import { accuracyVsRepresentationChart, groupAccuracyChart, lossChart, MODEL_LABELS } from './charts';
import { GROUPS, type FromWorker, type GroupCounts, type LabConfig, type ModelName, type SmallImage, type ToWorker } from './protocol';
import { wilsonInterval } from './stats';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const num = (name: string, fallback: number): number => {
  const v = Number(params.get(name));
  return params.has(name) && Number.isFinite(v) && v > 0 ? v : fallback;
};
const requested = params.get('backend');
const config: LabConfig = {
  n: num('n', 3000),
  size: num('size', 32),
  epochs: num('epochs', 2),
  testPerGroup: num('test', 100),
  filters: num('filters', 8),
  denseUnits: num('dense', 64),
  latentDim: num('latent', 8),
  alpha: num('alpha', 0.01),
  seed: num('seed', 1),
  backends: requested === 'webgpu' || requested === 'webgl' || requested === 'wasm' || requested === 'cpu' ? [requested] : ['webgpu', 'webgl', 'wasm'],
};

let worker: Worker | undefined;
let startedAt = 0;
let losses: Record<ModelName, number[]> = { standard: [], dbvae: [] };
let counts: Partial<Record<ModelName, GroupCounts>> = {};
let drawPending = false;
let nextScoreId = 1;
const pendingScores = new Map<number, { name: string; preview: string }>();

function setStatus(text: string, state: 'idle' | 'busy' | 'ready' | 'error'): void {
  $('status').textContent = text;
  $('status').dataset['state'] = state;
  document.body.dataset['state'] = state;
}

function draw(): void {
  drawPending = false;
  $('loss-chart').innerHTML = lossChart(losses);
  $('group-chart').innerHTML = groupAccuracyChart(counts);
  $('group-table').innerHTML = groupTable(counts);
}

function scheduleDraw(): void {
  if (!drawPending) {
    drawPending = true;
    requestAnimationFrame(draw);
  }
}

function groupTable(c: Partial<Record<ModelName, GroupCounts>>): string {
  const models = (['standard', 'dbvae'] as ModelName[]).filter((m) => c[m]);
  if (models.length === 0) return '';
  const head = `<tr><th>model</th>${GROUPS.map((g) => `<th>${g}</th>`).join('')}<th>spread (max − min)</th></tr>`;
  const rows = models
    .map((m) => {
      const accs = GROUPS.map((g) => c[m]![g].k / Math.max(1, c[m]![g].n));
      const cells = GROUPS.map((g) => {
        const { k, n } = c[m]![g];
        const { low, high } = wilsonInterval(k, n);
        return `<td data-model="${m}" data-group="${g}">${((100 * k) / Math.max(1, n)).toFixed(0)}% <small>[${(100 * low).toFixed(0)}–${(100 * high).toFixed(0)}]</small></td>`;
      }).join('');
      return `<tr><th>${MODEL_LABELS[m]}</th>${cells}<td>${(100 * (Math.max(...accs) - Math.min(...accs))).toFixed(0)} pp</td></tr>`;
    })
    .join('');
  return `<table><thead>${head}</thead><tbody>${rows}</tbody></table>`;
}

function faceStrip(images: SmallImage[]): string {
  return images
    .map((img) => {
      const canvas = document.createElement('canvas');
      canvas.width = img.size;
      canvas.height = img.size;
      const ctx = canvas.getContext('2d')!;
      const data = ctx.createImageData(img.size, img.size);
      for (let i = 0; i < img.size * img.size; i++) {
        data.data[4 * i] = img.rgb[3 * i] as number;
        data.data[4 * i + 1] = img.rgb[3 * i + 1] as number;
        data.data[4 * i + 2] = img.rgb[3 * i + 2] as number;
        data.data[4 * i + 3] = 255;
      }
      ctx.putImageData(data, 0, 0);
      return `<img class="face" alt="" src="${canvas.toDataURL()}" />`;
    })
    .join('');
}

function onMessage(message: FromWorker): void {
  switch (message.type) {
    case 'backend':
      $('backend').textContent = message.name;
      $('backend').title = message.detail;
      document.body.dataset['backend'] = message.name;
      break;
    case 'data':
      $('data-note').textContent = `${message.trainImages} training images; ${(100 * message.darkShare).toFixed(0)}% of the training faces have dark skin.`;
      break;
    case 'step': {
      losses[message.model].push(message.loss);
      const done = message.epoch * message.stepsPerEpoch + message.step + 1;
      const total = message.epochs * message.stepsPerEpoch;
      const progress = $<HTMLProgressElement>('progress');
      progress.max = 2 * total;
      progress.value = (message.model === 'dbvae' ? total : 0) + done;
      $('progress-text').textContent = `${MODEL_LABELS[message.model]} · epoch ${message.epoch + 1}/${message.epochs} · step ${message.step + 1}/${message.stepsPerEpoch} · loss ${message.loss.toFixed(3)}`;
      scheduleDraw();
      break;
    }
    case 'epoch':
      counts = { ...counts, [message.model]: message.counts };
      scheduleDraw();
      break;
    case 'trained':
      if (message.model === 'standard') {
        $('first-model').textContent = `First trained model after ${message.seconds.toFixed(1)} s.`;
        document.body.dataset['firstModelSeconds'] = message.seconds.toFixed(1);
      }
      break;
    case 'figures':
      $('least').innerHTML = faceStrip(message.least);
      $('most').innerHTML = faceStrip(message.most);
      $('accuracy-vs-representation').innerHTML = accuracyVsRepresentationChart(message.accuracyVsRepresentation);
      $('figures').hidden = false;
      break;
    case 'done':
      $<HTMLButtonElement>('train').disabled = false;
      $<HTMLButtonElement>('stop').disabled = true;
      if (message.stopped) setStatus('Stopped. The curves so far stay; press Train to start again.', 'idle');
      else {
        setStatus(`Done in ${message.seconds.toFixed(1)} s. Drop your own images below to score them.`, 'ready');
        $('dropzone').classList.remove('disabled');
        document.body.dataset['trained'] = 'true';
      }
      draw();
      break;
    case 'scored': {
      const pending = pendingScores.get(message.id);
      pendingScores.delete(message.id);
      if (pending) $('scores').prepend(scoreCard(pending.name, pending.preview, message));
      break;
    }
    case 'error':
      setStatus(`Error: ${message.message}`, 'error');
      $<HTMLButtonElement>('train').disabled = false;
      $<HTMLButtonElement>('stop').disabled = true;
      console.error(message.message);
      break;
  }
}

function scoreCard(name: string, preview: string, s: Extract<FromWorker, { type: 'scored' }>): HTMLElement {
  const card = document.createElement('article');
  card.className = 'card';
  card.dataset['testid'] = 'scored';
  card.dataset['probability'] = String(s.probability);
  card.dataset['representation'] = String(s.representation);
  const verdict = (p: number) => (p >= 0.5 ? 'face' : 'not a face');
  const bar = (label: string, value: number, text: string) =>
    `<div class="metric"><div class="metric-head"><span>${label}</span><span>${text}</span></div><div class="track"><div class="fill" style="width:${(100 * Math.max(0, Math.min(1, value))).toFixed(1)}%"></div></div></div>`;
  const safe = name.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  card.innerHTML = `<img alt="" src="${preview}" /><div><h3 title="${safe}">${safe}</h3>
    ${bar('standard CNN', s.probability, `${(100 * s.probability).toFixed(1)}% · ${verdict(s.probability)}`)}
    ${bar('DB-VAE', s.dbvaeProbability, `${(100 * s.dbvaeProbability).toFixed(1)}% · ${verdict(s.dbvaeProbability)}`)}
    ${bar('representation', s.representation / 100, `${s.representation.toFixed(0)}th percentile of test faces`)}
    ${s.representation < 10 ? '<p class="warn">Under-represented: the CNN saw few faces like this one.</p>' : ''}</div>`;
  return card;
}

function start(): void {
  worker?.terminate();
  worker = new Worker(new URL('./lab-worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  worker.onerror = (e) => setStatus(`Worker error: ${e.message}`, 'error');
  losses = { standard: [], dbvae: [] };
  counts = {};
  $('figures').hidden = true;
  $('first-model').textContent = '';
  delete document.body.dataset['trained'];
  startedAt = performance.now();
  $<HTMLButtonElement>('train').disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  setStatus('Generating SynthFaces and training…', 'busy');
  draw();
  worker.postMessage({ type: 'start', config } satisfies ToWorker);
}

function stop(): void {
  if (!worker) return;
  worker.postMessage({ type: 'stop' } satisfies ToWorker);
  const stopping = worker;
  // The worker checks for 'stop' between epochs; do not wait longer than a moment.
  setTimeout(() => {
    if (worker === stopping && $<HTMLButtonElement>('stop').disabled === false) {
      stopping.terminate();
      worker = undefined;
      onMessage({ type: 'done', seconds: (performance.now() - startedAt) / 1000, stopped: true });
    }
  }, 1500);
}

async function readImage(file: File, size: number): Promise<{ pixels: Float32Array; preview: string }> {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0, size, size);
  bitmap.close();
  const { data } = ctx.getImageData(0, 0, size, size);
  const pixels = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) for (let c = 0; c < 3; c++) pixels[3 * i + c] = (data[4 * i + c] as number) / 255;
  const big = document.createElement('canvas');
  big.width = 96;
  big.height = 96;
  big.getContext('2d')!.drawImage(canvas, 0, 0, 96, 96);
  return { pixels, preview: big.toDataURL() };
}

async function scoreFiles(files: ArrayLike<File>): Promise<void> {
  if (!worker || document.body.dataset['trained'] !== 'true') {
    setStatus('Train the models first, then drop images.', 'error');
    return;
  }
  for (const file of Array.from(files).filter((f) => f.type.startsWith('image/'))) {
    const { pixels, preview } = await readImage(file, config.size);
    const id = nextScoreId++;
    pendingScores.set(id, { name: file.name, preview });
    worker.postMessage({ type: 'score', id, pixels, size: config.size } satisfies ToWorker, [pixels.buffer]);
  }
}

$('train').addEventListener('click', start);
$('stop').addEventListener('click', stop);
const dropzone = $('dropzone');
const input = $<HTMLInputElement>('file-input');
input.addEventListener('change', () => {
  if (input.files) void scoreFiles(input.files).then(() => (input.value = ''));
});
for (const type of ['dragenter', 'dragover']) dropzone.addEventListener(type, (e) => (e.preventDefault(), dropzone.classList.add('over')));
for (const type of ['dragleave', 'drop']) dropzone.addEventListener(type, () => dropzone.classList.remove('over'));
dropzone.addEventListener('drop', (e) => {
  e.preventDefault();
  if (e.dataTransfer?.files) void scoreFiles(e.dataTransfer.files);
});
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());
$('settings').textContent = `${config.n} images of ${config.size}×${config.size}, ${config.epochs} epoch${config.epochs === 1 ? '' : 's'} per model, ${config.testPerGroup} test faces per group, latent ${config.latentDim}, alpha ${config.alpha}`;
draw();
setStatus('Press Train to generate SynthFaces and train both models in this tab.', 'idle');
if (params.get('autostart') === '1') start();
