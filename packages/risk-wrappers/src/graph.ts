import { tf } from '@dbvae/backend';
import { UnsupportedModelError } from './errors';

type Sym = tf.SymbolicTensor;
/** The parts of tfjs's graph node that the rebuild needs (public fields of tfjs-layers' Node). */
interface GraphNode {
  inputTensors: Sym[];
  outputTensors: Sym[];
  callArgs: Record<string, unknown>;
}
function inboundNodes(layer: tf.layers.Layer): GraphNode[] {
  return (layer as unknown as { inboundNodes: GraphNode[] }).inboundNodes;
}

/** Where a wrapper reads its features: a layer name, a layer index (negative counts from the end), or the default. */
export type FeatureLayer = string | number;

/** Every symbolic tensor the model's outputs depend on (the model's own graph, whatever other graphs share its layers). */
export function modelTensorIds(model: tf.LayersModel): Set<number> {
  const seen = new Set<number>();
  const visit = (s: Sym): void => {
    if (seen.has(s.id)) return;
    seen.add(s.id);
    const node = inboundNodes(s.sourceLayer as tf.layers.Layer)[s.nodeIndex];
    for (const i of node?.inputTensors ?? []) visit(i);
  };
  for (const o of model.outputs) visit(o);
  return seen;
}

/**
 * The input tensors of the node that produced `t` (node-aware: right for shared layers, nested
 * models and layers a previous wrapper re-applied, where tfjs's `layer.input` throws
 * "multiple inbound nodes").
 */
export function producerInputs(t: Sym): Sym[] {
  const node = inboundNodes(t.sourceLayer as tf.layers.Layer)[t.nodeIndex];
  return node?.inputTensors ?? [];
}

/**
 * The symbolic feature tensor of a model: the output of the named/indexed layer, or by
 * default the input of the layer that produces the first output (the "last layer"). Works
 * for layers with several inbound nodes (shared layers, a model wrapped twice): the node
 * inside this model's graph is used.
 * @throws UnsupportedModelError when the layer is missing, is applied more than once in this
 *   model, or has several outputs.
 */
export function featureTensor(model: tf.LayersModel, featureLayer?: FeatureLayer): Sym {
  try {
    if (featureLayer === undefined) {
      const out0 = model.outputs[0] as Sym;
      const last = out0.sourceLayer as tf.layers.Layer;
      if (last.getClassName() === 'InputLayer') throw new UnsupportedModelError('the model has no layers between input and output.');
      const inp = producerInputs(out0);
      if (inp.length !== 1) throw new UnsupportedModelError(`the last layer '${last.name}' has ${inp.length} inputs; pass featureLayer (a layer name or index).`);
      return inp[0] as Sym;
    }
    const layer = typeof featureLayer === 'number' ? model.layers[featureLayer < 0 ? model.layers.length + featureLayer : featureLayer] : model.getLayer(featureLayer);
    if (layer === undefined) throw new UnsupportedModelError(`no layer at index ${featureLayer} (the model has ${model.layers.length}).`);
    const inGraph = modelTensorIds(model);
    const outs = inboundNodes(layer).flatMap((n) => n.outputTensors).filter((t) => t.sourceLayer === layer && inGraph.has(t.id));
    const nodes = new Set(outs.map((t) => t.nodeIndex));
    if (nodes.size > 1) throw new UnsupportedModelError(`layer '${layer.name}' is applied ${nodes.size} times in this model (a shared layer); choose a featureLayer applied once, e.g. the layer after it.`);
    if (outs.length !== 1) throw new UnsupportedModelError(`layer '${layer.name}' has ${outs.length === 0 ? 'no output in this model' : 'several outputs'}; choose another featureLayer.`);
    return outs[0] as Sym;
  } catch (e) {
    if (e instanceof UnsupportedModelError) throw e;
    throw new UnsupportedModelError(`could not find the feature layer ${featureLayer === undefined ? '(default: input of the last layer)' : `'${featureLayer}'`}: ${(e as Error).message}`, { cause: e });
  }
}

/** Layers between the model inputs and a tensor (its ancestors), inputs first. */
export function ancestorLayers(t: Sym): tf.layers.Layer[] {
  const seen = new Set<tf.layers.Layer>();
  const order: tf.layers.Layer[] = [];
  const visit = (s: Sym): void => {
    const layer = s.sourceLayer as tf.layers.Layer;
    if (seen.has(layer)) return;
    seen.add(layer);
    const node = inboundNodes(layer)[s.nodeIndex];
    for (const i of node?.inputTensors ?? []) visit(i);
    order.push(layer);
  };
  visit(t);
  return order;
}

/** Hooks of {@link rebuildGraph}. */
export interface RebuildHooks {
  /** A replacement for a layer (called once per layer), or undefined to reuse the layer itself (shared weights). */
  replace?: (layer: tf.layers.Layer) => tf.layers.Layer | undefined;
  /** Called with each original layer and its new output; may wrap the output (e.g. add dropout). */
  after?: (layer: tf.layers.Layer, output: Sym, isModelOutput: boolean) => Sym;
}

/**
 * Re-applies a model's layers to fresh inputs, optionally replacing layers or inserting
 * layers after them. Returns the new inputs and the map from old tensors to new ones, so
 * that any tensor of the old graph (outputs, features) can be found in the new one.
 */
export function rebuildGraph(model: tf.LayersModel, hooks: RebuildHooks): { inputs: Sym[]; map: (t: Sym) => Sym } {
  const map = new Map<number, Sym>();
  const inputs = model.inputs.map((t) => {
    const fresh = tf.input({ shape: t.shape.slice(1) as number[], dtype: t.dtype, name: `${t.name.replace(/[^A-Za-z0-9_]/g, '_')}_rw` });
    map.set(t.id, fresh);
    return fresh;
  });
  const outputIds = new Set(model.outputs.map((t) => t.id));
  const inGraph = modelTensorIds(model);
  const replaced = new Map<tf.layers.Layer, tf.layers.Layer>();
  let progress = true;
  const done = new Set<GraphNode>();
  while (progress) {
    progress = false;
    for (const layer of model.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      for (const node of inboundNodes(layer)) {
        if (done.has(node) || node.inputTensors.length === 0 || !node.inputTensors.every((t) => map.has(t.id))) continue;
        if (!node.outputTensors.every((t) => t.sourceLayer === layer && inGraph.has(t.id))) continue;
        done.add(node);
        progress = true;
        let use = replaced.get(layer);
        if (use === undefined) {
          use = hooks.replace?.(layer) ?? layer;
          replaced.set(layer, use);
        }
        const ins = node.inputTensors.map((t) => map.get(t.id) as Sym);
        const out = use.apply(ins.length === 1 ? (ins[0] as Sym) : ins, node.callArgs) as Sym | Sym[];
        const outs = Array.isArray(out) ? out : [out];
        node.outputTensors.forEach((old, i) => {
          let fresh = outs[i] as Sym;
          if (hooks.after) fresh = hooks.after(layer, fresh, outputIds.has(old.id));
          map.set(old.id, fresh);
        });
      }
    }
  }
  return {
    inputs,
    map: (t: Sym) => {
      const m = map.get(t.id);
      if (m === undefined) throw new UnsupportedModelError(`could not rebuild the graph up to '${t.name}' (unsupported layer connectivity).`);
      return m;
    },
  };
}

/**
 * A fresh copy of a layer (same class and config, new weights): initialiser seeds are
 * replaced by `seed`-derived ones so that copies are independently initialised.
 */
export function freshLayerCopy(layer: tf.layers.Layer, seed: () => number, suffix: string): tf.layers.Layer {
  const config = JSON.parse(JSON.stringify(layer.getConfig())) as Record<string, unknown>;
  for (const [key, value] of Object.entries(config)) {
    if (key.endsWith('Initializer') && value !== null && typeof value === 'object') {
      const init = value as { config?: Record<string, unknown> };
      init.config = { ...(init.config ?? {}), seed: seed() };
    }
  }
  config['name'] = `${layer.name}${suffix}`;
  const cls = layer.constructor as unknown as {
    fromConfig: (cls: unknown, config: tf.serialization.ConfigDict) => tf.layers.Layer;
  };
  return cls.fromConfig(cls, config as tf.serialization.ConfigDict);
}
