import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncoderFileError, defaultEncoderSpec } from '@privads/encoder';
import { createNodeEncoder } from '@privads/encoder-node';
import { createWebEncoder } from '@privads/encoder/web';
import {
  defaultModelPath,
  longText,
  maxAbsDiff,
  ortWasmDir,
  packageDir,
  parityTexts,
  tinySpecPath,
} from '../../encoder/test/helpers.js';

// onnxruntime-web's WebAssembly backend, run under Node: the browser runner's code path (fetch,
// spec resolution, wasm session) without a browser. test/encoder.spec.ts runs it in Chromium.
const texts = [...parityTexts, longText];
let server: Server;
let origin: string;

beforeAll(async () => {
  // Serves the package directory; unknown paths get an HTML page with status 200, like an SPA host.
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (path.startsWith('/status/')) {
      res.writeHead(Number(path.slice(8))).end();
      return;
    }
    readFile(join(packageDir, path)).then(
      (body) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body),
      () =>
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><title>app</title>'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function webError(
  options: Parameters<typeof createWebEncoder>[0],
): Promise<EncoderFileError> {
  try {
    await (await createWebEncoder(options)).dispose();
  } catch (error) {
    expect(error).toBeInstanceOf(EncoderFileError);
    return error as EncoderFileError;
  }
  throw new Error('expected an EncoderFileError');
}

describe('createWebEncoder (onnxruntime-web wasm, under Node)', () => {
  it('produces the same vectors as the Node runner within 1e-5 (default model)', async () => {
    const node = await createNodeEncoder();
    const web = await createWebEncoder({
      wasmPaths: ortWasmDir,
      modelBytes: await readFile(defaultModelPath),
    });
    try {
      expect(web.id).toBe(node.id);
      const a = await node.encode(texts);
      const b = await web.encode(texts);
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    } finally {
      await Promise.all([node.dispose(), web.dispose()]);
    }
  });

  it('loads a spec by URL and resolves its files against it (tiny wordpiece model)', async () => {
    const node = await createNodeEncoder({ specPath: tinySpecPath });
    const web = await createWebEncoder({
      wasmPaths: ortWasmDir,
      specUrl: `${origin}/test/fixtures/tiny-wordpiece/encoder.json`,
    });
    try {
      expect([web.id, web.dim, web.tokenizerKind]).toEqual([node.id, 32, 'wordpiece']);
      expect(maxAbsDiff(await node.encode(texts), await web.encode(texts))).toBeLessThan(1e-5);
    } finally {
      await Promise.all([node.dispose(), web.dispose()]);
    }
  });

  it('accepts the default spec with a model URL, and a parsed tokenizer.json', async () => {
    const web = await createWebEncoder({
      wasmPaths: ortWasmDir,
      modelUrl: `${origin}/models/default/model.onnx`,
    });
    const tinyDir = join(tinySpecPath, '..');
    const tiny = await createWebEncoder({
      wasmPaths: ortWasmDir,
      spec: JSON.parse(await readFile(tinySpecPath, 'utf8')) as never,
      modelBytes: (await readFile(join(tinyDir, 'model.onnx'))).buffer as ArrayBuffer,
      tokenizerJson: JSON.parse(await readFile(join(tinyDir, 'tokenizer.json'), 'utf8')),
    });
    try {
      expect((await web.encode(['hello world'])).length).toBe(384);
      expect((await tiny.encode(['hello world'])).length).toBe(32);
    } finally {
      await Promise.all([web.dispose(), tiny.dispose()]);
    }
  });

  it('reports missing and wrong files by URL', async () => {
    let e = await webError({ wasmPaths: ortWasmDir, modelUrl: `${origin}/status/404` });
    expect(e).toMatchObject({ code: 'ENCODER_MODEL_MISSING', file: `${origin}/status/404` });
    expect(e.message).toMatch(/answered HTTP 404; expected an ONNX model file$/);
    e = await webError({
      wasmPaths: ortWasmDir,
      modelUrl: `${origin}/models/default/missing.onnx`,
    });
    expect(e.message).toMatch(
      /missing\.onnx: answered with an HTML page \(a fallback for a missing file\?\)/,
    );
    e = await webError({ wasmPaths: ortWasmDir, specUrl: `${origin}/status/500` });
    expect(e.message).toMatch(/status\/500: answered HTTP 500; expected an encoder spec file/);
    e = await webError({ wasmPaths: ortWasmDir, modelUrl: 'http://127.0.0.1:1/model.onnx' });
    expect(e.message).toMatch(/could not be fetched/);
    e = await webError({ wasmPaths: ortWasmDir, modelBytes: new Uint8Array(100).fill(7) });
    expect(e).toMatchObject({ code: 'ENCODER_MODEL_INVALID', file: 'modelBytes option' });
    expect(e.message).toMatch(/could not be loaded by onnxruntime-web/);
    e = await webError({
      wasmPaths: ortWasmDir,
      modelUrl: `${origin}/models/default/model.onnx`,
      spec: { ...defaultEncoderSpec, dim: 100 },
    });
    expect(e.message).toMatch(
      /output "embedding" has shape \[batch, 384\]; expected output "embedding" \(float32 \[batch, 100\]/,
    );
  });

  it('checks its options', async () => {
    await expect(createWebEncoder({ wasmPaths: '' } as never)).rejects.toThrow(TypeError);
    await expect(createWebEncoder({ modelBytes: new Uint8Array(1) } as never)).rejects.toThrow(
      /wasmPaths must be/,
    );
    await expect(createWebEncoder({ wasmPaths: ortWasmDir })).rejects.toThrow(
      /needs specUrl, modelUrl or modelBytes/,
    );
  });
});

describe('the encoder after dispose', () => {
  it('refuses to encode', async () => {
    const encoder = await createNodeEncoder();
    await encoder.dispose();
    await encoder.dispose();
    await expect(encoder.encode(['x'])).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
});
