import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { BackendError } from '@privads/protocol';
import { createWebEncoder } from '@privads/encoder/web';
import { defaultModelPath } from './helpers.js';

// A file of its own: onnxruntime-web remembers a failed backend start for the life of the process.
describe('createWebEncoder with wasm files that are not there', () => {
  it('throws BACKEND_UNAVAILABLE naming wasmPaths, not a model error', async () => {
    const modelBytes = await readFile(defaultModelPath);
    const error: unknown = await createWebEncoder({
      wasmPaths: '/nonexistent/ort/',
      modelBytes,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect((error as Error).message).toMatch(
      /^onnxruntime-web could not start its WebAssembly backend with wasmPaths "\/nonexistent\/ort\/" \(no available backend found/,
    );
  });
});
