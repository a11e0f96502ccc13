"""NumPy reference timings for bench/resampling.ts (the same rules on the same latents).

Usage: /usr/bin/python3 bench/resampling_numpy.py <latents.f32> <n> <k> <bins> <alpha> <repeats> <weights_out.f64>
Reads row-major float32 latents, times the lab 2 max rule (as in the notebook's
get_training_sample_probabilities) and the paper's product rule in log space, writes both weight
vectors (max then product, float64) for the agreement check, and prints one JSON line.
"""
import json
import os
import sys
import time

import numpy as np

# The lab's rule exactly as the notebook writes it lives beside the parity fixture; time that one.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "resampling", "test", "fixtures"))
from make_fixture import lab_max_rule  # noqa: E402


def product_rule(mu, bins, alpha):
    logw = np.zeros(mu.shape[0], dtype=np.float64)
    for i in range(mu.shape[1]):
        x = mu[:, i]
        density, edges = np.histogram(x, density=True, bins=bins)
        edges[0] = -np.inf
        edges[-1] = np.inf
        logw -= np.log(density + alpha)[np.digitize(x, edges) - 1]  # log per bin, not per sample
    logw -= logw.max()
    w = np.exp(logw)
    return w / w.sum()


def best_time(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times)), out


def main():
    path, n, k, bins, alpha, repeats, out_path = sys.argv[1:8]
    n, k, bins, repeats, alpha = int(n), int(k), int(bins), int(repeats), float(alpha)
    # The latents as float64, as @dbvae/resampling bins them (float64 edges, issue 15).
    mu = np.fromfile(path, dtype=np.float32).reshape(n, k).astype(np.float64)
    max_best, max_median, p_max = best_time(lambda: lab_max_rule(mu, bins, alpha), repeats)
    prod_best, prod_median, p_prod = best_time(lambda: product_rule(mu, bins, alpha), repeats)
    np.concatenate([p_max, p_prod]).astype(np.float64).tofile(out_path)
    print(json.dumps({
        "numpy": np.__version__,
        "maxBestS": max_best, "maxMedianS": max_median,
        "productBestS": prod_best, "productMedianS": prod_median,
    }))


if __name__ == "__main__":
    main()
