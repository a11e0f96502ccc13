/**
 * The latent de-biasing notebook's toy example on *its own data*: NumPy regenerates the
 * notebook's latents and split (np.random.seed(123)), `fitLinearSvm` fits the two SVMs with
 * both losses, and the validation accuracies are compared with the notebook's printed output
 * (98.3% target, 78.5% protected, from scikit-learn's LinearSVC: squared hinge, C = 1).
 *
 * Needs /usr/bin/python3 with numpy. Run from the repository root:
 * `node --import tsx packages/gan-debias/scripts/notebook-toy-parity.ts`
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@dbvae/backend';
import { fitLinearSvm, linearAccuracy, type SvmLoss } from '../src/index';

await initBackend({ backend: 'wasm' });
const dir = mkdtempSync(join(tmpdir(), 'notebook-toy-'));
try {
  const r = spawnSync('/usr/bin/python3', [fileURLToPath(new URL('./notebook_toy_data.py', import.meta.url)), dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`notebook_toy_data.py failed (is python3-numpy installed?): ${r.stderr}`);
  const read = (name: string): Float64Array => {
    const b = readFileSync(join(dir, `${name}.f64`));
    return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
  };
  const zTrain = { data: read('z_train'), rows: 4000, cols: 512 };
  const zVal = { data: read('z_val'), rows: 1000, cols: 512 };
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  console.log('notebook (scikit-learn LinearSVC, squared hinge): target 98.3%, protected 78.5%');
  for (const loss of ['squared-hinge', 'hinge'] as SvmLoss[]) {
    const t0 = performance.now();
    const ht = fitLinearSvm(zTrain, read('t_train'), { loss, seed: 1 });
    const hg = fitLinearSvm(zTrain, read('g_train'), { loss, seed: 2 });
    const cos = ht.w.reduce((s, v, j) => s + v * hg.w[j]!, 0);
    console.log(
      `fitLinearSvm ${loss}: target ${pct(linearAccuracy(ht, zVal, read('t_val')))}, protected ${pct(linearAccuracy(hg, zVal, read('g_val')))}, ` +
        `cos(w_t, w_g) ${cos.toFixed(3)}, iterations ${ht.iterations}${ht.converged ? '' : '*'} / ${hg.iterations}${hg.converged ? '' : '*'}, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
