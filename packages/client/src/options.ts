import { resolvePolicy } from './policy/options.js';
import type { WorkerConfig } from './protocol.js';
import type {
  PqIndexUse,
  PrivacyMode,
  PrivAdsOptions,
  ResolvedPrivacyFloor,
  ResolvedRoundOptions,
} from './types.js';

/**
 * Default privacy floor: distributed DP or stronger (the server never sees one reader's update),
 * ε ≤ 8 per round, ε ≤ 32 in a lifetime.
 */
export const DEFAULT_PRIVACY_FLOOR: ResolvedPrivacyFloor = Object.freeze({
  minimumMode: 'distributed',
  maxEpsilonPerRound: 8,
  lifetimeEpsilon: 32,
});

/** Default automatic participation: on, every 5 minutes while the page is open. */
export const DEFAULT_ROUND_OPTIONS: ResolvedRoundOptions = Object.freeze({
  autoJoin: true,
  checkIntervalMs: 300_000,
});

/** Shortest time between two automatic round checks. */
const MIN_CHECK_INTERVAL_MS = 1000;

const MODES: readonly PrivacyMode[] = ['none', 'central', 'distributed', 'local'];
const ENGINES = ['auto', 'webgpu', 'wasm-simd', 'cpu'] as const;
const PQ_INDEX_USES: readonly PqIndexUse[] = ['auto', 'always', 'never'];

/**
 * @param name - option name, for the message
 * @param value - a URL, possibly relative
 * @param base - what relative URLs resolve against
 * @returns the absolute URL, or `undefined` when unset
 * @throws TypeError when it is not a URL
 */
function absoluteUrl(name: string, value: unknown, base: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value instanceof URL ? value.href : value;
  if (typeof text !== 'string' || text === '' || !URL.canParse(text, base)) {
    throw new TypeError(`${name} must be a URL, got ${JSON.stringify(text)}`);
  }
  return new URL(text, base).href;
}

function positive(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`${name} must be > 0 (Infinity allowed), got ${value}`);
  return value;
}

/**
 * Validates the publisher's options and fills in defaults.
 * @param options - what `createPrivAds` received
 * @param host - default site scope (the page's host)
 * @param base - what relative asset and encoder URLs resolve against (the page's base URL)
 * @returns the configuration sent to the worker
 * @throws TypeError for a missing or non-absolute `server`, an unknown engine, `pqIndex`, storage or mode,
 *   an invalid asset or encoder URL, a non-boolean `rounds.autoJoin`; RangeError for a non-positive
 *   ε bound, an invalid policy value or a round check interval under a second
 */
export function resolveOptions(options: PrivAdsOptions, host: string, base?: string): WorkerConfig {
  if (typeof options?.server !== 'string' || !URL.canParse(options.server)) {
    throw new TypeError(`server must be an absolute URL, got ${JSON.stringify(options?.server)}`);
  }
  const floor = { ...DEFAULT_PRIVACY_FLOOR, ...options.privacy };
  if (!MODES.includes(floor.minimumMode)) {
    throw new TypeError(
      `privacy.minimumMode must be one of ${MODES.join(', ')}, got ${JSON.stringify(floor.minimumMode)}`,
    );
  }
  positive('privacy.maxEpsilonPerRound', floor.maxEpsilonPerRound);
  positive('privacy.lifetimeEpsilon', floor.lifetimeEpsilon);
  const engine = options.engine ?? 'auto';
  if (!ENGINES.includes(engine)) {
    throw new TypeError(
      `engine must be one of ${ENGINES.join(', ')}, got ${JSON.stringify(engine)}`,
    );
  }
  const pqIndex = options.pqIndex ?? 'auto';
  if (!PQ_INDEX_USES.includes(pqIndex)) {
    throw new TypeError(
      `pqIndex must be one of ${PQ_INDEX_USES.join(', ')}, got ${JSON.stringify(pqIndex)}`,
    );
  }
  const storage = options.storage ?? 'indexeddb';
  if (storage !== 'indexeddb' && storage !== 'memory') {
    throw new TypeError(`storage must be indexeddb or memory, got ${JSON.stringify(storage)}`);
  }
  resolvePolicy(options.policy);
  const rounds = { ...DEFAULT_ROUND_OPTIONS, ...options.rounds };
  if (typeof rounds.autoJoin !== 'boolean') {
    throw new TypeError(
      `rounds.autoJoin must be a boolean, got ${JSON.stringify(rounds.autoJoin)}`,
    );
  }
  if (!(rounds.checkIntervalMs >= MIN_CHECK_INTERVAL_MS && rounds.checkIntervalMs < Infinity)) {
    throw new RangeError(
      `rounds.checkIntervalMs must be a finite number >= ${MIN_CHECK_INTERVAL_MS}, got ${rounds.checkIntervalMs}`,
    );
  }
  const assets = options.assets ?? {};
  const encoder = options.encoder ?? {};
  const site = options.site ?? host;
  if (site === '') throw new TypeError('site must be a non-empty string, got ""');
  return {
    server: options.server,
    site,
    floor,
    engine,
    pqIndex,
    policy: options.policy,
    storage,
    debug: options.debug ?? false,
    rounds,
    assets: {
      baseUrl: absoluteUrl('assets.baseUrl', assets.baseUrl, base),
      tfjsWasmPath: absoluteUrl('assets.tfjsWasmPath', assets.tfjsWasmPath, base),
      ortWasmPath: absoluteUrl('assets.ortWasmPath', assets.ortWasmPath, base),
    },
    encoder:
      encoder === false
        ? false
        : {
            specUrl: absoluteUrl('encoder.specUrl', encoder.specUrl, base),
            modelUrl: absoluteUrl('encoder.modelUrl', encoder.modelUrl, base),
          },
  };
}
