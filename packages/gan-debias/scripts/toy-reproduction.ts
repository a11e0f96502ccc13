/**
 * Full-size reproduction of the latent de-biasing notebook's toy example (512-dim Gaussian
 * latents, groups of 6000/1000/1000/2000 with means 0.1/0.2/-0.1/-0.2, train 4000 / validation
 * 1000 / test 5000), for several seeds.
 *
 * Run from the repository root: `node --import tsx packages/gan-debias/scripts/toy-reproduction.ts [seeds]`
 */
import { initBackend } from '@dbvae/backend';
import { toyReproduction } from '../src/index';

await initBackend({ backend: 'wasm' });
const seeds = Number(process.argv[2] ?? 3);
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
console.log('seed | target acc | protected acc | cos(w_t, w_g) | KL before (g0||g1, g1||g0) | KL after | max |dh_t| | SVM passes (t, g) | seconds');
for (let seed = 0; seed < seeds; seed++) {
  const t0 = performance.now();
  const r = toyReproduction({ seed });
  const secs = (performance.now() - t0) / 1000;
  console.log(
    [
      seed,
      pct(r.targetAccuracy),
      pct(r.protectedAccuracy),
      r.cosine.toFixed(3),
      `${r.klBefore.ab.toFixed(3)}, ${r.klBefore.ba.toFixed(3)}`,
      `${r.klAfter.ab.toExponential(1)}, ${r.klAfter.ba.toExponential(1)}`,
      r.maxTargetShift.toExponential(1),
      `${r.target.iterations}${r.target.converged ? '' : '*'}, ${r.protectedAttr.iterations}${r.protectedAttr.converged ? '' : '*'}`,
      secs.toFixed(1),
    ].join(' | '),
  );
}
console.log('(* = stopped at the iteration cap before the tolerance was met)');
