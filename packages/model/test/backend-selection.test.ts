import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  gradientBackendCandidates,
  registerGradientBackend,
  selectGradientBackend,
  unregisterGradientBackend,
} from '@privads/model';
import { nodeWasmPaths, selectNodeGradientBackend } from '@privads/model/node';

afterEach(() => {
  unregisterGradientBackend('broken');
  unregisterGradientBackend('absent');
});

describe('gradient backend registry', () => {
  it('lists the built-in candidates by priority: webgpu → wasm → cpu', () => {
    expect(gradientBackendCandidates().map((c) => [c.name, c.priority])).toEqual([
      ['webgpu', 3],
      ['wasm', 2],
      ['cpu', 1],
    ]);
  });

  it('validates registrations', () => {
    const prepare = () => Promise.resolve();
    expect(() => registerGradientBackend({ name: '', priority: 1, prepare })).toThrow(TypeError);
    expect(() => registerGradientBackend({ name: 'x', priority: NaN, prepare })).toThrow(
      /priority/,
    );
  });
});

describe('selectGradientBackend', () => {
  it('measures the usable backends, keeps the fastest and says why webgpu was skipped', async () => {
    const report = await selectNodeGradientBackend();
    expect(report.attempts.map((a) => a.name)).toEqual(['webgpu', 'wasm', 'cpu']);
    const [webgpu, wasm, cpu] = report.attempts;
    expect(webgpu).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/navigator.gpu/),
    });
    for (const a of [wasm!, cpu!]) {
      expect(['chosen', 'passed']).toContain(a.status);
      expect(a.selfTestError).toBeLessThan(1e-3);
      expect(a.timeMs).toBeGreaterThan(0);
    }
    const chosen = report.attempts.find((a) => a.status === 'chosen')!;
    expect(report.selectedBy).toBe('fastest');
    expect(report.backend).toBe(chosen.name);
    expect(tf.getBackend()).toBe(chosen.name);
    expect(chosen.timeMs).toBe(Math.min(wasm!.timeMs!, cpu!.timeMs!));
  });

  it('honours a preference that passes its self-test', async () => {
    const report = await selectGradientBackend('cpu');
    expect(report).toMatchObject({ backend: 'cpu', selectedBy: 'preference' });
    expect(report.attempts[0]).toMatchObject({ name: 'cpu', status: 'chosen' });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('without measuring, keeps the first candidate that passes and does not try the rest', async () => {
    const report = await selectGradientBackend({ candidates: ['wasm', 'cpu'], measure: false });
    expect(report).toMatchObject({ backend: 'wasm', selectedBy: 'priority' });
    expect(report.attempts[0]!.timeMs).toBeUndefined();
    expect(report.attempts[1]).toMatchObject({
      name: 'cpu',
      status: 'skipped',
      reason: expect.stringMatching(/not tried/),
    });
  });

  it('records unknown and failing candidates and falls back to cpu without throwing', async () => {
    registerGradientBackend({
      name: 'broken',
      priority: 10,
      prepare: () => Promise.reject(new Error('driver exploded')),
    });
    // Registered with tfjs, but its factory fails: setBackend resolves false.
    tf.registerBackend('absent', () => {
      throw new Error('no device');
    });
    const report = await selectGradientBackend({
      candidates: ['nope', 'broken', 'absent'],
      preference: 'broken',
    });
    tf.removeBackend('absent');
    expect(report.backend).toBe('cpu');
    expect(report.selectedBy).toBe('fallback');
    expect(report.attempts).toEqual([
      expect.objectContaining({ name: 'broken', status: 'skipped', reason: 'driver exploded' }),
      expect.objectContaining({ name: 'nope', status: 'skipped', reason: 'not registered' }),
      expect.objectContaining({
        name: 'absent',
        status: 'skipped',
        reason: expect.stringMatching(/failed to initialise/),
      }),
    ]);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('flags a backend whose gradients disagree with the reference', async () => {
    // A "backend" that is the CPU backend with a wrong matMul: the self-test must catch it.
    const cpuFactory = tf.findBackendFactory('cpu')!;
    tf.registerBackend('skewed', cpuFactory);
    const matMul = tf.getKernel('BatchMatMul', 'cpu')!;
    tf.registerKernel({
      ...matMul,
      backendName: 'skewed',
      kernelFunc: (args) => {
        const out = matMul.kernelFunc(args) as tf.TensorInfo;
        const backend = args.backend as unknown as {
          data: { get(id: object): { values: Float32Array } };
        };
        const values = backend.data.get(out.dataId).values;
        values[0] = values[0]! + 0.5;
        return out;
      },
    });
    for (const kernel of tf.getKernelsForBackend('cpu')) {
      if (kernel.kernelName !== 'BatchMatMul')
        tf.registerKernel({ ...kernel, backendName: 'skewed' });
    }
    const report = await selectGradientBackend({ candidates: ['skewed', 'cpu'] });
    tf.removeBackend('skewed');
    expect(report.attempts[0]).toMatchObject({ name: 'skewed', status: 'failed' });
    expect(report.attempts[0]!.selfTestError).toBeGreaterThan(1e-3);
    expect(report.backend).toBe('cpu');
  });
});

describe('@privads/model/node', () => {
  it('locates the tfjs WASM binaries', () => {
    const dir = nodeWasmPaths();
    expect(dir).toMatch(/^file:\/\/.*tfjs-backend-wasm\/dist\/$/);
    expect(existsSync(fileURLToPath(`${dir}tfjs-backend-wasm-simd.wasm`))).toBe(true);
  });
});
