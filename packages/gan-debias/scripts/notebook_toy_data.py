"""Writes the latent de-biasing notebook's exact toy data (np.random.seed(123), its sampling
and its train/validation split, copied from the notebook's cells) for notebook-toy-parity.ts:
float64 little-endian files z_train, z_val and 0/1 labels t_train, g_train, t_val, g_val.

Usage: /usr/bin/python3 notebook_toy_data.py <out-dir>
"""
import os
import sys

import numpy as np

out = sys.argv[1]
np.random.seed(123)
z_t0g0 = np.random.normal(0.1, 1, size=(6000, 512))
z_t0g1 = np.random.normal(0.2, 1, size=(1000, 512))
z_t1g0 = np.random.normal(-0.1, 1, size=(1000, 512))
z_t1g1 = np.random.normal(-0.2, 1, size=(2000, 512))
z = np.vstack((z_t0g0, z_t0g1, z_t1g0, z_t1g1))
t = np.zeros(10000)
t[7000:] = 1
g = np.zeros(10000)
g[6000:7000] = 1
g[8000:] = 1
train_indices = np.random.choice(10000, size=4000, replace=False)
val_indices = np.random.choice(list(set(np.arange(10000)) - set(train_indices)), size=1000, replace=False)
for name, arr in (('z_train', z[train_indices]), ('z_val', z[val_indices]), ('t_train', t[train_indices]), ('g_train', g[train_indices]), ('t_val', t[val_indices]), ('g_val', g[val_indices])):
    np.ascontiguousarray(arr, dtype='<f8').tofile(os.path.join(out, name + '.f64'))
