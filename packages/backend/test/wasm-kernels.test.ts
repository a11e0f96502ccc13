import { beforeAll, describe, expect, it } from 'vitest';
import { expectAllClose, expectNoTensorLeaks, fixtureValues, onBackend } from '@dbvae/test-utils';
import { initBackend, registerWasmKernels, replacedWasmKernels, tf } from '@dbvae/backend';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', force: true });
});

type ConvCase = { x: [number, number, number, number]; f: [number, number, number, number]; stride: number; pad: 'same' | 'valid' };

const convCases: ConvCase[] = [];
for (const stride of [1, 2]) {
  for (const pad of ['same', 'valid'] as const) {
    convCases.push({ x: [1, 7, 9, 3], f: [3, 3, 3, 4], stride, pad });
    convCases.push({ x: [3, 8, 8, 2], f: [5, 5, 2, 3], stride, pad });
    convCases.push({ x: [2, 11, 6, 4], f: [2, 4, 4, 5], stride, pad });
  }
}
convCases.push({ x: [4, 64, 64, 3], f: [5, 5, 3, 12], stride: 2, pad: 'same' });

/** Computes a function's value on both backends from identical inputs and returns both. */
async function onBoth(fn: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const run = async (): Promise<Float32Array[]> => {
    const out = tf.tidy(fn);
    const list = Array.isArray(out) ? out : [out];
    const data = await Promise.all(list.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(list);
    return data;
  };
  const cpu = await onBackend('cpu', run);
  const wasm = await onBackend('wasm', run);
  return { cpu, wasm };
}

function expectBothClose(result: { cpu: Float32Array[]; wasm: Float32Array[] }): void {
  expect(result.wasm.length).toBe(result.cpu.length);
  result.cpu.forEach((c, i) => expectAllClose(result.wasm[i] as Float32Array, c, 1e-4));
}

describe('wasm gap kernels agree with the cpu backend', () => {
  it('registers the kernels wasm lacks', () => {
    for (const name of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'UnsortedSegmentSum', 'IsNaN']) {
      expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
    }
  });

  for (const c of convCases) {
    it(`Conv2DBackpropFilter x=${c.x} f=${c.f} stride ${c.stride} ${c.pad}`, async () => {
      const xv = fixtureValues(c.x.reduce((a, b) => a * b), 3);
      const probe = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.f) as tf.Tensor4D, c.stride, c.pad);
      const dyShape = probe.shape;
      probe.dispose();
      const dyv = fixtureValues(dyShape.reduce((a, b) => a * b), 7);
      expectBothClose(
        await onBoth(() =>
          tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(xv, c.x), dy: tf.tensor4d(dyv, dyShape) }, {
            strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f,
          }) as tf.Tensor),
      );
    });
  }

  for (const c of convCases.slice(0, 6)) {
    it(`tf.grad of conv2d and conv2dTranspose x=${c.x} f=${c.f} stride ${c.stride} ${c.pad}`, async () => {
      const xv = fixtureValues(c.x.reduce((a, b) => a * b), 11);
      const fv = fixtureValues(c.f.reduce((a, b) => a * b), 13);
      expectBothClose(
        await onBoth(() => {
          const x = tf.tensor4d(xv, c.x);
          const f = tf.tensor4d(fv, c.f);
          // A non-uniform weighting of the output makes every gradient entry distinct.
          const loss = (xx: tf.Tensor, ff: tf.Tensor) => {
            const y = tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, c.stride, c.pad);
            return tf.sum(tf.mul(tf.sin(y), tf.range(0, y.size).reshape(y.shape).div(y.size)));
          };
          return tf.grads(loss)([x, f]);
        }),
      );
      const ti = [c.x[0], c.x[1], c.x[2], c.f[3]] as [number, number, number, number];
      const tfv = fixtureValues(ti.reduce((a, b) => a * b), 17);
      expectBothClose(
        await onBoth(() => {
          const x = tf.tensor4d(tfv, ti);
          const f = tf.tensor4d(fv, c.f);
          const outShape = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, f, c.stride, c.pad).shape;
          if (outShape[1] !== ti[1] && c.pad === 'valid') return tf.zeros([1]);
          const loss = (xx: tf.Tensor, ff: tf.Tensor) => {
            const y = tf.conv2dTranspose(xx as tf.Tensor4D, ff as tf.Tensor4D, [c.x[0], c.x[1] * c.stride, c.x[2] * c.stride, c.f[2]], c.stride, 'same');
            return tf.sum(tf.mul(y, y));
          };
          return tf.grads(loss)([x, f]);
        }),
      );
    });
  }

  const dwCases = [
    { x: [2, 7, 7, 3], f: [3, 3, 3, 2], stride: 1, pad: 'same' as const },
    { x: [1, 8, 9, 4], f: [3, 3, 4, 1], stride: 2, pad: 'same' as const },
    { x: [3, 9, 9, 2], f: [5, 5, 2, 3], stride: 2, pad: 'valid' as const },
    { x: [1, 6, 5, 2], f: [2, 2, 2, 1], stride: 1, pad: 'valid' as const },
  ];
  for (const c of dwCases) {
    it(`tf.grad of depthwiseConv2d x=${c.x} f=${c.f} stride ${c.stride} ${c.pad}`, async () => {
      const xv = fixtureValues(c.x.reduce((a, b) => a * b), 19);
      const fv = fixtureValues(c.f.reduce((a, b) => a * b), 23);
      expectBothClose(
        await onBoth(() => {
          const loss = (xx: tf.Tensor, ff: tf.Tensor) => {
            const y = tf.depthwiseConv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, c.stride, c.pad);
            return tf.sum(tf.mul(tf.sin(y), tf.range(0, y.size).reshape(y.shape).div(y.size)));
          };
          return tf.grads(loss)([tf.tensor4d(xv, c.x as never), tf.tensor4d(fv, c.f as never)]);
        }),
      );
    });
  }

  it('replaces the slow wasm kernels, and can restore them', async () => {
    expect(replacedWasmKernels().sort()).toEqual(['BatchMatMul', 'Conv2DBackpropInput', 'FusedBatchNorm', 'Identity', 'Slice', 'Tile']);
    registerWasmKernels({ faster: false });
    expect(replacedWasmKernels()).toEqual([]);
    registerWasmKernels({ faster: true });
    expect(replacedWasmKernels().sort()).toEqual(['BatchMatMul', 'Conv2DBackpropInput', 'FusedBatchNorm', 'Identity', 'Slice', 'Tile']);
  });

  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`matMul transposeA=${ta} transposeB=${tb}, batched and through tf.grad`, async () => {
      const av = fixtureValues(2 * 5 * 7, 31);
      const bv = fixtureValues(2 * 7 * 3, 37);
      expectBothClose(
        await onBoth(() => {
          const a = tf.tensor3d(av, ta ? [2, 7, 5] : [2, 5, 7]);
          const b = tf.tensor3d(bv, tb ? [2, 3, 7] : [2, 7, 3]);
          const loss = (aa: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.sin(tf.matMul(aa as tf.Tensor3D, bb as tf.Tensor3D, ta, tb)));
          return [tf.matMul(a, b, ta, tb), ...tf.grads(loss)([a, b])];
        }),
      );
    });
  }

  it('tile: whole-block repeats (fast path) and interleaved repeats (tfjs kernel)', async () => {
    const v = fixtureValues(2 * 3, 41);
    expectBothClose(
      await onBoth(() => [
        tf.tile(tf.tensor4d(v.slice(0, 3), [1, 1, 1, 3]), [4, 2, 5, 1]),
        tf.tile(tf.tensor2d(v, [2, 3]), [3, 1]),
        tf.tile(tf.tensor2d(v, [2, 3]), [2, 2]),
        tf.tile(tf.tensor3d(v, [1, 2, 3]), [1, 1, 1]),
      ]),
    );
  });

  it('slice: contiguous blocks (fast path) and strided windows (tfjs kernel)', async () => {
    const v = fixtureValues(4 * 3 * 5 * 2, 43);
    expectBothClose(
      await onBoth(() => {
        const x = tf.tensor4d(v, [4, 3, 5, 2]);
        return [
          tf.slice(x, [1, 0, 0, 0], [2, -1, -1, -1]),
          tf.slice(x, [2, 1, 0, 0], [1, 2, 5, 2]),
          tf.slice(x, [3, 2, 1, 0], [1, 1, 3, 2]),
          tf.slice(x, [0, 1, 0, 0], [4, 1, 5, 2]),
          tf.slice(x, [1, 1, 1, 1], [2, 2, 2, 1]),
          tf.slice(x, 1, 2),
          tf.slice(x, [2, 1], [-1, 1]),
          tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, -1]),
        ];
      }),
    );
  });

  it('identity shares numeric data (each handle outlives the other) and copies strings', async () => {
    const v = fixtureValues(6, 45);
    const x = tf.tensor2d(v, [2, 3]);
    const same = tf.clone(x);
    const ints = tf.clone(tf.tensor1d([3, -1, 7], 'int32'));
    const strings = tf.clone(tf.tensor1d(['a', 'bc']));
    x.dispose();
    expectAllClose(await same.data(), v, 0);
    expect(Array.from(await ints.data())).toEqual([3, -1, 7]);
    expect(await strings.data()).toEqual(['a', 'bc']);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.clone(t), t)))(same);
    expectAllClose(await grad.data(), v.map((a) => 2 * a), 1e-6);
    tf.dispose([same, ints, strings, grad]);
  });

  it('slice: the whole tensor shares its data, and each handle outlives the other', async () => {
    const v = fixtureValues(3 * 4, 44);
    const x = tf.tensor2d(v, [3, 4]);
    const whole = tf.slice(x, [0, 0], [3, 4]);
    x.dispose();
    expectAllClose(await whole.data(), v, 0);
    const y = tf.tensor2d(v, [3, 4]);
    tf.slice(y, 0, 3).dispose();
    expectAllClose(await y.data(), v, 0);
    tf.dispose([whole, y]);
  });

  it('batch norm: per-channel, scalar and broadcast statistics, any rank, optional offset and scale', async () => {
    const xv = fixtureValues(2 * 3 * 4 * 5, 71);
    const stat = (seed: number, shift: number) => Array.from(fixtureValues(5, seed), (a) => a + shift);
    expectBothClose(
      await onBoth(() => {
        const x = tf.tensor4d(xv, [2, 3, 4, 5]);
        const [mean, variance, offset, scale] = [stat(73, 0), stat(79, 2), stat(83, 0), stat(89, 1)].map((a) => tf.tensor1d(a));
        return [
          tf.batchNorm(x, mean!, variance!, offset, scale, 1e-3),
          tf.batchNorm(x, mean!, variance!, undefined, undefined, 1e-5),
          tf.batchNorm(x, tf.scalar(0.3), tf.scalar(2), tf.scalar(-1), tf.scalar(0.5)),
          tf.batchNorm(x, mean!.reshape([1, 1, 1, 5]), variance!.reshape([1, 1, 1, 5]), offset!.reshape([1, 1, 1, 5]), scale!.reshape([1, 1, 1, 5])),
          tf.batchNorm(tf.tensor2d(xv, [24, 5]), mean!, variance!, offset, scale),
          // Means thousands of standard deviations away take tfjs's own kernel.
          tf.batchNorm(x, tf.add(mean!, 5e3), tf.mul(variance!, 1e-4), offset, scale),
          // Statistics of another shape than one per channel take tfjs's kernel too.
          tf.batchNorm(tf.tensor2d(xv.slice(0, 20), [4, 5]), tf.tensor2d(xv.slice(20, 40), [4, 5]), tf.tensor2d(Array.from(xv.slice(40, 60), (a) => a * a + 1), [4, 5])),
        ];
      }),
    );
  });

  it('batch norm in a training step: values and gradients', async () => {
    const xv = fixtureValues(4 * 3 * 3 * 6, 97);
    expectBothClose(
      await onBoth(() => {
        const x = tf.tensor4d(xv, [4, 3, 3, 6]);
        const gamma = tf.tensor1d(Array.from(fixtureValues(6, 101), (a) => a + 1));
        const loss = (xx: tf.Tensor, g: tf.Tensor) => {
          const { mean, variance } = tf.moments(xx, [0, 1, 2]);
          return tf.sum(tf.sin(tf.batchNorm(xx, mean, variance, tf.fill([6], 0.25), g as tf.Tensor1D, 1e-3)));
        };
        return tf.grads(loss)([x, gamma]);
      }),
    );
  });

  it('matMul with a large transposed right operand (the (B·Aᵀ)ᵀ path)', async () => {
    const av = fixtureValues(3 * 6, 47);
    const bv = fixtureValues(40 * 6, 53);
    expectBothClose(await onBoth(() => tf.matMul(tf.tensor2d(av, [3, 6]), tf.tensor2d(bv, [40, 6]), false, true)));
  });

  const backpropInputCases: Array<{ name: string; dx: number[]; f: number[]; strides: number; pad: unknown }> = [
    { name: 'stride 3 with a 2x2 filter (phases with no taps)', dx: [2, 9, 8, 3], f: [2, 2, 3, 4], strides: 3, pad: 'valid' },
    { name: 'stride 2, 4x4 filter, same', dx: [1, 9, 10, 2], f: [4, 4, 2, 3], strides: 2, pad: 'same' },
    { name: 'explicit padding larger than the filter reaches (col2im fallback)', dx: [1, 6, 6, 2], f: [2, 2, 2, 3], strides: 2, pad: [[0, 0], [3, 3], [3, 3], [0, 0]] },
  ];
  for (const c of backpropInputCases) {
    it(`Conv2DBackpropInput: ${c.name}`, async () => {
      const probe = tf.engine().runKernel('Conv2D', { x: tf.zeros(c.dx), filter: tf.zeros(c.f) }, { strides: c.strides, pad: c.pad as never, dataFormat: 'NHWC', dilations: 1 }) as tf.Tensor;
      const dyShape = probe.shape;
      probe.dispose();
      const dyv = fixtureValues(dyShape.reduce((a, b) => a * b), 61);
      const fv = fixtureValues(c.f.reduce((a, b) => a * b), 67);
      expectBothClose(
        await onBoth(
          () =>
            tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor(dyv, dyShape), filter: tf.tensor(fv, c.f) }, {
              inputShape: c.dx,
              strides: c.strides,
              pad: c.pad as never,
              dataFormat: 'NHWC',
            }) as tf.Tensor,
        ),
      );
    });
  }

  it('gather gradient (UnsortedSegmentSum) and isNaN', async () => {
    const table = fixtureValues(6 * 4, 29);
    expectBothClose(
      await onBoth(() => {
        const t = tf.tensor2d(table, [6, 4]);
        const g = tf.grad((tt: tf.Tensor) => tf.sum(tf.square(tf.gather(tt, tf.tensor1d([0, 3, 3, 5, 0, 1], 'int32')))))(t);
        return [g, tf.cast(tf.isNaN(tf.tensor1d([1, NaN, 0, Infinity, NaN])), 'float32')];
      }),
    );
  });

  it('composite kernels release every intermediate', async () => {
    const x = tf.tensor4d(fixtureValues(2 * 16 * 16 * 3), [2, 16, 16, 3]);
    const f = tf.tensor4d(fixtureValues(3 * 3 * 3 * 8, 5), [3, 3, 3, 8]);
    const [ones, zeros] = [tf.ones([3]), tf.zeros([3])];
    const wasmBackend = tf.engine().findBackend('wasm') as unknown as { numDataIds(): number };
    const step = () => {
      const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')))([x, f]);
      // batch norm's depthwise path, and the kernels that share their input's data
      const normed = tf.batchNorm(x, ones, ones, zeros, ones);
      tf.dispose([gx!, gf!, normed, tf.clone(x), tf.slice(x, [0, 0, 0, 0], x.shape)]);
    };
    step();
    const before = wasmBackend.numDataIds();
    await expectNoTensorLeaks(step, 5);
    expect(wasmBackend.numDataIds()).toBe(before);
    tf.dispose([x, f, ones, zeros]);
  });
});
