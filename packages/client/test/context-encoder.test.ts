/**
 * `ContextEncoder`'s decisions, with a stand-in encoder: text is encoded only by the catalog's
 * encoder, failures become one fallback (never an exception), bad texts become error reports.
 * The real onnxruntime-web path runs in test/client-encoder.spec.ts.
 */
import type { DetailedContentEncoder } from '@privads/encoder';
import { describe, expect, it } from 'vitest';
import { ContextEncoder, contextEncoderSettings } from '../src/worker/context-encoder.js';
import type { WorkerConfig } from '../src/protocol.js';

const SPACE = { encoderId: 'enc-a', contentDim: 4 };
const SETTINGS = { specUrl: 'https://pub.test/e/encoder.json', ortWasm: 'https://pub.test/o.wasm' };

function fakeEncoder(id: string, dim: number): DetailedContentEncoder {
  return {
    id,
    dim,
    maxChars: 100,
    tokenizerKind: 'hashed-ngrams',
    encode: async (texts) => {
      if (texts.some((t) => t === '')) throw new TypeError('index 0: text is empty');
      return new Float32Array(texts.length * dim).fill(0.5);
    },
    encodeDetailed: async () => ({ vectors: new Float32Array(dim), truncated: [] }),
    dispose: async () => undefined,
  } as DetailedContentEncoder;
}

function setup(load: () => Promise<DetailedContentEncoder>) {
  const log: string[] = [];
  let loads = 0;
  const encoder = new ContextEncoder(
    SETTINGS,
    {
      fallback: (reason) => log.push(`fallback: ${reason}`),
      error: (error) => log.push(`error: ${String(error)}`),
      log: () => undefined,
      loadFailed: (files) => log.push(`load failed: ${files.join(' ')}`),
    },
    () => {
      loads++;
      return load();
    },
  );
  return { encoder, log, loads: () => loads };
}

describe('ContextEncoder', () => {
  it('encodes with the catalog encoder; a bad text is an error report, not an exception', async () => {
    const { encoder, log } = setup(async () => fakeEncoder('enc-a', 4));
    expect(await encoder.encode('hello', SPACE)).toEqual(new Float32Array(4).fill(0.5));
    expect(await encoder.encode('', SPACE)).toBeUndefined();
    expect(log).toEqual(['error: TypeError: index 0: text is empty']);
    expect(await encoder.encode('again', SPACE)).toHaveLength(4);
  });

  it('an encoder of another vector space is refused once, then texts are ignored', async () => {
    const { encoder, log, loads } = setup(async () => fakeEncoder('enc-b', 4));
    expect(await encoder.encode('hello', SPACE)).toBeUndefined();
    expect(await encoder.encode('hello', SPACE)).toBeUndefined();
    expect(log).toEqual([
      "fallback: the content encoder enc-b (4-d) is not the catalog's enc-a (4-d); text contexts are ignored",
    ]);
    expect(loads()).toBe(1);
  });

  it('an encoder that cannot load is one fallback, and is not retried', async () => {
    const { encoder, log, loads } = setup(() => Promise.reject(new Error('HTTP 404')));
    expect(await encoder.encode('hello', SPACE)).toBeUndefined();
    expect(await encoder.encode('hello', SPACE)).toBeUndefined();
    expect(log).toHaveLength(2);
    // The host is told which files the load fetches, to find the missing one.
    expect(log[0]).toBe('load failed: https://pub.test/e/encoder.json https://pub.test/o.wasm');
    expect(log[1]).toMatch(
      /could not be loaded from https:\/\/pub\.test\/e\/encoder\.json \(HTTP 404\)/,
    );
    expect(loads()).toBe(1);
  });

  it('an encoder file error adds the file it names; a wasm folder adds both onnxruntime-web files', async () => {
    const log: string[] = [];
    const missingModel = Object.assign(new Error('model.onnx: answered HTTP 404'), {
      file: 'https://pub.test/e/model.onnx',
    });
    const encoder = new ContextEncoder(
      { specUrl: 'https://pub.test/e/encoder.json', ortWasm: 'https://pub.test/ort/' },
      {
        fallback: () => undefined,
        error: () => undefined,
        log: () => undefined,
        loadFailed: (files) => log.push(...files),
      },
      () => Promise.reject(missingModel),
    );
    await encoder.encode('hello', SPACE);
    expect(log).toEqual([
      'https://pub.test/e/encoder.json',
      'https://pub.test/e/model.onnx',
      'https://pub.test/ort/ort-wasm-simd-threaded.wasm',
      'https://pub.test/ort/ort-wasm-simd-threaded.mjs',
    ]);
  });
});

describe('contextEncoderSettings', () => {
  const config = (over: Partial<WorkerConfig>): WorkerConfig =>
    ({ assets: {}, encoder: {}, ...over }) as WorkerConfig;

  it('defaults to files next to the asset base URL', () => {
    expect(
      contextEncoderSettings(config({ assets: { baseUrl: 'https://pub.test/static/' } })),
    ).toEqual({
      specUrl: 'https://pub.test/static/encoder/encoder.json',
      ortWasm: 'https://pub.test/static/ort-wasm-simd-threaded.wasm',
    });
  });

  it('takes explicit locations, and nothing when the encoder is off', () => {
    expect(
      contextEncoderSettings(
        config({
          assets: { baseUrl: 'https://pub.test/static/', ortWasmPath: 'https://pub.test/ort/' },
          encoder: {
            specUrl: 'https://pub.test/m/encoder.json',
            modelUrl: 'https://cdn.test/m.onnx',
          },
        }),
      ),
    ).toEqual({
      specUrl: 'https://pub.test/m/encoder.json',
      ortWasm: 'https://pub.test/ort/',
      modelUrl: 'https://cdn.test/m.onnx',
    });
    expect(contextEncoderSettings(config({ encoder: false }))).toBeUndefined();
  });
});
