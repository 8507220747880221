/** Shared fixtures of the model tests: backends to run every suite on, seeded events. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { seededUniforms, type ClickEvent, type ProjectorSpec } from '@privads/model';

/** Backends every tfjs-dependent suite runs on in Node (webgpu has no adapter here). */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;

/**
 * Activates a tfjs backend, failing the test when it cannot start.
 * @param name - backend name
 */
export async function useBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

/**
 * Seeded click events with the given slate sizes (clicked index varies with the event).
 * @param spec - projector dims
 * @param slates - slate size of each event
 * @param seed - base seed
 * @returns events
 */
export function makeEvents(
  spec: ProjectorSpec,
  slates: readonly number[],
  seed: number,
): ClickEvent[] {
  return slates.map((n, k) => ({
    user: seededUniforms(spec.userDim, seed * 1000 + 2 * k),
    slateContent: seededUniforms(n * spec.contentDim, seed * 1000 + 2 * k + 1),
    clickedIndex: (k * 7 + seed) % n,
  }));
}

/**
 * Largest |a − b| relative to `1 + max |b|`.
 * @param a - values under test
 * @param b - reference values
 * @returns the relative error (Infinity on length mismatch or NaN)
 */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst / (1 + scale);
}
