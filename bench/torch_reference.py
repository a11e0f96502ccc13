"""PyTorch CPU reference for `pnpm bench`: the lab 2 standard CNN and DB-VAE, same shapes and
steps as bench/model-throughput.ts. Prints one JSON object on stdout.

Usage: python3 bench/torch_reference.py [--threads N] [--seconds S]
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout, k):
    return nn.Sequential(nn.Conv2d(cin, cout, k, 2, k // 2), nn.ReLU(), nn.BatchNorm2d(cout))


def classifier(n_out, nf=12):
    return nn.Sequential(
        block(3, nf, 5), block(nf, 2 * nf, 5), block(2 * nf, 4 * nf, 3), block(4 * nf, 6 * nf, 3),
        nn.Flatten(), nn.Linear(4 * 4 * 6 * nf, 512), nn.ReLU(), nn.Linear(512, n_out))


class Decoder(nn.Module):
    def __init__(self, latent=100, nf=12):
        super().__init__()
        self.nf = nf
        self.linear = nn.Sequential(nn.Linear(latent, 4 * 4 * 6 * nf), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(6 * nf, 4 * nf, 3, 2, 1, 1), nn.ReLU(),
            nn.ConvTranspose2d(4 * nf, 2 * nf, 3, 2, 1, 1), nn.ReLU(),
            nn.ConvTranspose2d(2 * nf, nf, 5, 2, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(nf, 3, 5, 2, 2, 1))

    def forward(self, z):
        return self.deconv(self.linear(z).view(-1, 6 * self.nf, 4, 4))


def timed(fn, seconds, min_iters=3):
    fn()  # warm-up
    n, t0 = 0, time.perf_counter()
    while n < min_iters or time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    return (time.perf_counter() - t0) / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--seconds', type=float, default=3.0)
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.rand(32, 3, 64, 64)
    y = (torch.rand(32, 1) > 0.5).float()

    cnn = classifier(1)
    opt = torch.optim.Adam(cnn.parameters(), 5e-4)

    def cnn_step():
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(cnn(x), y)
        loss.backward()
        opt.step()

    train_s = timed(cnn_step, args.seconds)

    enc, dec = classifier(2 * 100 + 1), Decoder()
    vopt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), 5e-4)

    def dbvae_step():
        vopt.zero_grad()
        out = enc(x)
        logit, mu, logvar = out[:, :1], out[:, 1:101], out[:, 101:]
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        recon = dec(z)
        kl = 0.5 * torch.sum(torch.exp(logvar) + mu ** 2 - 1 - logvar, dim=1)
        rec = torch.mean(torch.abs(x - recon), dim=(1, 2, 3))
        vae = 5e-4 * kl + rec
        cls = F.binary_cross_entropy_with_logits(logit, y, reduction='none')[:, 0]
        loss = torch.mean(cls + y[:, 0] * vae)
        loss.backward()
        vopt.step()

    dbvae_s = timed(dbvae_step, args.seconds)

    cnn.eval()
    xi = torch.rand(256, 3, 64, 64)

    def infer():
        with torch.inference_mode():
            torch.sigmoid(cnn(xi))

    infer_s = timed(infer, args.seconds)
    print(json.dumps({
        'torch': torch.__version__, 'threads': torch.get_num_threads(),
        'cnnTrainImgPerSec': 32 / train_s, 'dbvaeTrainImgPerSec': 32 / dbvae_s,
        'inferenceImgPerSec': 256 / infer_s,
    }))


if __name__ == '__main__':
    main()
