/**
 * The first contents of an empty store: projector version 1 (deterministic from the configured
 * seed, so every instance and every re-initialisation agree) and round 1, which trains it.
 */
import { catalogInitialParameters, encodeProjectorFile, initialParameters } from '@privads/model';

import type { ServerConfig } from '../config.js';
import type { InitialState } from '../store/store.js';
import { buildRoundConfig, projectorSpecOf } from './round-config.js';

/** The first catalog, when the store is initialised by publishing it. */
export interface InitialCatalog {
  /** `count × contentDim` row-major content vectors. */
  readonly content: Float32Array;
  readonly count: number;
}

/**
 * Builds the initial state. Projector 1 keeps the content encoder's neighbourhoods: fitted to the
 * first catalog when there is one (its principal directions, `catalogInitialParameters`), else a
 * seeded orthogonal matrix (`initialParameters`); docs/benchmarks.md measures both.
 * @param config - server configuration (projector architecture and seed, round template)
 * @param now - opening time of round 1
 * @param catalog - the catalog whose publication initialises the store, if it is one
 * @returns projector 1 and round 1
 */
export function initialState(
  config: ServerConfig,
  now: Date,
  catalog?: InitialCatalog,
): InitialState {
  const spec = projectorSpecOf(config);
  const { seed } = config.projector;
  const parameters =
    catalog === undefined
      ? initialParameters(spec, seed)
      : catalogInitialParameters(spec, catalog.content, catalog.count, seed);
  const projector = encodeProjectorFile(spec, parameters, {
    projector_version: '1',
  });
  return {
    projector,
    round: buildRoundConfig(config, {
      roundId: 1,
      projectorVersion: 1,
      clipNorm: config.round.clipNorm,
      now,
    }),
  };
}
