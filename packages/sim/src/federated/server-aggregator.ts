/**
 * The real aggregation server as an {@link Aggregator}: `@privads/server` with an embedded store in
 * a temporary directory, driven through its Fetch-API handler in process (`in-process`: the same
 * code that answers HTTP, without sockets) or over real HTTP on a loopback port (`http`). Devices
 * fetch `/v1/round` and `/v1/projector/{version}` and POST their uploads; the simulation closes
 * each float-mode round with the operator call `/v1/admin/rounds/close`. A distributed round closes
 * itself when its protocol ends. The server runs on a simulated clock that stands still unless the
 * simulation moves it to a phase deadline ({@link Aggregator.passPhaseDeadline}), so a run's phases
 * never depend on how fast the machine is.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { projectorFromSafetensors } from '@privads/model';
import { fetchTransport } from '@privads/model/secure-upload';
import type { ContentEncoder } from '@privads/encoder';
import {
  decodeAggregateRelease,
  parseRoundConfig,
  type AggregateRelease,
  type RoundConfig,
} from '@privads/protocol';
import { createPrivAdsServer, type PrivacySettings } from '@privads/server';
import {
  FEDADAM_BETA2,
  FEDADAM_TAU,
  type Aggregator,
  type AggregatorSettings,
  type RoundOutcome,
} from './aggregator.js';
import type { CatalogContent } from './catalog.js';

/** Ad title of a simulated item in the server's catalog (the catalog import's text). */
const itemTitle = (index: number): string => `item ${index}`;

/**
 * The encoder the server's catalog import runs: each simulated item's content vector, looked up
 * by its title, so the server's catalog holds exactly the vectors the devices learn with.
 */
function lookupEncoder(content: CatalogContent): ContentEncoder {
  return {
    id: content.encoderId,
    dim: content.dim,
    async encode(texts) {
      const out = new Float32Array(texts.length * content.dim);
      texts.forEach((text, row) => {
        const index = Number(/^item (\d+)$/.exec(text)?.[1]);
        if (!(index >= 0 && index < content.count)) throw new RangeError(`unknown item ${text}`);
        out.set(
          content.vectors.subarray(index * content.dim, (index + 1) * content.dim),
          row * content.dim,
        );
      });
      return out;
    },
    async dispose() {},
  };
}

/** How the simulation reaches the server. */
export type ServerTransport = 'in-process' | 'http';

/** A round that no phase deadline moves on is stuck: give up after this many jumps. */
const MAX_DEADLINE_JUMPS = 8;

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
  // The simulated clock: still, except when the simulation passes a phase deadline.
  let now = Date.parse('2030-01-01T00:00:00Z');
  const server = await createPrivAdsServer({
    store: { kind: 'embedded', dataDir },
    operatorToken: token,
    noiseSource: settings.source,
    clock: () => now,
    ...(settings.counts ? { encoder: lookupEncoder(settings.counts.content) } : {}),
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
        // The simulation's privacy settings are the server's own (a subset of its modes' fields).
        privacy: { ...settings.privacy } satisfies PrivacySettings,
        kMin: settings.kMin,
        denominator: settings.denominator,
        participation: {
          maxParticipationsPerDevice: settings.maxParticipationsPerDevice,
          minRoundGap: settings.minRoundGap,
          samplingProbability: settings.samplingProbability,
        },
        // A distributed round takes masked uploads only; the server publishes ["masked"] itself.
        acceptedEncodings: ['f16', 'f32'],
        ...(settings.counts
          ? {
              counts: {
                maxImpressions: settings.counts.maxImpressions,
                maxClicks: settings.counts.maxClicks,
                normShare: settings.counts.normShare,
              },
            }
          : {}),
      },
      optimizer:
        settings.serverOptimizer === 'fedadam'
          ? {
              kind: 'fedadam',
              learningRate: settings.serverLearningRate,
              beta1: settings.serverMomentum,
              beta2: FEDADAM_BETA2,
              tau: settings.serverAdamTau ?? FEDADAM_TAU,
            }
          : {
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
  const operator = async (path: string, method = 'GET'): Promise<unknown> => {
    const response = await expectOk(
      await request(path, { method, headers: { authorization: `Bearer ${token}` } }),
      `${method} ${path}`,
    );
    return response.json();
  };
  /** The phase of a distributed round, or `closed` once it is over. */
  const phaseOf = async (roundId: number): Promise<{ phase: string; deadline?: string }> => {
    const response = await request(`/v1/rounds/${roundId}/secagg`);
    if (response.status === 409) {
      await response.arrayBuffer();
      return { phase: 'closed' };
    }
    await expectOk(response, `GET /v1/rounds/${roundId}/secagg`);
    const status = (await response.json()) as { phase: string; phaseDeadline: string };
    return { phase: status.phase, deadline: status.phaseDeadline };
  };
  /** The closed record of a round. */
  const closedRound = async (roundId: number): Promise<RoundOutcome> => {
    const { rounds } = (await operator(`/v1/rounds?after=${roundId - 1}&limit=1`)) as {
      rounds: { id: number; status: string; cohortSize: number }[];
    };
    const record = rounds.find((r) => r.id === roundId);
    if (record === undefined) throw new Error(`round ${roundId} is not among the closed rounds`);
    return { released: record.status === 'released', cohortSize: record.cohortSize };
  };
  if (settings.counts) {
    // The catalog goes in before the first round the simulation runs: the round open at import
    // time counts nothing, so it closes empty (no release, no privacy spent) and the next one
    // counts the imported ads.
    const ads = Array.from({ length: settings.counts.content.count }, (_, i) => ({
      id: `item-${i}`,
      title: itemTitle(i),
      text: '',
      url: `https://sim.invalid/items/${i}`,
      advertiser: 'sim',
      category: 'sim',
    }));
    await expectOk(
      await request('/v1/admin/catalog', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: ads.map((ad) => JSON.stringify(ad)).join('\n'),
      }),
      'POST /v1/admin/catalog',
    );
    await operator('/v1/admin/rounds/close', 'POST');
  }
  /** The operator's read of a closed round's release (`undefined`: it released nothing). */
  const release = async (roundId: number): Promise<AggregateRelease | undefined> => {
    const response = await request(`/v1/rounds/${roundId}/aggregate`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.status === 404) {
      await response.arrayBuffer();
      return undefined;
    }
    await expectOk(response, `GET /v1/rounds/${roundId}/aggregate`);
    return decodeAggregateRelease(new Uint8Array(await response.arrayBuffer()));
  };
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
    async aggregate(roundId) {
      return (await release(roundId))?.update;
    },
    async releasedCounts(roundId) {
      const found = await release(roundId);
      const sigma = found?.metadata.counts?.sigma;
      return found?.counts && sigma !== undefined ? { ...found.counts, sigma } : undefined;
    },
    transport: fetchTransport(base, (input, { body, ...init }) =>
      call(
        new Request(input, {
          ...init,
          // A copy over a plain ArrayBuffer: what `BodyInit` accepts under every lib.
          ...(body === undefined
            ? {}
            : { body: typeof body === 'string' ? body : new Uint8Array(body) }),
        }),
      ),
    ),
    async passPhaseDeadline(roundId, phase) {
      const status = await phaseOf(roundId);
      if (status.phase === phase && status.deadline !== undefined) {
        now = Math.max(now, Date.parse(status.deadline));
      }
    },
    async close(): Promise<RoundOutcome> {
      const config = open ?? (await roundConfig());
      open = undefined;
      if (config.privacy.mode === 'distributed') {
        // The round closes itself once its protocol ends; past phases nobody answers any more
        // (devices gone, or too few to go on), pass their deadlines.
        for (let jump = 0; ; jump++) {
          const status = await phaseOf(config.roundId);
          if (status.phase === 'closed') return closedRound(config.roundId);
          if (jump === MAX_DEADLINE_JUMPS) {
            throw new Error(`round ${config.roundId} is stuck in phase ${status.phase}`);
          }
          if (status.deadline !== undefined) now = Math.max(now, Date.parse(status.deadline));
        }
      }
      const json = (await operator('/v1/admin/rounds/close', 'POST')) as {
        closed: { status: string; cohortSize: number };
      };
      return { released: json.closed.status === 'released', cohortSize: json.closed.cohortSize };
    },
    async dispose() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
