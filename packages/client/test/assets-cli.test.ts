/**
 * `privads-assets`, the one copy step of every bundler recipe: it copies the files the worker
 * loads, resolved from the installed packages, into the layout `assets.baseUrl` expects.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENCODER_SPEC, ORT_WASM_FILE } from '../src/worker/context-encoder.js';
import { TFJS_WASM_FILES } from '../src/worker/model-runtime.js';

const bin = fileURLToPath(new URL('../bin/privads-assets.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'privads-assets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

describe('privads-assets', () => {
  it('copies every file the worker looks up under assets.baseUrl', () => {
    const result = run(join(dir, 'all'));
    expect(result.status).toBe(0);
    const files = [...TFJS_WASM_FILES, ORT_WASM_FILE, DEFAULT_ENCODER_SPEC, 'encoder/model.onnx'];
    for (const file of files) expect(statSync(join(dir, 'all', file)).size).toBeGreaterThan(0);
    const spec = JSON.parse(readFileSync(join(dir, 'all', DEFAULT_ENCODER_SPEC), 'utf8')) as {
      model: { file: string };
    };
    expect(spec.model.file).toBe('model.onnx');
  });

  it('--no-encoder copies the learning files only', () => {
    expect(run(join(dir, 'learning'), '--no-encoder').status).toBe(0);
    expect(readdirSync(join(dir, 'learning')).sort()).toEqual([...TFJS_WASM_FILES].sort());
  });

  it('--help prints the usage and exits 0; a missing DIR is a usage error', () => {
    const help = run('--help');
    expect([help.status, help.stdout.startsWith('Usage: privads-assets DIR')]).toEqual([0, true]);
    const bad = run();
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/expected one DIR/);
  });
});
