import { describe, expect, it } from 'vitest';
import { CpuEngine } from '../src/engines/cpu-engine.js';
import { EngineRegistry } from '../src/engines/engine.js';
import { resolveEngine } from '../src/engines/resolver.js';
import type { WasmSimdEngine } from '../src/engines/wasm-engine.js';
import { wasmSimdEngineProvider } from '../src/engines/wasm-engine.js';
import { engineConformanceCases, fixture, query } from './engine-conformance.js';

async function createEngine(): Promise<WasmSimdEngine> {
  const probe = await wasmSimdEngineProvider.probe({ force: true });
  if (!probe.ok) throw new Error(probe.reason);
  return (await probe.create()) as WasmSimdEngine;
}

describe('WASM SIMD engine conformance', () => {
  for (const testCase of engineConformanceCases()) {
    it(testCase.name, async () => {
      const engine = await createEngine();
      try {
        await testCase.run(engine);
      } finally {
        engine.dispose();
      }
    });
  }
});

describe('WASM SIMD engine selection', () => {
  it('returns exactly the CPU engine top K where many rows nearly tie', async () => {
    // Rows that differ in one int8 step: the int16 query's error exceeds their gaps, so the
    // candidate buffer must widen until the exact re-rank sees every contender.
    const dim = 64;
    const rows = 3000;
    const data = new Int8Array(rows * dim).fill(40);
    for (let i = 0; i < rows; i++) data[i * dim + (i % dim)] = 40 + (i % 3);
    const scales = new Float32Array(rows).fill(1 / 400);
    const matrix = { version: 'near-ties', rows, dim, data, scales };
    const wasm = await createEngine();
    const cpu = new CpuEngine();
    await wasm.load(matrix);
    await cpu.load(matrix);
    for (const seed of [1, 2, 3]) {
      const q = query(dim, seed);
      for (const k of [1, 10, 50]) {
        const got = await wasm.topK(q, k);
        const want = await cpu.topK(q, k);
        expect(Array.from(got.indices)).toEqual(Array.from(want.indices));
        expect(Array.from(got.scores)).toEqual(Array.from(want.scores));
      }
    }
  });

  it('answers a non-finite query as the CPU engine does', async () => {
    const { matrix } = fixture(40, 16, 3);
    const engine = await createEngine();
    await engine.load(matrix);
    const q = query(16, 4);
    q[3] = Number.NaN;
    expect((await engine.topK(q, 5)).indices.length).toBe(0);
  });

  it('is chosen in auto only with a measurement, and says so', async () => {
    const registry = new EngineRegistry().register(wasmSimdEngineProvider);
    const probe = await wasmSimdEngineProvider.probe({ force: false });
    const text = probe.ok ? probe.detail : probe.reason;
    expect(text).toMatch(/\d+×128 top-10: [\d.]+ ms, cpu engine [\d.]+ ms/);
    if (probe.ok) {
      const { engine, decisions } = await resolveEngine(registry);
      expect(engine.name).toBe('wasm-simd');
      expect(decisions[0]?.reason).toMatch(/cpu engine/);
      engine.dispose();
    }
  });
});
