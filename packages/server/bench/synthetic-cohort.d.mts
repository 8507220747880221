/** Types of `synthetic-cohort.mjs` (plain JavaScript, so that benchmarks run without a build). */
import type { RoundConfig } from '@privads/protocol';

import type { BodySource } from './loopback-load.mjs';

export declare function admitSyntheticCohort(
  post: (path: string, body?: unknown) => Promise<unknown>,
  round: RoundConfig,
  concurrency?: number,
): Promise<string[]>;

export declare function maskedBodies(round: RoundConfig, tickets: readonly string[]): BodySource;
