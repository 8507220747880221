/**
 * The first contents of an empty store: projector version 1 (deterministic from the configured
 * seed, so every instance and every re-initialisation agree) and round 1, which trains it.
 */
import { encodeProjectorFile, initialParameters } from '@privads/model';

import type { ServerConfig } from '../config.js';
import type { InitialState } from '../store/store.js';
import { buildRoundConfig, projectorSpecOf } from './round-config.js';

/**
 * Builds the initial state.
 * @param config - server configuration (projector architecture and seed, round template)
 * @param now - opening time of round 1
 * @returns projector 1 and round 1
 */
export function initialState(config: ServerConfig, now: Date): InitialState {
  const spec = projectorSpecOf(config);
  const projector = encodeProjectorFile(spec, initialParameters(spec, config.projector.seed), {
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
