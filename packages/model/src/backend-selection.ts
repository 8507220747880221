/**
 * Measured choice of the tfjs backend for projector gradients. A GPU is not assumed to win: for a
 * model this small, dispatch overhead dominates and WASM (or even the plain CPU backend) is often
 * faster, so every usable candidate is self-tested against the f64 reference gradient and timed on
 * a representative round, and the fastest is kept. Every decision is recorded in the report.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  findGradientBackend,
  gradientBackendCandidates,
  type GradientBackendCandidate,
  type GradientBackendContext,
  type WasmPaths,
} from './backend-registry.js';
import type { ClickEvent } from './click-event.js';
import { seededUniforms } from './init.js';
import { createProjector } from './projector.js';
import { referenceRoundGradient } from './reference-gradient.js';
import { RoundGradientAccumulator } from './round-gradient.js';
import {
  DEFAULT_CONTENT_DIM,
  DEFAULT_USER_DIM,
  parameterCount,
  type ProjectorSpec,
} from './spec.js';

/** Options of {@link selectGradientBackend}. */
export interface SelectGradientBackendOptions {
  /** A backend to use whenever it passes its self-test, whatever the timings say. */
  preference?: string;
  /** Names to consider, in this order; unset: every registered candidate by priority. */
  candidates?: readonly string[];
  /** Location of the tfjs WASM binaries (the browser client passes its own asset URL). */
  wasmPaths?: WasmPaths;
  /**
   * Time every candidate that passes the self-test and keep the fastest; `false`: keep the first
   * that passes (quicker start-up).
   * @defaultValue true
   */
  measure?: boolean;
  /**
   * Projector timed per candidate.
   * @defaultValue `{ kind: 'linear', contentDim: 384, userDim: 128 }`
   */
  benchmarkSpec?: ProjectorSpec;
  /**
   * Consider a software WebGPU adapter (SwiftShader). Implied when `preference` is `'webgpu'`.
   * @defaultValue false
   */
  allowSoftwareAdapter?: boolean;
}

/** What happened to one candidate. */
export interface GradientBackendAttempt {
  /** tfjs backend name. */
  name: string;
  /**
   * `chosen`: now active; `passed`: usable but not chosen (see `reason`); `skipped`: unavailable
   * here or not tried; `failed`: initialisation or self-test failed.
   */
  status: 'chosen' | 'passed' | 'skipped' | 'failed';
  /** Human-readable explanation (the error message when skipped or failed). */
  reason: string;
  /** Largest |tfjs − reference| / (1 + max |reference|) of the self-test gradient. */
  selfTestError?: number;
  /** Median milliseconds for one benchmark round (4 events × 10 ads), when measured. */
  timeMs?: number;
}

/** The outcome of {@link selectGradientBackend}. */
export interface GradientBackendReport {
  /** The tfjs backend active after selection (`'none'` only if not even `cpu` could start). */
  backend: string;
  /** Why it was chosen. */
  selectedBy: 'preference' | 'fastest' | 'priority' | 'fallback';
  /** One entry per candidate considered, in the order tried. */
  attempts: GradientBackendAttempt[];
}

/** Self-test tolerance (f32 autodiff against f64): relative to the gradient's scale. */
const SELF_TEST_TOLERANCE = 1e-3;
const SELF_TEST_SPEC: ProjectorSpec = { kind: 'mlp', contentDim: 6, userDim: 4, hiddenDim: 5 };
const DEFAULT_BENCH_SPEC: ProjectorSpec = {
  kind: 'linear',
  contentDim: DEFAULT_CONTENT_DIM,
  userDim: DEFAULT_USER_DIM,
};
const BENCH_EVENTS = 4;
const BENCH_SLATE = 10;
const BENCH_REPEATS = 3;

function fixtureEvents(spec: ProjectorSpec, slates: readonly number[], seed: number): ClickEvent[] {
  return slates.map((n, k) => ({
    user: seededUniforms(spec.userDim, seed + 2 * k),
    slateContent: seededUniforms(n * spec.contentDim, seed + 2 * k + 1),
    clickedIndex: k % n,
  }));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Compares the backend's gradient of a tiny MLP (padded, two slate sizes) with the f64 reference.
 * Every parameter, biases included, is random so that no row degenerates to `y = 0`.
 */
function selfTest(): number {
  const parameters = seededUniforms(parameterCount(SELF_TEST_SPEC), 7);
  const projector = createProjector(SELF_TEST_SPEC, { parameters });
  const acc = new RoundGradientAccumulator(projector, { temperature: 0.5 });
  try {
    const events = fixtureEvents(SELF_TEST_SPEC, [3, 2], 11);
    events.forEach((e) => acc.add(e));
    const got = acc.result();
    const want = referenceRoundGradient(SELF_TEST_SPEC, projector.getFlatParameters(), events, 0.5);
    const scale = 1 + want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    let worst = 0;
    want.forEach((v, i) => {
      const diff = Math.abs(got[i]! - v);
      worst = Number.isNaN(diff) ? Infinity : Math.max(worst, diff);
    });
    return worst / scale;
  } finally {
    acc.dispose();
    projector.dispose();
  }
}

/** Median time of one round's gradient (add + async read-back), after one warm-up round. */
async function timeRound(spec: ProjectorSpec): Promise<number> {
  const projector = createProjector(spec, { seed: 1 });
  const acc = new RoundGradientAccumulator(projector);
  const events = fixtureEvents(spec, new Array<number>(BENCH_EVENTS).fill(BENCH_SLATE), 3);
  try {
    const times: number[] = [];
    for (let r = 0; r <= BENCH_REPEATS; r++) {
      acc.reset();
      const start = tf.util.now();
      events.forEach((e) => acc.add(e));
      await acc.resultAsync();
      if (r > 0) times.push(tf.util.now() - start);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  } finally {
    acc.dispose();
    projector.dispose();
  }
}

async function switchTo(name: string): Promise<void> {
  if (!(await tf.setBackend(name)))
    throw new Error(`tf.setBackend('${name}') failed to initialise the backend`);
  await tf.ready();
}

async function activate(
  candidate: GradientBackendCandidate,
  context: GradientBackendContext,
): Promise<void> {
  await candidate.prepare(context);
  await switchTo(candidate.name);
}

function orderedNames(options: SelectGradientBackendOptions): string[] {
  const base = options.candidates ?? gradientBackendCandidates().map((c) => c.name);
  const names = options.preference === undefined ? base : [options.preference, ...base];
  return [...new Set(names)];
}

/** Tries one candidate; returns its attempt record (status `passed` when usable). */
async function tryCandidate(
  name: string,
  options: SelectGradientBackendOptions,
  measure: boolean,
): Promise<GradientBackendAttempt> {
  const candidate = findGradientBackend(name);
  if (candidate === undefined) return { name, status: 'skipped', reason: 'not registered' };
  const context: GradientBackendContext = {
    ...(options.wasmPaths === undefined ? {} : { wasmPaths: options.wasmPaths }),
    allowSoftwareAdapter: options.allowSoftwareAdapter ?? options.preference === name,
  };
  try {
    await activate(candidate, context);
  } catch (error) {
    return { name, status: 'skipped', reason: message(error) };
  }
  try {
    const selfTestError = selfTest();
    if (!(selfTestError <= SELF_TEST_TOLERANCE)) {
      return {
        name,
        status: 'failed',
        selfTestError,
        reason: `self-test error ${selfTestError} > ${SELF_TEST_TOLERANCE}`,
      };
    }
    if (!measure) return { name, status: 'passed', selfTestError, reason: 'self-test passed' };
    const timeMs = await timeRound(options.benchmarkSpec ?? DEFAULT_BENCH_SPEC);
    return {
      name,
      status: 'passed',
      selfTestError,
      timeMs,
      reason: `self-test passed; ${timeMs.toFixed(2)} ms per round`,
    };
  } catch (error) {
    return { name, status: 'failed', reason: `self-test threw: ${message(error)}` };
  }
}

function pick(
  attempts: GradientBackendAttempt[],
  preference: string | undefined,
  measure: boolean,
): { winner: GradientBackendAttempt; selectedBy: GradientBackendReport['selectedBy'] } | undefined {
  const passed = attempts.filter((a) => a.status === 'passed');
  const preferred = passed.find((a) => a.name === preference);
  if (preferred !== undefined) return { winner: preferred, selectedBy: 'preference' };
  if (passed.length === 0) return undefined;
  if (!measure) return { winner: passed[0]!, selectedBy: 'priority' };
  const fastest = passed.reduce((best, a) =>
    (a.timeMs ?? Infinity) < (best.timeMs ?? Infinity) ? a : best,
  );
  return { winner: fastest, selectedBy: 'fastest' };
}

async function fallbackToCpu(attempts: GradientBackendAttempt[]): Promise<GradientBackendReport> {
  const cpu = findGradientBackend('cpu');
  try {
    if (cpu === undefined) throw new Error('cpu backend is not registered');
    await activate(cpu, { allowSoftwareAdapter: false });
    return { backend: 'cpu', selectedBy: 'fallback', attempts };
  } catch (error) {
    attempts.push({ name: 'cpu', status: 'failed', reason: `fallback failed: ${message(error)}` });
    return { backend: 'none', selectedBy: 'fallback', attempts };
  }
}

/**
 * Chooses and activates (`tf.setBackend`) the tfjs backend for gradients. Never throws: a
 * candidate that cannot load, initialise or pass the self-test is recorded and skipped, and when
 * none passes the plain `cpu` backend is activated.
 *
 * Order tried: `preference` first, then `candidates` (or every registered candidate by priority:
 * webgpu → wasm → cpu). With `measure` (default) every candidate is tried and the fastest passing
 * one wins unless `preference` passed; without it the first passing one wins and the rest are not
 * tried.
 * @param options - preference, candidate list, WASM binary location, measurement; a string is
 *   shorthand for `{ preference }`
 * @returns the active backend and one record per candidate
 */
export async function selectGradientBackend(
  options: SelectGradientBackendOptions | string = {},
): Promise<GradientBackendReport> {
  const opts: SelectGradientBackendOptions =
    typeof options === 'string' ? { preference: options } : options;
  const measure = opts.measure ?? true;
  const attempts: GradientBackendAttempt[] = [];
  for (const name of orderedNames(opts)) {
    const done = !measure && attempts.some((a) => a.status === 'passed');
    attempts.push(
      done
        ? { name, status: 'skipped', reason: 'not tried: an earlier candidate passed' }
        : await tryCandidate(name, opts, measure),
    );
  }
  const choice = pick(attempts, opts.preference, measure);
  if (choice === undefined) return fallbackToCpu(attempts);
  try {
    await switchTo(choice.winner.name);
  } catch (error) {
    choice.winner.status = 'failed';
    choice.winner.reason = `re-activation failed: ${message(error)}`;
    return fallbackToCpu(attempts);
  }
  choice.winner.status = 'chosen';
  for (const a of attempts) {
    if (a.status === 'passed' && choice.selectedBy === 'fastest') a.reason += ' (slower)';
    if (a.status === 'passed' && choice.selectedBy === 'preference')
      a.reason += ` (preference '${choice.winner.name}' passed)`;
  }
  return { backend: choice.winner.name, selectedBy: choice.selectedBy, attempts };
}
