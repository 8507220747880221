/// <reference lib="webworker" />
import { isPrivAdsError, serializeError } from '@privads/protocol';
import {
  EncoderFileError,
  defaultEncoderSpec,
  type DetailedContentEncoder,
} from '@privads/encoder';
import { createWebEncoder, type WasmPaths } from '@privads/encoder/web';
import type { HarnessEncoderName, HarnessRequest, HarnessResponse } from './protocol.js';

// Vite serves these files (outside the harness root) from the same origin as the page: the set-up
// a publisher copies (docs/encoder.md, "Serving the files").
const wasm = new URL(
  '../../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm',
  import.meta.url,
).href;
const defaultModel = new URL('../../../packages/encoder/models/default/model.onnx', import.meta.url)
  .href;
const tinySpec = new URL(
  '../../../packages/encoder/test/fixtures/tiny-wordpiece/encoder.json',
  import.meta.url,
).href;
const wasmPaths: WasmPaths = { wasm };

const encoders = new Map<
  HarnessEncoderName,
  Promise<{ encoder: DetailedContentEncoder; loadMs: number }>
>();

function create(name: HarnessEncoderName): Promise<DetailedContentEncoder> {
  switch (name) {
    case 'default':
      return createWebEncoder({ wasmPaths, modelUrl: defaultModel });
    case 'default-prefix':
      // A URL prefix: onnxruntime-web loads both .wasm and .mjs from it.
      return createWebEncoder({
        wasmPaths: wasm.slice(0, wasm.lastIndexOf('/') + 1),
        modelUrl: defaultModel,
      });
    case 'tiny-wordpiece':
      return createWebEncoder({ wasmPaths, specUrl: tinySpec });
    case 'missing-model':
      return createWebEncoder({
        wasmPaths,
        modelUrl: new URL('./no-such-model.onnx', defaultModel),
      });
    case 'html-model':
      return createWebEncoder({
        wasmPaths,
        modelUrl: new URL('/encoder/index.html', location.href),
      });
    case 'corrupt-model':
      return createWebEncoder({
        wasmPaths,
        modelBytes: new Uint8Array(4096).map((_, i) => (i * 131) & 0xff),
      });
    case 'wrong-dim':
      return createWebEncoder({
        wasmPaths,
        modelUrl: defaultModel,
        spec: { ...defaultEncoderSpec, dim: 128 },
      });
    case 'wrong-input':
      return createWebEncoder({
        wasmPaths,
        modelUrl: defaultModel,
        spec: {
          ...defaultEncoderSpec,
          model: { file: 'model.onnx', inputs: { ids: 'token_ids' } },
        },
      });
  }
}

function load(name: HarnessEncoderName) {
  let entry = encoders.get(name);
  if (entry === undefined) {
    const started = performance.now();
    entry = create(name).then((encoder) => ({ encoder, loadMs: performance.now() - started }));
    encoders.set(name, entry);
  }
  return entry;
}

async function handle(request: HarnessRequest): Promise<HarnessResponse> {
  try {
    const { encoder, loadMs } = await load(request.encoder);
    let best = Infinity;
    let result = await encoder.encodeDetailed(request.texts as string[]);
    for (let i = 1; i < (request.repeat ?? 1); i++) {
      const t = performance.now();
      result = await encoder.encodeDetailed(request.texts as string[]);
      best = Math.min(best, performance.now() - t);
    }
    return {
      id: request.id,
      ok: true,
      encoderId: encoder.id,
      dim: encoder.dim,
      vectors: request.omitVectors === true ? [] : Array.from(result.vectors),
      truncated: result.truncated,
      bestMs: best,
      loadMs,
    };
  } catch (error) {
    if (!isPrivAdsError(error)) console.error(error);
    const file = error instanceof EncoderFileError ? { file: error.file } : {};
    return { id: request.id, ok: false, error: { ...serializeError(error), ...file } };
  }
}

self.onmessage = (event: MessageEvent<HarnessRequest>) => {
  void handle(event.data).then((response) => self.postMessage(response));
};
