// Helpers shared by the model generators: build ONNX protobuf messages from plain values and
// serialise them with protobufjs against the committed subset of onnx.proto. Nothing here is
// random; the generators pass in weights they derived from their seed.
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

const root = protobuf.parse(readFileSync(new URL('./onnx.proto', import.meta.url), 'utf8')).root;
const ModelProto = root.lookupType('onnx.ModelProto');

/** ONNX TensorProto.DataType values used by the generators. */
export const DataType = Object.freeze({ FLOAT: 1, INT8: 3, INT64: 7 });

const AttributeType = Object.freeze({ FLOAT: 1, INT: 2, INTS: 7 });

/**
 * Little-endian bytes of a typed array (ONNX raw_data is always little-endian).
 * @param {Float32Array | Int8Array | BigInt64Array} array
 * @returns {Uint8Array}
 */
export function littleEndianBytes(array) {
  const out = new Uint8Array(array.length * array.BYTES_PER_ELEMENT);
  const view = new DataView(out.buffer);
  for (let i = 0; i < array.length; i++) {
    if (array instanceof Float32Array) view.setFloat32(i * 4, array[i], true);
    else if (array instanceof Int8Array) view.setInt8(i, array[i]);
    else view.setBigInt64(i * 8, array[i], true);
  }
  return out;
}

/**
 * An initializer (a constant tensor stored in the graph).
 * @param {string} name
 * @param {number} dataType one of {@link DataType}
 * @param {number[]} dims
 * @param {Float32Array | Int8Array | BigInt64Array} values
 */
export function initializer(name, dataType, dims, values) {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== values.length)
    throw new Error(`${name}: dims ${dims} need ${count} values, got ${values.length}`);
  return { name, dataType, dims, rawData: littleEndianBytes(values) };
}

/**
 * A graph input or output: element type and shape, where a string is a symbolic dimension.
 * @param {string} name
 * @param {number} elemType one of {@link DataType}
 * @param {(number | string)[]} shape
 */
export function valueInfo(name, elemType, shape) {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/**
 * A node. Attribute values: a number with `int` true → INT, a number → FLOAT, an array → INTS.
 * @param {string} opType
 * @param {string[]} inputs
 * @param {string[]} outputs
 * @param {Record<string, { int?: boolean, value: number | number[] }>} [attributes]
 */
export function node(opType, inputs, outputs, attributes = {}) {
  const attribute = Object.entries(attributes).map(([name, { int, value }]) => {
    if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
    return int
      ? { name, type: AttributeType.INT, i: value }
      : { name, type: AttributeType.FLOAT, f: value };
  });
  return { opType, input: inputs, output: outputs, name: `${opType}_${outputs[0]}`, attribute };
}

/**
 * Serialises a model (IR version 8, default-domain opset 17: supported by onnxruntime-node's CPU
 * execution provider and onnxruntime-web's wasm one).
 * @param {{ name: string, doc: string, nodes: object[], initializers: object[], inputs: object[], outputs: object[], metadata: Record<string, string> }} m
 * @returns {Uint8Array}
 */
export function serializeModel(m) {
  const message = ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'privads-encoder-scripts',
    producerVersion: '1',
    docString: m.doc,
    graph: {
      name: m.name,
      node: m.nodes,
      initializer: m.initializers,
      input: m.inputs,
      output: m.outputs,
    },
    metadataProps: Object.entries(m.metadata).map(([key, value]) => ({ key, value })),
  });
  return ModelProto.encode(message).finish();
}

/**
 * xoshiro128** seeded through splitmix32: a small, well-studied PRNG with integer-only arithmetic,
 * so every platform draws the same sequence from the same seed.
 * @param {number} seed 32-bit unsigned
 * @returns {() => number} next uint32
 */
export function createPrng(seed) {
  let s = seed >>> 0;
  const splitmix32 = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const st = [splitmix32(), splitmix32(), splitmix32(), splitmix32()];
  const rotl = (x, k) => ((x << k) | (x >>> (32 - k))) >>> 0;
  return () => {
    const result = Math.imul(rotl(Math.imul(st[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (st[1] << 9) >>> 0;
    st[2] ^= st[0];
    st[3] ^= st[1];
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = rotl(st[3], 11);
    for (let i = 0; i < 4; i++) st[i] >>>= 0;
    return result;
  };
}

/**
 * Approximately standard-normal draws (Irwin–Hall sum of 12 uniforms minus 6). Only integer
 * operations and exact power-of-two scaling are involved before the sum, so the values are
 * bit-identical on every platform (unlike Box–Muller, which calls Math.log/Math.cos).
 * @param {() => number} next uint32 source
 * @returns {number}
 */
export function normalish(next) {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += next() / 4294967296;
  return sum - 6;
}
