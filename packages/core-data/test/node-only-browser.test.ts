/**
 * The browser build's stand-ins for the file readers and writers fail with a typed error that
 * names the function and says what to use in a browser, rather than with a bundler's or a
 * missing module's error.
 */
import { DbvaeError, NodeOnlyError } from '@dbvae/backend';
import { describe, expect, it } from 'vitest';
import * as standIns from '../src/node-only-browser';

const calls: Array<[string, () => unknown]> = [
  ['readLabH5', () => standIns.readLabH5('faces.h5')],
  ['writeLabH5', () => standIns.writeLabH5('faces.h5', { images: new Uint8Array(0), labels: new Uint8Array(0), height: 1, width: 1 } as never)],
  ['loadImageFolder', () => standIns.loadImageFolder('faces/')],
  ['writeSynthFaces', () => standIns.writeSynthFaces('out/')],
  ['openImageSource', () => standIns.openImageSource('faces/')],
  ['iterateImageChunks', () => standIns.iterateImageChunks({} as never, { size: [64, 64] } as never).next()],
  ['parseImageList', () => standIns.parseImageList('a.png\n', 'list.txt')],
];

describe('browser stand-ins of the Node-only core-data functions', () => {
  it.each(calls)('%s throws NodeOnlyError with code E_NODE_ONLY', async (feature, call) => {
    const error = await (async () => call())().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(NodeOnlyError);
    expect(error).toBeInstanceOf(DbvaeError);
    expect(error).toMatchObject({ name: 'NodeOnlyError', code: 'E_NODE_ONLY', feature });
    expect((error as Error).message).toMatch(/needs Node\.js/);
    expect((error as Error).message).toMatch(/In a browser/);
  });

  it('covers every function the Node-only files export through the package entry', async () => {
    const entry = (await import('../src/index')) as Record<string, unknown>;
    const nodeOnlyFiles = await Promise.all(['hdf5', 'image-folder', 'image-source', 'synth-faces-writer'].map((file) => import(`../src/${file}.ts`) as Promise<Record<string, unknown>>));
    const nodeOnlyPublic = Object.keys(entry).filter((name) => nodeOnlyFiles.some((module) => module[name] === entry[name]));
    expect(Object.keys(standIns).sort()).toEqual(nodeOnlyPublic.sort());
  });
});
