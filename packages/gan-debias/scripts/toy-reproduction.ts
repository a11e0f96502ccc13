/**
 * Full-size reproduction of the latent de-biasing notebook's toy example (512-dim Gaussian
 * latents, groups of 6000/1000/1000/2000 with means 0.1/0.2/-0.1/-0.2, train 4000 / validation
 * 1000 / test 5000), for several seeds, with both SVM losses (squared hinge = the notebook's
 * LinearSVC, hinge) and both KL definitions (original, shared-symmetric).
 *
 * Run from the repository root: `node --import tsx packages/gan-debias/scripts/toy-reproduction.ts [seeds]`
 */
import { initBackend } from '@dbvae/backend';
import { toyReproduction, type SvmLoss } from '../src/index';

await initBackend({ backend: 'wasm' });
const seeds = Number(process.argv[2] ?? 3);
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const degrees = (a: Float64Array, b: Float64Array): number => (Math.acos(Math.min(1, a.reduce((s, v, i) => s + v * b[i]!, 0))) * 180) / Math.PI;
console.log('seed | loss | target acc | protected acc | cos(w_t, w_g) | KL before, original (g0||g1, g1||g0) | KL before, shared-symmetric | KL after (both) | flip / keep | max |dh_t| | SVM passes (t, g) | seconds');
for (let seed = 0; seed < seeds; seed++) {
  const fits: Record<string, ReturnType<typeof toyReproduction>> = {};
  for (const loss of ['squared-hinge', 'hinge'] as SvmLoss[]) {
    const t0 = performance.now();
    const r = toyReproduction({ seed, loss });
    const secs = (performance.now() - t0) / 1000;
    const shared = toyReproduction({ seed, loss, kl: { definition: 'shared-symmetric' } });
    fits[loss] = r;
    console.log(
      [
        seed,
        loss,
        pct(r.targetAccuracy),
        pct(r.protectedAccuracy),
        r.cosine.toFixed(3),
        `${r.klBefore.ab.toFixed(3)}, ${r.klBefore.ba.toFixed(3)}`,
        `${shared.klBefore.ab.toFixed(3)}, ${shared.klBefore.ba.toFixed(3)}`,
        `${Math.max(r.klAfter.ab, r.klAfter.ba, shared.klAfter.ab, shared.klAfter.ba).toExponential(1)}`,
        `${pct(r.protectedFlipRate)} / ${pct(r.targetKeepRate)}`,
        r.maxTargetShift.toExponential(1),
        `${r.target.iterations}${r.target.converged ? '' : '*'}, ${r.protectedAttr.iterations}${r.protectedAttr.converged ? '' : '*'}`,
        secs.toFixed(1),
      ].join(' | '),
    );
  }
  const a = fits['squared-hinge']!;
  const b = fits.hinge!;
  console.log(`seed ${seed}: angle between the squared-hinge and hinge normals: target ${degrees(a.target.w, b.target.w).toFixed(1)} deg, protected ${degrees(a.protectedAttr.w, b.protectedAttr.w).toFixed(1)} deg`);
}
console.log('(* = stopped at the iteration cap before the tolerance was met)');
