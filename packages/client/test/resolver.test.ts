import { BackendError } from '@privads/protocol';
import { describe, expect, it } from 'vitest';
import { CpuEngine, cpuEngineProvider } from '../src/engines/cpu-engine.js';
import { EngineRegistry, type EngineProvider, type ScoringEngine } from '../src/engines/engine.js';
import { resolveEngine } from '../src/engines/resolver.js';

/** A GPU-like provider whose adapter is a software one (as SwiftShader is here). */
function softwareGpu(created: string[]): EngineProvider {
  return {
    name: 'webgpu',
    priority: 10,
    async probe({ force }) {
      if (!force) return { ok: false, reason: 'software adapter google/swiftshader' };
      return {
        ok: true,
        detail: 'google/swiftshader (software, forced)',
        create: async () => {
          created.push('webgpu');
          return Object.assign(new CpuEngine(), { name: 'webgpu' }) as ScoringEngine;
        },
      };
    },
  };
}

/** An engine whose scores are wrong: the self-test must reject it. */
const brokenEngine: EngineProvider = {
  name: 'broken',
  priority: 20,
  async probe() {
    return {
      ok: true,
      detail: 'always wrong',
      create: async () => {
        const engine = new CpuEngine();
        return Object.assign(engine, {
          name: 'broken',
          scoreAll: async (q: Float32Array) =>
            (await CpuEngine.prototype.scoreAll.call(engine, q)).map((s) => s + 0.5),
        }) as ScoringEngine;
      },
    };
  },
};

describe('resolveEngine', () => {
  it('skips a software adapter in auto mode and says why', async () => {
    const created: string[] = [];
    const registry = new EngineRegistry()
      .register(softwareGpu(created))
      .register(cpuEngineProvider);
    const { engine, decisions } = await resolveEngine(registry);
    expect(engine.name).toBe('cpu');
    expect(created).toEqual([]);
    expect(decisions).toEqual([
      expect.objectContaining({
        name: 'webgpu',
        status: 'skipped',
        reason: expect.stringMatching(/software/),
      }),
      expect.objectContaining({ name: 'cpu', status: 'chosen' }),
    ]);
  });

  it('uses the software adapter when the engine is forced', async () => {
    const created: string[] = [];
    const registry = new EngineRegistry()
      .register(softwareGpu(created))
      .register(cpuEngineProvider);
    const { engine, decisions } = await resolveEngine(registry, { preference: 'webgpu' });
    expect(engine.name).toBe('webgpu');
    expect(created).toEqual(['webgpu']);
    expect(decisions[0]).toMatchObject({
      name: 'webgpu',
      status: 'chosen',
      reason: expect.stringMatching(/forced/),
    });
    expect(decisions[1]).toMatchObject({ name: 'cpu', status: 'skipped' });
  });

  it('rejects an engine that fails the self-test and falls through to the next', async () => {
    const registry = new EngineRegistry().register(brokenEngine).register(cpuEngineProvider);
    const { engine, decisions } = await resolveEngine(registry);
    expect(engine.name).toBe('cpu');
    expect(decisions[0]).toMatchObject({
      name: 'broken',
      status: 'failed',
      reason: expect.stringMatching(/row 0 scored/),
    });
  });

  it('collects every failure when no engine works', async () => {
    const registry = new EngineRegistry().register(brokenEngine).register(softwareGpu([]));
    const error = await resolveEngine(registry).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as BackendError).code).toBe('BACKEND_UNAVAILABLE');
    expect((error as BackendError).message).toMatch(/broken: .*webgpu: .*software/);
  });

  it('records an unknown preference and resolves the rest', async () => {
    const registry = new EngineRegistry().register(cpuEngineProvider);
    const { engine, decisions } = await resolveEngine(registry, { preference: 'tpu' });
    expect(engine.name).toBe('cpu');
    expect(decisions[0]).toMatchObject({
      name: 'tpu',
      status: 'skipped',
      reason: 'not registered',
    });
  });

  it('orders providers by priority', () => {
    const registry = new EngineRegistry().register(cpuEngineProvider).register(brokenEngine);
    expect(registry.ordered().map((p) => p.name)).toEqual(['broken', 'cpu']);
    expect(() => registry.register({ ...cpuEngineProvider, name: '' })).toThrow(TypeError);
  });
});
