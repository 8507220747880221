// Types of onnx-writer.mjs, for the unit tests that build ad-hoc models with it.
export declare const DataType: Readonly<{ FLOAT: 1; INT8: 3; INT64: 7 }>;
export interface OnnxTensorInit {
  name: string;
  dataType: number;
  dims: number[];
  rawData: Uint8Array;
}
export interface OnnxValueInfo {
  name: string;
  type: object;
}
export interface OnnxNode {
  opType: string;
  input: string[];
  output: string[];
  name: string;
  attribute: object[];
}
export declare function littleEndianBytes(
  array: Float32Array | Int8Array | BigInt64Array,
): Uint8Array;
export declare function initializer(
  name: string,
  dataType: number,
  dims: number[],
  values: Float32Array | Int8Array | BigInt64Array,
): OnnxTensorInit;
export declare function valueInfo(
  name: string,
  elemType: number,
  shape: (number | string)[],
): OnnxValueInfo;
export declare function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes?: Record<string, { int?: boolean; value: number | number[] }>,
): OnnxNode;
export declare function serializeModel(m: {
  name: string;
  doc: string;
  nodes: OnnxNode[];
  initializers: OnnxTensorInit[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  metadata: Record<string, string>;
}): Uint8Array;
export declare function createPrng(seed: number): () => number;
export declare function normalish(next: () => number): number;
