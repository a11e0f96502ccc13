/** file:// save and load in plain Node (no tfjs-node): tfjs's own APIs and the handler directly. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSystemIOError, fileSystemIOHandler, registerFileSystemIO, tf } from '@dbvae/backend';

function tinyModel(): tf.LayersModel {
  return tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 4, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }), tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) })] });
}

describe('file:// without tfjs-node', () => {
  let dir = '';
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'dbvae-fsio-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("model.save('file://...') and tf.loadLayersModel('file://.../model.json') round-trip the weights", async () => {
    expect(tf.io.getSaveHandlers(`file://${dir}/m`)).toHaveLength(0); // tfjs alone has no file:// handler
    expect(registerFileSystemIO()).toBe(true);
    expect(registerFileSystemIO()).toBe(true); // idempotent: one router, not two
    expect(tf.io.getSaveHandlers(`file://${dir}/m`)).toHaveLength(1);
    const model = tinyModel();
    await model.save(`file://${dir}/m`);
    expect((await readdir(join(dir, 'm'))).sort()).toEqual(['model.json', 'weights.bin']);
    const back = await tf.loadLayersModel(`file://${dir}/m/model.json`);
    const x = tf.tensor2d([[1, -2, 0.5], [0, 3, -1]]);
    const [a, b] = [model.predict(x) as tf.Tensor, back.predict(x) as tf.Tensor];
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([x, a, b]);
    model.dispose();
    back.dispose();
  });

  it('the handler loads from a directory; unreadable or unwritable paths throw FileSystemIOError', async () => {
    const model = tinyModel();
    await model.save(fileSystemIOHandler(join(dir, 'plain')));
    const back = await tf.loadLayersModel(fileSystemIOHandler(`file://${join(dir, 'plain')}`));
    expect(back.countParams()).toBe(model.countParams());
    await expect(tf.loadLayersModel(fileSystemIOHandler(join(dir, 'missing')))).rejects.toBeInstanceOf(FileSystemIOError);
    await writeFile(join(dir, 'a-file'), 'x');
    await expect(model.save(fileSystemIOHandler(join(dir, 'a-file', 'sub')))).rejects.toBeInstanceOf(FileSystemIOError);
    model.dispose();
    back.dispose();
  });
});
