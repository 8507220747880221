/**
 * Gradient backends by name and priority, tfjs style. Each entry knows how to make its tfjs backend
 * available (import the backend package, point the WASM loader at its binaries, check for a GPU
 * adapter); {@link selectGradientBackend} decides among them. The backend packages are loaded with
 * dynamic `import()`, so a bundle only fetches the ones actually tried.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Where the tfjs WASM backend finds its `.wasm` binaries (a directory URL/path ending in `/`, or a per-file map). */
export type WasmPaths = string | Record<string, string>;

/** What {@link GradientBackendCandidate.prepare} may use. */
export interface GradientBackendContext {
  /** Location of the tfjs WASM binaries; unset: the backend's own default (next to its script). */
  wasmPaths?: WasmPaths;
  /** Accept a software WebGPU adapter (SwiftShader), which is far slower than WASM. */
  allowSoftwareAdapter: boolean;
}

/** A tfjs backend the gradient code may run on. */
export interface GradientBackendCandidate {
  /** The tfjs backend name (`tf.setBackend(name)`). */
  readonly name: string;
  /** Higher is tried first when no order is given (tfjs: webgpu 3, wasm 2, cpu 1). */
  readonly priority: number;
  /**
   * Makes the tfjs backend registrable. Throws (with a message saying why) when it cannot run here.
   * @param context - selection options relevant to loading
   */
  prepare(context: GradientBackendContext): Promise<void>;
}

interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { architecture?: string; vendor?: string };
}
interface NavigatorWithGpu {
  gpu?: { requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null> };
}

async function prepareWebGpu(context: GradientBackendContext): Promise<void> {
  const nav = (globalThis as { navigator?: NavigatorWithGpu }).navigator;
  if (nav?.gpu === undefined) throw new Error('navigator.gpu is not available');
  const adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) throw new Error('no WebGPU adapter (requestAdapter() returned null)');
  const architecture = adapter.info?.architecture ?? '';
  const software = adapter.isFallbackAdapter === true || architecture === 'swiftshader';
  if (software && !context.allowSoftwareAdapter) {
    throw new Error(
      `software WebGPU adapter (${architecture || 'fallback'}) is slower than the CPU paths`,
    );
  }
  await import('@tensorflow/tfjs-backend-webgpu');
}

async function prepareWasm(context: GradientBackendContext): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (context.wasmPaths !== undefined) wasm.setWasmPaths(context.wasmPaths);
}

async function prepareCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
}

const BUILT_IN: readonly GradientBackendCandidate[] = [
  { name: 'webgpu', priority: 3, prepare: prepareWebGpu },
  { name: 'wasm', priority: 2, prepare: prepareWasm },
  { name: 'cpu', priority: 1, prepare: prepareCpu },
];

const registry = new Map<string, GradientBackendCandidate>(BUILT_IN.map((c) => [c.name, c]));

/**
 * Adds or replaces a gradient backend candidate (e.g. `webgl`, after importing its package).
 * @param candidate - name, priority and `prepare`
 * @throws TypeError for an empty name; RangeError for a non-finite priority
 */
export function registerGradientBackend(candidate: GradientBackendCandidate): void {
  if (typeof candidate.name !== 'string' || candidate.name === '') {
    throw new TypeError(
      `backend name must be a non-empty string, got ${JSON.stringify(candidate.name)}`,
    );
  }
  if (!Number.isFinite(candidate.priority)) {
    throw new RangeError(`priority must be finite, got ${candidate.priority}`);
  }
  registry.set(candidate.name, candidate);
}

/**
 * Removes a candidate.
 * @param name - backend name
 * @returns whether it was registered
 */
export function unregisterGradientBackend(name: string): boolean {
  return registry.delete(name);
}

/**
 * The registered candidates, highest priority first (ties: registration order).
 * @returns a snapshot
 */
export function gradientBackendCandidates(): readonly GradientBackendCandidate[] {
  return [...registry.values()].sort((a, b) => b.priority - a.priority);
}

/**
 * Looks a candidate up; a backend registered only with tfjs itself gets a no-op `prepare`.
 * @param name - backend name
 * @returns the candidate, or undefined when neither registry knows the name
 */
export function findGradientBackend(name: string): GradientBackendCandidate | undefined {
  const own = registry.get(name);
  if (own !== undefined) return own;
  if (tf.findBackendFactory(name) === null) return undefined;
  return { name, priority: 0, prepare: () => Promise.resolve() };
}
