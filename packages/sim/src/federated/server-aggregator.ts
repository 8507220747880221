/**
 * The real aggregation server as an {@link Aggregator}: `@privads/server` with an embedded store in
 * a temporary directory, driven through its Fetch-API handler in process (`in-process`: the same
 * code that answers HTTP, without sockets) or over real HTTP on a loopback port (`http`). Devices
 * fetch `/v1/round` and `/v1/projector/{version}` and POST their uploads; the simulation closes
 * each round with the operator call `/v1/admin/rounds/close`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { projectorFromSafetensors } from '@privads/model';
import { parseRoundConfig, type RoundConfig } from '@privads/protocol';
import { createPrivAdsServer, type PrivacySettings } from '@privads/server';
import type { Aggregator, AggregatorSettings, RoundOutcome } from './aggregator.js';

/** How the simulation reaches the server. */
export type ServerTransport = 'in-process' | 'http';

function privacySettings(settings: AggregatorSettings): PrivacySettings {
  const p = settings.privacy;
  if (p.mode === 'central') {
    return {
      mode: 'central',
      noiseMultiplier: p.noiseMultiplier,
      delta: p.delta,
      ...(p.targetEpsilon === undefined ? {} : { targetEpsilon: p.targetEpsilon }),
    };
  }
  if (p.mode === 'local') return { mode: 'local', epsilon: p.epsilon, delta: p.delta };
  return { mode: 'none' };
}

async function expectOk(response: Response, what: string): Promise<Response> {
  if (response.ok) return response;
  throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
}

/**
 * Starts a server for one federated run.
 * @param settings - model, privacy, optimizer; the server computes the same round config from them
 * @param transport - `in-process` (Fetch handler) or `http` (loopback socket)
 * @returns the aggregator; `dispose()` stops the server and deletes its store
 * @throws RangeError when the server refuses the configuration
 */
export async function createServerAggregator(
  settings: AggregatorSettings,
  transport: ServerTransport,
): Promise<Aggregator> {
  const dataDir = await mkdtemp(join(tmpdir(), 'privads-sim-'));
  const token = randomBytes(24).toString('base64url');
  const spec = settings.spec;
  const server = await createPrivAdsServer({
    store: { kind: 'embedded', dataDir },
    operatorToken: token,
    noiseSource: settings.source,
    config: {
      projector: {
        kind: spec.kind,
        contentDim: spec.contentDim,
        userDim: spec.userDim,
        ...(spec.hiddenDim === undefined ? {} : { hiddenDim: spec.hiddenDim }),
        seed: settings.projectorSeed,
      },
      round: {
        durationSeconds: 365 * 86400,
        clipNorm: settings.clipNorm,
        privacy: privacySettings(settings),
        kMin: settings.kMin,
        denominator: settings.denominator,
        participation: {
          maxParticipationsPerDevice: settings.maxParticipationsPerDevice,
          minRoundGap: settings.minRoundGap,
          samplingProbability: settings.samplingProbability,
        },
        acceptedEncodings: ['f16', 'f32'],
      },
      optimizer: {
        kind: 'fedavg',
        learningRate: settings.serverLearningRate,
        momentum: settings.serverMomentum,
      },
      // Every simulated device shares one loopback address: lift the per-address limits.
      http: {
        rateLimit: {
          uploads: { ratePerSecond: 1e9, burst: 1e9 },
          reads: { ratePerSecond: 1e9, burst: 1e9 },
        },
      },
    },
  });
  let base = 'http://sim.invalid';
  let call: (request: Request) => Promise<Response> = (request) => server.fetch(request);
  if (transport === 'http') {
    base = (await server.listen(0)).url.replace(/\/$/, '');
    call = (request) => fetch(request);
  }
  const request = (path: string, init?: RequestInit): Promise<Response> =>
    call(new Request(`${base}${path}`, init));
  let open: RoundConfig | undefined;
  const roundConfig = async (): Promise<RoundConfig> => {
    const response = await expectOk(await request('/v1/round'), 'GET /v1/round');
    open = parseRoundConfig(await response.json());
    return open;
  };

  return {
    roundConfig,
    async projector(version) {
      const response = await expectOk(
        await request(`/v1/projector/${version}`),
        `GET /v1/projector/${version}`,
      );
      return projectorFromSafetensors(new Uint8Array(await response.arrayBuffer()));
    },
    async submit(body) {
      const roundId = open?.roundId ?? (await roundConfig()).roundId;
      await expectOk(
        await request(`/v1/rounds/${roundId}/updates`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: new Uint8Array(body),
          credentials: 'omit',
          referrerPolicy: 'no-referrer',
        }),
        `POST /v1/rounds/${roundId}/updates`,
      );
    },
    async close(): Promise<RoundOutcome> {
      const response = await expectOk(
        await request('/v1/admin/rounds/close', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        }),
        'POST /v1/admin/rounds/close',
      );
      const json = (await response.json()) as { closed: { status: string; cohortSize: number } };
      open = undefined;
      return { released: json.closed.status === 'released', cohortSize: json.closed.cohortSize };
    },
    async dispose() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
