// Types of generate-default-model.mjs, for the unit tests.
export declare const DEFAULT_MODEL: Readonly<{
  id: string;
  seed: number;
  buckets: number;
  bagDim: number;
  dim: number;
  int8Std: number;
}>;
export declare function buildDefaultModel(p?: typeof DEFAULT_MODEL): Uint8Array;
export declare function defaultSpecJson(p?: typeof DEFAULT_MODEL): Record<string, unknown>;
