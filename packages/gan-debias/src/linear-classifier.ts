import { createRandom, InvalidArgumentError, ShapeError } from '@dbvae/backend';
import { GanDebiasError } from './errors';
import { positiveInt, positiveNumber, toBinaryLabels, toMatrix, type Matrix, type MatrixLike } from './matrix';

/** A linear decision function `score(z) = w . z + b`; positive scores predict label 1. */
export interface LinearClassifier {
  /** Weights, one per latent dimension. */
  w: Float64Array;
  /** Intercept. */
  b: number;
}

/** A fitted classifier with how the fit went. */
export interface LinearFitResult extends LinearClassifier {
  /** Whether the stopping tolerance was met before the iteration cap. */
  converged: boolean;
  /** Newton steps (SVM, `'newton'`), passes over the data (SVM, `'dual-cd'`) or L-BFGS iterations (logistic regression) used. */
  iterations: number;
}

/** Options shared by the latent-space fits. */
export interface LinearFitOptions {
  /** Inverse regularisation strength `C` (as in liblinear and scikit-learn). Default 1. */
  C?: number;
  /** Rescale so that `|w| = 1` (the intercept scaled alike), as the complement formula needs. Default true. */
  normalize?: boolean;
  /** Iteration cap: Newton steps (default 100) or passes over the data (`'dual-cd'`, default 1000) for the SVM, L-BFGS iterations for logistic regression (default 500). */
  maxIterations?: number;
  /** Stopping tolerance: gradient norm relative to its start for the SVM's Newton solver (default 1e-6) and logistic regression (default 1e-6); projected-gradient spread for the SVM's `'dual-cd'` (default 1e-4, `LinearSVC`'s `tol`). */
  tol?: number;
}

/**
 * The loss of {@link fitLinearSvm}: `'squared-hinge'` (default) `max(0, 1 - y s)^2`, the default
 * of scikit-learn's `LinearSVC` and so of the latent de-biasing notebook; `'hinge'`
 * `max(0, 1 - y s)`, the classic SVM.
 */
export type SvmLoss = 'squared-hinge' | 'hinge';

/** Options of {@link fitLinearSvm}. */
export interface LinearSvmOptions extends LinearFitOptions {
  /** See {@link SvmLoss}. Default `'squared-hinge'` (as `LinearSVC`). */
  loss?: SvmLoss;
  /**
   * `'newton'` (default for the squared hinge, which it needs): Newton's method on the primal
   * with conjugate-gradient steps (generalised Hessian `I + 2C X_A^T X_A` over the margin
   * violators `A`; the method of liblinear's primal solver, which `LinearSVC` uses when
   * there are more samples than features), converging in tens of iterations even when the
   * classes overlap; `iterations` counts Newton steps and `tol` is relative to the first
   * gradient norm. `'dual-cd'` (default for the hinge): dual coordinate descent, `iterations`
   * counts passes and `tol` bounds the projected-gradient spread.
   */
  solver?: 'newton' | 'dual-cd';
  /** Seed of the order in which coordinates are visited (`'dual-cd'` only; the Newton solver is deterministic). Default 0. */
  seed?: number;
  /**
   * The constant appended to every sample to learn the intercept (liblinear's bias term, so
   * the intercept is regularised like the weights, as in scikit-learn's `LinearSVC`). Default 1;
   * larger values regularise the intercept less.
   */
  interceptScaling?: number;
}

function checkCommon(m: Matrix, labels: ArrayLike<number>, name: string): Uint8Array {
  const y = toBinaryLabels(labels, m.rows, `${name}: labels`);
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i]!;
  if (pos === 0 || pos === y.length) throw new InvalidArgumentError(`${name}: labels contain a single class; both 0 and 1 are needed to fit a classifier.`);
  return y;
}

/**
 * Rescales a linear classifier to unit weight norm, dividing the intercept by the same factor;
 * the decision boundary and the signs of scores are unchanged, and scores become signed
 * distances to the hyperplane.
 *
 * @throws GanDebiasError when `w` is all zeros.
 */
export function normalizeLinear(c: LinearClassifier): LinearClassifier {
  let s = 0;
  for (let i = 0; i < c.w.length; i++) s += c.w[i]! * c.w[i]!;
  const norm = Math.sqrt(s);
  if (!(norm > 0) || !Number.isFinite(norm)) throw new GanDebiasError('normalizeLinear: the weight vector is zero or not finite; the fit found no direction (check the labels or raise C).');
  const w = new Float64Array(c.w.length);
  for (let i = 0; i < w.length; i++) w[i] = c.w[i]! / norm;
  return { w, b: c.b / norm };
}

/**
 * Scores `w . z + b` of every row of `z`.
 *
 * @throws ShapeError when the dimensions of `z` and `w` differ.
 */
export function linearScores(c: LinearClassifier, z: MatrixLike): Float64Array {
  const m = toMatrix(z, 'linearScores: z');
  if (m.cols !== c.w.length) throw new ShapeError(`linearScores: latents have ${m.cols} dims but the classifier has ${c.w.length} weights.`);
  const out = new Float64Array(m.rows);
  const d = m.cols;
  for (let i = 0; i < m.rows; i++) {
    let s = c.b;
    const o = i * d;
    for (let j = 0; j < d; j++) s += c.w[j]! * m.data[o + j]!;
    out[i] = s;
  }
  return out;
}

/** Fraction of rows whose predicted label (`score >= 0` means 1) equals the given label. */
export function linearAccuracy(c: LinearClassifier, z: MatrixLike, labels: ArrayLike<number>): number {
  const s = linearScores(c, z);
  const y = toBinaryLabels(labels, s.length, 'linearAccuracy: labels');
  let ok = 0;
  for (let i = 0; i < s.length; i++) ok += (s[i]! >= 0 ? 1 : 0) === y[i] ? 1 : 0;
  return ok / s.length;
}

/**
 * Fits an L2-regularised linear SVM by dual coordinate descent (Hsieh et al., ICML 2008, the
 * method of liblinear), on typed arrays:
 *
 * - `loss: 'squared-hinge'` (default): `min 1/2 (|w|^2 + w_b^2) + C sum_i max(0, 1 - y_i (w . x_i + b))^2`,
 *   the problem scikit-learn's `LinearSVC()` solves by default (and so the notebook's
 *   `svm.LinearSVC(max_iter=50000)`);
 * - `loss: 'hinge'`: the same with `max(0, 1 - y_i (w . x_i + b))`.
 *
 * `y_i` in {-1, +1}. As in `LinearSVC` the intercept is the weight `w_b` of a constant feature
 * `interceptScaling` appended to every sample (`b = w_b * interceptScaling`), so it is
 * penalised like the weights; with the same `C`, `interceptScaling` and loss the optimum is
 * the one `LinearSVC` converges to (the problem is strictly convex for the squared hinge; only
 * the order of coordinate updates and the stopping point differ, within `tol`). The result is
 * normalised to `|w| = 1` unless `normalize: false`.
 *
 * @param z - Latents `[n, d]`.
 * @param labels - 0/1 labels, one per row; both classes must occur.
 * @param options - See {@link LinearSvmOptions}.
 * @throws ShapeError / InvalidArgumentError on bad inputs; GanDebiasError if the fit is degenerate.
 * @example
 * ```ts
 * const ht = fitLinearSvm(zTrain, tTrain, { seed: 1 });            // squared hinge, as LinearSVC
 * const hinge = fitLinearSvm(zTrain, tTrain, { loss: 'hinge' });  // the classic hinge loss
 * const acc = linearAccuracy(ht, zVal, tVal);
 * ```
 */
export function fitLinearSvm(z: MatrixLike, labels: ArrayLike<number>, options: LinearSvmOptions = {}): LinearFitResult {
  const m = toMatrix(z, 'fitLinearSvm: z');
  const y = checkCommon(m, labels, 'fitLinearSvm');
  const C = positiveNumber(options.C ?? 1, 'fitLinearSvm: C');
  const maxEpochs = positiveInt(options.maxIterations ?? 1000, 'fitLinearSvm: maxIterations');
  const tol = positiveNumber(options.tol ?? 1e-4, 'fitLinearSvm: tol');
  const loss = options.loss ?? 'squared-hinge';
  if (loss !== 'squared-hinge' && loss !== 'hinge') throw new InvalidArgumentError(`fitLinearSvm: loss must be 'squared-hinge' or 'hinge', got '${String(loss)}'.`);
  // liblinear's dual of the two losses: box [0, C] and no diagonal for the hinge; no upper
  // bound and a diagonal 1 / (2C) added to Q for the squared hinge.
  const upper = loss === 'hinge' ? C : Infinity;
  const diag = loss === 'hinge' ? 0 : 0.5 / C;
  const bias = positiveNumber(options.interceptScaling ?? 1, 'fitLinearSvm: interceptScaling');
  const solver = options.solver ?? (loss === 'hinge' ? 'dual-cd' : 'newton');
  if (solver !== 'newton' && solver !== 'dual-cd') throw new InvalidArgumentError(`fitLinearSvm: solver must be 'newton' or 'dual-cd', got '${String(solver)}'.`);
  if (solver === 'newton') {
    if (loss === 'hinge') throw new InvalidArgumentError("fitLinearSvm: the hinge loss is not differentiable; use solver 'dual-cd' (its default) with it.");
    const fit = squaredHingeNewton(m, y, C, bias, options.maxIterations ?? 100, options.tol ?? 1e-6);
    const raw: LinearClassifier = { w: fit.w, b: fit.wb * bias };
    const out = options.normalize === false ? raw : normalizeLinear(raw);
    return { ...out, converged: fit.converged, iterations: fit.iterations };
  }
  const rng = createRandom(options.seed ?? 0);
  const { rows: n, cols: d, data } = m;
  const w = new Float64Array(d);
  let wb = 0;
  const alpha = new Float64Array(n);
  const qii = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = bias * bias + diag;
    for (let j = 0; j < d; j++) s += data[i * d + j]! * data[i * d + j]!;
    qii[i] = s;
  }
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let converged = false;
  let epoch = 0;
  while (epoch < maxEpochs) {
    epoch++;
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const tmp = order[i]!;
      order[i] = order[j]!;
      order[j] = tmp;
    }
    let pgMax = -Infinity;
    let pgMin = Infinity;
    for (let r = 0; r < n; r++) {
      const i = order[r]!;
      const yi = y[i] === 1 ? 1 : -1;
      const o = i * d;
      let s = wb * bias;
      for (let j = 0; j < d; j++) s += w[j]! * data[o + j]!;
      const a = alpha[i]!;
      const G = yi * s - 1 + diag * a;
      let pg = G;
      if (a === 0) pg = Math.min(G, 0);
      else if (a === upper) pg = Math.max(G, 0);
      if (pg > pgMax) pgMax = pg;
      if (pg < pgMin) pgMin = pg;
      if (pg !== 0 && qii[i]! > 0) {
        const na = Math.min(Math.max(a - G / qii[i]!, 0), upper);
        const delta = (na - a) * yi;
        alpha[i] = na;
        if (delta !== 0) {
          for (let j = 0; j < d; j++) w[j]! += delta * data[o + j]!;
          wb += delta * bias;
        }
      }
    }
    if (pgMax - pgMin < tol) {
      converged = true;
      break;
    }
  }
  const raw: LinearClassifier = { w, b: wb * bias };
  const out = options.normalize === false ? raw : normalizeLinear(raw);
  return { ...out, converged, iterations: epoch };
}

/**
 * Newton-CG on `f(theta) = 1/2 |theta|^2 + C sum_i max(0, 1 - y_i theta . [x_i, bias])^2`:
 * gradient `theta - 2C sum_A m_i y_i x_i` (`m_i = 1 - y_i theta . x_i`, `A = {m_i > 0}`),
 * generalised Hessian `I + 2C X_A^T X_A` applied by products (no d x d matrix), direction by
 * conjugate gradients, step by backtracking on `f` (piecewise quadratic, so steps of 1 are
 * accepted near the optimum and convergence is fast).
 */
function squaredHingeNewton(m: Matrix, y: Uint8Array, C: number, bias: number, maxIter: number, tol: number): { w: Float64Array; wb: number; converged: boolean; iterations: number } {
  positiveInt(maxIter, 'fitLinearSvm: maxIterations');
  positiveNumber(tol, 'fitLinearSvm: tol');
  const { rows: n, cols: d, data } = m;
  const p = d + 1;
  const sign = new Float64Array(n);
  for (let i = 0; i < n; i++) sign[i] = y[i] === 1 ? 1 : -1;
  const dotRow = (i: number, v: Float64Array): number => {
    let s = v[d]! * bias;
    const o = i * d;
    for (let j = 0; j < d; j++) s += v[j]! * data[o + j]!;
    return s;
  };
  const addRow = (i: number, coef: number, out: Float64Array): void => {
    const o = i * d;
    for (let j = 0; j < d; j++) out[j]! += coef * data[o + j]!;
    out[d]! += coef * bias;
  };
  const dot = (a: Float64Array, b: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
    return s;
  };
  const theta = new Float64Array(p);
  const margins = new Float64Array(n);
  const objective = (th: Float64Array, into?: Float64Array): number => {
    let f = 0.5 * dot(th, th);
    for (let i = 0; i < n; i++) {
      const mi = 1 - sign[i]! * dotRow(i, th);
      if (into) into[i] = mi;
      if (mi > 0) f += C * mi * mi;
    }
    return f;
  };
  let f = objective(theta, margins);
  const grad = new Float64Array(p);
  const gradient = (): number => {
    grad.set(theta);
    for (let i = 0; i < n; i++) if (margins[i]! > 0) addRow(i, -2 * C * margins[i]! * sign[i]!, grad);
    return Math.sqrt(dot(grad, grad));
  };
  const hessTimes = (v: Float64Array, out: Float64Array): void => {
    out.set(v);
    for (let i = 0; i < n; i++) if (margins[i]! > 0) addRow(i, 2 * C * dotRow(i, v), out);
  };
  const g0 = gradient();
  let gNorm = g0;
  let converged = g0 === 0;
  let it = 0;
  const dir = new Float64Array(p);
  const r = new Float64Array(p);
  const q = new Float64Array(p);
  const hq = new Float64Array(p);
  const trial = new Float64Array(p);
  const trialMargins = new Float64Array(n);
  while (!converged && it < maxIter) {
    it++;
    // Conjugate gradients for H dir = -grad, to a relative residual of min(0.1, sqrt(|g| / |g0|)).
    dir.fill(0);
    for (let j = 0; j < p; j++) r[j] = -grad[j]!;
    q.set(r);
    let rr = dot(r, r);
    const cgTol = Math.min(0.1, Math.sqrt(gNorm / g0)) * Math.sqrt(rr);
    for (let k = 0; k < 2 * p && Math.sqrt(rr) > cgTol; k++) {
      hessTimes(q, hq);
      const alpha = rr / dot(q, hq);
      for (let j = 0; j < p; j++) {
        dir[j]! += alpha * q[j]!;
        r[j]! -= alpha * hq[j]!;
      }
      const rrNext = dot(r, r);
      const beta = rrNext / rr;
      rr = rrNext;
      for (let j = 0; j < p; j++) q[j] = r[j]! + beta * q[j]!;
    }
    const slope = dot(grad, dir);
    let step = 1;
    let fTrial = Infinity;
    for (let ls = 0; ls < 60; ls++) {
      for (let j = 0; j < p; j++) trial[j] = theta[j]! + step * dir[j]!;
      fTrial = objective(trial, trialMargins);
      if (fTrial <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fTrial < f)) break; // no decrease left at machine precision
    theta.set(trial);
    margins.set(trialMargins);
    f = fTrial;
    gNorm = gradient();
    if (gNorm <= tol * g0) converged = true;
  }
  return { w: theta.slice(0, d), wb: theta[d]!, converged, iterations: it };
}

/**
 * Fits L2-regularised logistic regression (`min 1/2 |w|^2 + C sum_i log(1 + exp(-y_i (w . x_i + b)))`,
 * intercept not penalised) by L-BFGS with a backtracking line search, on typed arrays, with a
 * stable softplus. The result is normalised to `|w| = 1` unless `normalize: false` (the raw
 * scores are then log-odds).
 *
 * @param z - Latents `[n, d]`.
 * @param labels - 0/1 labels, one per row; both classes must occur.
 * @param options - See {@link LinearFitOptions}.
 * @throws ShapeError / InvalidArgumentError on bad inputs; GanDebiasError if the fit is degenerate.
 */
export function fitLogisticRegression(z: MatrixLike, labels: ArrayLike<number>, options: LinearFitOptions = {}): LinearFitResult {
  const m = toMatrix(z, 'fitLogisticRegression: z');
  const y = checkCommon(m, labels, 'fitLogisticRegression');
  const C = positiveNumber(options.C ?? 1, 'fitLogisticRegression: C');
  const maxIter = positiveInt(options.maxIterations ?? 500, 'fitLogisticRegression: maxIterations');
  const tol = positiveNumber(options.tol ?? 1e-6, 'fitLogisticRegression: tol');
  const { rows: n, cols: d, data } = m;
  const p = d + 1; // weights then intercept
  const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
  const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
  const evaluate = (theta: Float64Array, grad: Float64Array): number => {
    let f = 0;
    grad.fill(0);
    for (let j = 0; j < d; j++) {
      f += 0.5 * theta[j]! * theta[j]!;
      grad[j] = theta[j]!;
    }
    for (let i = 0; i < n; i++) {
      const yi = y[i] === 1 ? 1 : -1;
      const o = i * d;
      let s = theta[d]!;
      for (let j = 0; j < d; j++) s += theta[j]! * data[o + j]!;
      f += C * softplus(-yi * s);
      const coef = -C * yi * sigmoid(-yi * s);
      for (let j = 0; j < d; j++) grad[j]! += coef * data[o + j]!;
      grad[d]! += coef;
    }
    return f;
  };
  const dot = (a: Float64Array, b: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
    return s;
  };
  const mem = 10;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  let theta = new Float64Array(p);
  let g = new Float64Array(p);
  let f = evaluate(theta, g);
  const g0 = Math.sqrt(dot(g, g));
  let converged = g0 === 0;
  let it = 0;
  const dir = new Float64Array(p);
  const alphas = new Float64Array(mem);
  while (!converged && it < maxIter) {
    it++;
    // Two-loop recursion: dir = -H g.
    dir.set(g);
    for (let k = S.length - 1; k >= 0; k--) {
      const a = dot(S[k]!, dir) / dot(Y[k]!, S[k]!);
      alphas[k] = a;
      for (let j = 0; j < p; j++) dir[j]! -= a * Y[k]![j]!;
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!);
      for (let j = 0; j < p; j++) dir[j]! *= gamma;
    } else {
      const scale = 1 / Math.max(1, Math.sqrt(dot(g, g)));
      for (let j = 0; j < p; j++) dir[j]! *= scale;
    }
    for (let k = 0; k < S.length; k++) {
      const b = dot(Y[k]!, dir) / dot(Y[k]!, S[k]!);
      for (let j = 0; j < p; j++) dir[j]! += S[k]![j]! * (alphas[k]! - b);
    }
    for (let j = 0; j < p; j++) dir[j] = -dir[j]!;
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction: restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      for (let j = 0; j < p; j++) dir[j] = -g[j]! / Math.max(1, g0);
      slope = dot(g, dir);
    }
    let step = 1;
    const next = new Float64Array(p);
    const gNext = new Float64Array(p);
    let fNext = Infinity;
    for (let ls = 0; ls < 50; ls++) {
      for (let j = 0; j < p; j++) next[j] = theta[j]! + step * dir[j]!;
      fNext = evaluate(next, gNext);
      if (fNext <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNext <= f)) break; // line search failed: at machine precision
    const s = new Float64Array(p);
    const yv = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      s[j] = next[j]! - theta[j]!;
      yv[j] = gNext[j]! - g[j]!;
    }
    if (dot(s, yv) > 1e-12) {
      S.push(s);
      Y.push(yv);
      if (S.length > mem) {
        S.shift();
        Y.shift();
      }
    }
    theta = next;
    g = gNext;
    f = fNext;
    if (Math.sqrt(dot(g, g)) <= tol * g0) converged = true;
  }
  const raw: LinearClassifier = { w: theta.slice(0, d), b: theta[d]! };
  const out = options.normalize === false ? raw : normalizeLinear(raw);
  return { ...out, converged, iterations: it };
}
