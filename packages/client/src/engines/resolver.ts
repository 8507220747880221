import { BackendError } from '@privads/protocol';
import type { EngineRegistry, QuantizedMatrix, ScoringEngine } from './engine.js';

/** Why one engine was or was not chosen. */
export interface EngineDecision {
  /** Engine name. */
  readonly name: string;
  /** Its registry priority. */
  readonly priority: number;
  /** `chosen`: in use; `skipped`: not tried or declined by its probe; `failed`: errored or failed the self-test. */
  readonly status: 'chosen' | 'skipped' | 'failed';
  /** Human-readable reason (adapter found, software adapter, self-test error, …). */
  readonly reason: string;
}

/** The engine in use and the decision for every registered engine. */
export interface EngineResolution {
  /** The chosen engine, ready to `load` a catalog. */
  readonly engine: ScoringEngine;
  /** One entry per registered engine, in the order they were considered. */
  readonly decisions: readonly EngineDecision[];
}

/** Options of {@link resolveEngine}. */
export interface ResolveOptions {
  /**
   * `auto` tries engines by priority and skips software GPU adapters; an engine name forces that
   * engine first (accepting a software adapter) and falls back to `auto` order if it fails.
   * @defaultValue `'auto'`
   */
  readonly preference?: string;
  /**
   * Run each candidate against a small reference computation before accepting it.
   * @defaultValue `true`
   */
  readonly selfTest?: boolean;
}

/** Absolute score tolerance of the self-test (int8 values × unit queries stay far inside it). */
const SELF_TEST_TOLERANCE = 1e-3;

/**
 * A deterministic test catalog: odd sizes so that padding and tails are exercised.
 * @returns a 67×37 matrix with values over the whole int8 range
 */
function selfTestMatrix(): QuantizedMatrix {
  const rows = 67;
  const dim = 37;
  const data = Int8Array.from({ length: rows * dim }, (_, i) => ((i * 7919) % 255) - 127);
  const scales = Float32Array.from({ length: rows }, (_, i) => 1 / (127 * (1 + (i % 5))));
  return { version: 'self-test', rows, dim, data, scales };
}

/**
 * Checks an engine against a float64 loop on {@link selfTestMatrix}.
 * @param engine - a freshly created engine
 * @throws BackendError `BACKEND_SELF_TEST_FAILED` with the first mismatching row
 */
async function selfTest(engine: ScoringEngine): Promise<void> {
  const matrix = selfTestMatrix();
  const query = Float32Array.from({ length: matrix.dim }, (_, j) => Math.sin(j + 1) / 4);
  await engine.load(matrix);
  const scores = await engine.scoreAll(query);
  if (scores.length !== matrix.rows) {
    throw new BackendError(
      'BACKEND_SELF_TEST_FAILED',
      `${engine.name}: expected ${matrix.rows} scores, got ${scores.length}`,
    );
  }
  for (let i = 0; i < matrix.rows; i++) {
    let expected = 0;
    for (let j = 0; j < matrix.dim; j++) {
      expected += (matrix.data[i * matrix.dim + j] as number) * (query[j] as number);
    }
    expected *= matrix.scales[i] as number;
    const got = scores[i] as number;
    if (!(Math.abs(got - expected) <= SELF_TEST_TOLERANCE)) {
      throw new BackendError(
        'BACKEND_SELF_TEST_FAILED',
        `${engine.name}: row ${i} scored ${got}, expected ${expected}`,
      );
    }
  }
}

/**
 * Picks the best engine that works here, recording why each other engine was or was not used.
 * @param registry - the registered engines
 * @param options - preference and self-test switch
 * @returns the engine and the decisions
 * @throws BackendError `BACKEND_UNAVAILABLE` listing every engine's failure when none works
 */
export async function resolveEngine(
  registry: EngineRegistry,
  options: ResolveOptions = {},
): Promise<EngineResolution> {
  const preference = options.preference ?? 'auto';
  const forced = preference === 'auto' ? undefined : registry.get(preference);
  const order = registry.ordered().filter((p) => p !== forced);
  const candidates = forced === undefined ? order : [forced, ...order];
  const decisions: EngineDecision[] = [];
  if (preference !== 'auto' && forced === undefined) {
    decisions.push({
      name: preference,
      priority: Number.NaN,
      status: 'skipped',
      reason: 'not registered',
    });
  }
  let chosen: ScoringEngine | undefined;
  for (const provider of candidates) {
    const { name, priority } = provider;
    if (chosen !== undefined) {
      decisions.push({
        name,
        priority,
        status: 'skipped',
        reason: 'a preferred engine was chosen',
      });
      continue;
    }
    let engine: ScoringEngine | undefined;
    try {
      const probe = await provider.probe({ force: provider === forced });
      if (!probe.ok) {
        decisions.push({ name, priority, status: 'skipped', reason: probe.reason });
        continue;
      }
      engine = await probe.create();
      if (options.selfTest ?? true) await selfTest(engine);
      chosen = engine;
      const how = provider === forced ? 'forced' : 'highest priority available';
      decisions.push({ name, priority, status: 'chosen', reason: `${probe.detail}; ${how}` });
    } catch (error) {
      engine?.dispose();
      const message = error instanceof Error ? error.message : String(error);
      decisions.push({ name, priority, status: 'failed', reason: message });
    }
  }
  if (chosen === undefined) {
    const why = decisions.map((d) => `${d.name}: ${d.reason}`).join('; ');
    throw new BackendError('BACKEND_UNAVAILABLE', `no scoring engine works here (${why})`);
  }
  return { engine: chosen, decisions };
}
