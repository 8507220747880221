/**
 * The worker core end to end in Node: real catalog bundles, projector, gradient, clipping, noise
 * and upload encoding, against the protocol test handler through a fake `fetch`. (Browser-only
 * parts — IndexedDB, Web Locks across tabs, the worker boundary, WebGPU — are in test/client-*.spec.ts.)
 */
import {
  distributedGaussianRho,
  gaussianZcdp,
  planSecureSumEncoding,
  secureSumEncodingOf,
  zcdpToEpsilon,
} from '@privads/dp';
import {
  decodeUpdate,
  toBase64Url,
  type DistributedPrivacy,
  type RoundConfig,
} from '@privads/protocol';
import {
  decodeProjectorFile,
  DEFAULT_TEMPERATURE,
  popularityBias,
  referenceRoundGradient,
} from '@privads/model';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProtocolHandler } from '../../../test/support/protocol-handler.js';
import {
  buildFixture,
  roundConfig,
  TEST_PRIVACY,
  type Fixture,
} from '../../../test/support/protocol-fixture.js';
import { CpuEngine, cpuEngineProvider } from '../src/engines/cpu-engine.js';
import { EngineRegistry, type ScoringEngine } from '../src/engines/engine.js';
import { DEFAULT_PRIVACY_FLOOR } from '../src/options.js';
import type { WorkerConfig, WorkerEvent } from '../src/protocol.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { ResilientStore } from '../src/store/resilient-store.js';
import { DEFAULT_EVENT_LOG_LIMITS } from '../src/store/store.js';
import type { RankingPolicyOptions } from '../src/policy/options.js';
import type { PqIndexUse, PrivacyFloor } from '../src/types.js';
import type { LedgerEntry } from '../src/store/records.js';
import { PrivAdsCore } from '../src/worker/core.js';

/** Stands in for IndexedDB: same behaviour as memory, but the worker treats it as durable. */
class DurableMemoryStore extends MemoryStore {
  override readonly kind = 'indexeddb';
}

/** Central rounds need a publisher's opt-in: the default floor is `distributed`. */
const CENTRAL_FLOOR: PrivacyFloor = { minimumMode: 'central' };

/** A distributed round of the fixture's 49,280-parameter projector (k_min 3, at most 5 devices). */
const DISTRIBUTED_PRIVACY: DistributedPrivacy = (() => {
  const rotationSeed = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  const encoding = planSecureSumEncoding({
    clipNorm: 1,
    dimension: 49_280,
    bits: 16,
    noiseMultiplier: 1,
    minDevices: 3,
    maxDevices: 5,
    rotationSeed,
  });
  return {
    mode: 'distributed',
    noiseMultiplier: 1,
    delta: 1e-6,
    bits: encoding.bits,
    granularity: encoding.granularity,
    deviceSigma: encoding.deviceSigma,
    paddedDimension: encoding.paddedDimension,
    rotationSeed: toBase64Url(rotationSeed),
    beta: encoding.beta,
    threshold: 2,
    degree: 2,
    maxCohort: 5,
  };
})();

let fixture: Fixture;
beforeAll(() => {
  fixture = buildFixture({ ads: 120 });
});

interface Harness {
  core: PrivAdsCore;
  handler: ProtocolHandler;
  events: WorkerEvent[];
  store: DurableMemoryStore;
}

async function start(
  options: {
    floor?: PrivacyFloor;
    storage?: 'memory';
    store?: DurableMemoryStore;
    handler?: ProtocolHandler;
    debug?: boolean;
    policy?: RankingPolicyOptions;
    autoJoin?: boolean;
    pqIndex?: PqIndexUse;
    registry?: EngineRegistry;
    elapsed?: () => number;
  } = {},
): Promise<Harness> {
  const handler = options.handler ?? new ProtocolHandler(fixture);
  const store = options.store ?? new DurableMemoryStore();
  const events: WorkerEvent[] = [];
  const core = new PrivAdsCore({
    registry: options.registry ?? new EngineRegistry().register(cpuEngineProvider),
    ...(options.elapsed === undefined ? {} : { elapsed: options.elapsed }),
    uploadRetry: { baseDelayMs: 10, maxDelayMs: 20 },
    openStore: async (o) =>
      new ResilientStore(
        options.storage === 'memory' ? new MemoryStore() : store,
        DEFAULT_EVENT_LOG_LIMITS,
        Date.now,
        o.onFallback,
        // "Deleting the database" empties the durable stand-in, which the next write reopens.
        { delete: async () => true, reopen: async () => store },
      ),
    fetch: async (url, init) => {
      const u = new URL(url);
      const body =
        init?.body === undefined ? new Uint8Array() : new Uint8Array(init.body as ArrayBuffer);
      const headers = Object.fromEntries(
        Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [
          k.toLowerCase(),
          v,
        ]),
      );
      const answer = handler.handle({
        method: init?.method ?? 'GET',
        path: u.pathname,
        headers,
        body,
      });
      const empty = answer.status === 204 || answer.status === 304;
      // A copy: `Response` wants a view over a plain ArrayBuffer.
      const payload = empty || answer.body === undefined ? null : new Uint8Array(answer.body);
      return new Response(payload, { status: answer.status, headers: answer.headers });
    },
  });
  const config: WorkerConfig = {
    server: 'https://ads.test',
    site: 'news.test',
    floor: { ...DEFAULT_PRIVACY_FLOOR, ...options.floor },
    engine: 'auto',
    pqIndex: options.pqIndex ?? 'auto',
    policy: options.policy,
    storage: 'indexeddb',
    debug: options.debug ?? false,
    // Off unless a test asks: most tests decide when the round is joined by calling flush().
    rounds: { autoJoin: options.autoJoin ?? false, checkIntervalMs: 1000 },
    assets: {},
    encoder: false,
  };
  await core.init(config, (e) => events.push(e));
  return { core, handler, events, store };
}

const topicIds = (topic: string): string[] =>
  fixture.ads.filter((a) => a.category === topic).map((a) => a.id);

/** Shows a slate and clicks one of its ads from `topic` (or the first ad). */
async function showAndClick(h: Harness, topic: string): Promise<void> {
  const result = await h.core.rank({ slots: 4 });
  const wanted = topicIds(topic);
  // The clicked ad among three others of other topics (ranked ones first), as a real slate would be.
  const others = [...result.ads.map((a) => a.id), ...fixture.ads.map((a) => a.id)].filter(
    (id) => !wanted.includes(id),
  );
  const slate = [wanted[0] as string, ...new Set(others)].slice(0, 4);
  await h.core.recordImpression(slate);
  await h.core.recordClick(slate[0] as string);
}

/** The logged clicks as catalog rows: each slate and its clicked ad. */
async function clickedSlates(
  h: Harness,
  source: Fixture,
): Promise<{ slate: number[]; clicked: number }[]> {
  const index = new Map(source.ads.map((ad, i) => [ad.id, i]));
  return (await h.store.events()).flatMap((e) =>
    e.kind === 'click'
      ? [{ slate: e.slate.map((id) => index.get(id)!), clicked: index.get(e.adId)! }]
      : [],
  );
}

/** The f64 reference round gradient of those clicks at `user` (with the catalog's bias, if given). */
function referenceGradient(
  source: Fixture,
  clicks: { slate: number[]; clicked: number }[],
  user: Float32Array,
  bias?: Float32Array,
): Float64Array {
  const dim = source.spec.contentDim;
  return referenceRoundGradient(
    source.spec,
    decodeProjectorFile(source.projectorBytes).parameters,
    clicks.map(({ slate, clicked }) => ({
      user,
      slateContent: Float32Array.from(
        slate.flatMap((i) => Array.from(source.content.subarray(i * dim, (i + 1) * dim))),
      ),
      clickedIndex: slate.indexOf(clicked),
      ...(bias ? { slateBias: Float32Array.from(slate, (i) => bias[i]!) } : {}),
    })),
    DEFAULT_TEMPERATURE,
  );
}

/** ‖a − b‖ / ‖b‖. */
function relativeDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return Math.sqrt(d / n);
}

describe('ranking', () => {
  it('ranks from the catalog prior before anything is learned', async () => {
    const { core } = await start();
    const result = await core.rank({ slots: 3 });
    expect(result).toMatchObject({
      source: 'prior',
      personalised: false,
      engine: 'cpu',
      catalogVersion: 1,
    });
    expect(result.ads).toHaveLength(3);
    expect(result.ads.every((a) => a.why.code === 'prior')).toBe(true);
    expect(new Set(result.ads.map((a) => a.advertiser)).size).toBe(3);
  });

  it('ranks with the popularity prior the catalog carries, in memory as in the worker', async () => {
    // The in-page runtime (no worker) is this same core with memory storage.
    const clicks = new Float32Array(120);
    clicks[77] = 1000;
    const popular = buildFixture({
      ads: 120,
      popularity: { clicks, impressions: clicks, weight: 5, smoothing: 1, rounds: 1, sigma: 0 },
    });
    const withPrior = await start({ storage: 'memory', handler: new ProtocolHandler(popular) });
    const plain = await start({ storage: 'memory' });
    const top = (await withPrior.core.rank({ slots: 3 })).ads;
    expect(top[0]?.id).toBe('ad-77');
    expect((await plain.core.rank({ slots: 3 })).ads.map((a) => a.id)).not.toContain('ad-77');
    // The score shown is the ranking's: cosine plus the (shifted, ≤ 0) bias, 0 for the top ad.
    expect(top[1]!.score).toBeLessThan(top[0]!.score - 10);
  });

  it('uses the page context on a cold start (content-space embedding, projected on the device)', async () => {
    const { core } = await start();
    const center = fixture.topicCenters[1] as Float32Array; // travel
    const result = await core.rank({ slots: 5, context: { embedding: center } });
    expect(result.source).toBe('context');
    expect(result.ads.every((a) => a.category === 'travel')).toBe(true);
    expect(result.ads[0]?.why).toEqual({
      code: 'context',
      text: 'Related to what you are reading',
    });
  });

  it('ignores page text, with one fallback event, when the encoder is off', async () => {
    const { core, events } = await start();
    const result = await core.rank({ slots: 3, context: { text: 'Cheap flights to Lisbon' } });
    expect(result.source).toBe('prior');
    await core.recordRead('Cheap flights to Lisbon', 10_000);
    expect((await core.exportProfile()).profile).toBeUndefined();
    const fallbacks = events.filter((e) => e.type === 'fallback').map((e) => e.detail);
    expect(fallbacks).toEqual([
      { what: 'encoder', reason: expect.stringMatching(/content encoder is off/) },
    ]);
  });

  it('caps impressions per ad: an ad shown maxImpressions times is left out', async () => {
    const { core } = await start({
      policy: { frequencyCap: { maxImpressions: 2, windowMs: 60_000 } },
    });
    const first = (await core.rank({ slots: 3 })).ads[0]?.id as string;
    for (let i = 0; i < 2; i++) {
      const shown = await core.rank({ slots: 3 });
      expect(shown.ads.map((a) => a.id)).toContain(first);
      await core.recordImpression(shown.ads.map((a) => a.id));
    }
    expect((await core.rank({ slots: 3 })).ads.map((a) => a.id)).not.toContain(first);
  });

  it('spreads a slate over advertisers, unless diversity is off', async () => {
    const context = { embedding: fixture.topicCenters[3] as Float32Array };
    const diverse = await (await start()).core.rank({ slots: 8, context });
    expect(new Set(diverse.ads.map((a) => a.advertiser)).size).toBe(8);
    // Ads are dealt to 40 advertisers round-robin over 8 topics: cooking ads come from only 5 of them.
    const unconstrained = await (
      await start({ policy: { diversity: false } })
    ).core.rank({ slots: 8, context });
    expect(new Set(unconstrained.ads.map((a) => a.advertiser)).size).toBeLessThan(8);
  });

  it('explores when asked, and says so in "why this ad"', async () => {
    const { core } = await start({
      policy: { exploration: { kind: 'epsilon-greedy', epsilon: 1 } },
    });
    const result = await core.rank({ slots: 4 });
    expect(result.ads).toHaveLength(4);
    expect(result.ads.every((a) => a.why.code === 'exploration' && a.why.text.length > 0)).toBe(
      true,
    );
  });
});

describe('learning', () => {
  it('a click changes the profile and persists it with the event', async () => {
    const h = await start();
    await showAndClick(h, 'finance');
    const profile = await h.store.getProfile();
    expect(profile?.updates).toBe(1);
    expect(profile?.revision).toBe(1);
    expect((await h.store.events()).map((e) => e.kind)).toEqual(['impression', 'click']);
    expect(h.events.some((e) => e.type === 'profile')).toBe(true);
    const again = await start({ store: h.store });
    expect((await again.core.rank({ slots: 3 })).source).toBe('profile');
  });

  it('clicks on one topic bring that topic to the top', async () => {
    const h = await start();
    for (let i = 0; i < 25; i++) await showAndClick(h, 'cooking');
    const result = await h.core.rank({ slots: 3 });
    expect(result.personalised).toBe(true);
    expect(result.ads[0]?.category).toBe('cooking');
    expect(result.ads[0]?.why.text).toBe('Matches your interest in cooking');
  });

  it('a hidden ad is not shown again', async () => {
    const h = await start();
    const first = (await h.core.rank({ slots: 3 })).ads[0]?.id as string;
    await h.core.recordHide(first);
    expect((await h.core.rank({ slots: 3 })).ads.map((a) => a.id)).not.toContain(first);
  });

  it('reports an unknown ad as an error event instead of throwing', async () => {
    const h = await start();
    await h.core.recordClick('no-such-ad');
    expect(h.events).toContainEqual({
      type: 'error',
      detail: expect.objectContaining({ code: 'NOT_FOUND' }),
    });
  });
});

describe('flush', () => {
  it('uploads one clipped update per round (central mode: no client noise)', async () => {
    const h = await start({ debug: true, floor: CENTRAL_FLOOR });
    h.handler.round = roundConfig(fixture, { clipNorm: 0.05 });
    for (let i = 0; i < 3; i++) await showAndClick(h, 'sport');
    const result = await h.core.flush();
    expect(result).toMatchObject({ status: 'uploaded', reason: 'uploaded', roundId: 1 });
    expect(h.handler.uploads).toHaveLength(1);
    const { update } = h.handler.uploads[0]!;
    expect(Object.keys(update.header).sort()).toEqual([
      'encoding',
      'length',
      'nonce',
      'projectorVersion',
      'roundId',
    ]);
    const norm = Math.hypot(...update.vector);
    expect(norm).toBeLessThanOrEqual(0.05);
    const debug = h.events.find((e) => e.type === 'debug' && e.detail.kind === 'update-norms');
    expect(debug?.detail).toMatchObject({ clipNorm: 0.05, clientSigma: 0, events: 3 });
    // The gradient of 3 clicks is much larger than C = 0.05: clipping really happened.
    expect((debug?.detail as { preClipNorm: number }).preClipNorm).toBeGreaterThan(0.05);
    expect(norm).toBeCloseTo(0.05, 3);

    const posts = () => h.handler.requests.filter((r) => r.method === 'POST').length;
    expect(await h.core.flush()).toMatchObject({
      status: 'skipped',
      reason: 'already-participated',
    });
    expect(posts()).toBe(1);
    const report = await h.core.privacyReport();
    expect(report.participations).toBe(1);
    expect(report.uploads[0]).toMatchObject({
      roundId: 1,
      mode: 'central',
      status: 'sent',
      bytes: h.handler.uploads[0]!.bytes,
    });
    expect(report.byMode.central.epsilon).toBeGreaterThan(0);
  });

  it('refits the profile to the round catalog before the gradient, and takes the gradient there', async () => {
    const h = await start({ floor: CENTRAL_FLOOR });
    h.handler.round = roundConfig(fixture, { clipNorm: 1e6, acceptedEncodings: ['f32'] });
    for (let i = 0; i < 3; i++) await showAndClick(h, 'sport');
    const before = (await h.store.getProfile())!;
    expect(await h.core.flush()).toMatchObject({ status: 'uploaded' });
    const after = (await h.store.getProfile())!;
    // One more revision, no new learning event: the refit replays the clicks already counted.
    expect(after.revision).toBe(before.revision + 1);
    expect(after.updates).toBe(before.updates);
    expect(Array.from(after.vector)).not.toEqual(Array.from(before.vector));
    expect(h.events.filter((e) => e.type === 'profile').at(-1)?.detail).toMatchObject({
      revision: after.revision,
    });

    const clicks = await clickedSlates(h, fixture);
    const gradientAt = (user: Float32Array) => referenceGradient(fixture, clicks, user);
    const uploaded = h.handler.uploads[0]!.update.vector;
    // 2.4e-4 apart (the catalog ships rounded content rows) vs 0.43 from the unrefitted gradient.
    expect(relativeDistance(uploaded, gradientAt(after.vector))).toBeLessThan(2e-3);
    expect(relativeDistance(uploaded, gradientAt(before.vector))).toBeGreaterThan(0.05);
  });

  it('learns with the popularity prior its catalog carries, as it ranks (bias-aware gradient)', async () => {
    // Ad i has 40 / (1 + i mod 7) released clicks: a prior that differs within every slate.
    const clicks = Float32Array.from({ length: 120 }, (_, i) => 40 / (1 + (i % 7)));
    const popular = buildFixture({
      ads: 120,
      popularity: {
        clicks,
        impressions: clicks.map((c) => 10 * c),
        weight: 0.1,
        smoothing: 1,
        rounds: 3,
        sigma: 0,
      },
    });
    const h = await start({ floor: CENTRAL_FLOOR, handler: new ProtocolHandler(popular) });
    h.handler.round = roundConfig(popular, { clipNorm: 1e6, acceptedEncodings: ['f32'] });
    for (let i = 0; i < 3; i++) await showAndClick(h, 'sport');
    expect(await h.core.flush()).toMatchObject({ status: 'uploaded' });
    const profile = (await h.store.getProfile())!;
    const bias = popularityBias({ clicks, weight: 0.1, smoothing: 1 });
    const slates = await clickedSlates(h, popular);
    const uploaded = h.handler.uploads[0]!.update.vector;
    const biased = referenceGradient(popular, slates, profile.vector, bias);
    expect(relativeDistance(uploaded, biased)).toBeLessThan(2e-3);
    expect(
      relativeDistance(uploaded, referenceGradient(popular, slates, profile.vector)),
    ).toBeGreaterThan(0.02);
  });

  it('learns from the reconstructions a pq8 catalog carries (content kept coded in the worker)', async () => {
    // More ads than a sub-space has centroids, so that the codes are lossy.
    const coded = buildFixture({ ads: 400, contentEncoding: 'pq8' });
    const h = await start({ floor: CENTRAL_FLOOR, handler: new ProtocolHandler(coded) });
    h.handler.round = roundConfig(coded, { clipNorm: 1e6, acceptedEncodings: ['f32'] });
    for (let i = 0; i < 3; i++) await showAndClick(h, 'sport');
    expect(await h.core.flush()).toMatchObject({ status: 'uploaded' });
    const profile = (await h.store.getProfile())!;
    const slates = await clickedSlates(h, coded);
    const uploaded = h.handler.uploads[0]!.update.vector;
    // The fixture's content is the bundle's reconstructions; the exact rows give another gradient.
    expect(
      relativeDistance(uploaded, referenceGradient(coded, slates, profile.vector)),
    ).toBeLessThan(1e-4);
    const exact = { ...coded, content: buildFixture({ ads: 400 }).content };
    expect(
      relativeDistance(uploaded, referenceGradient(exact, slates, profile.vector)),
    ).toBeGreaterThan(1e-3);
  });

  it('a device with no click uploads a zero update in a sampled round, through the same path', async () => {
    const h = await start({ debug: true, floor: CENTRAL_FLOOR });
    h.handler.round = roundConfig(fixture);
    expect(await h.core.flush()).toMatchObject({ status: 'uploaded', roundId: 1 });
    const { update } = h.handler.uploads[0]!;
    expect(update.vector.every((x) => x === 0)).toBe(true);
    const debug = h.events.find((e) => e.type === 'debug' && e.detail.kind === 'update-norms');
    expect(debug?.detail).toMatchObject({ preClipNorm: 0, events: 0 });
    // The request of a device that clicked has the same size, form and header fields.
    const clicked = await start({ floor: CENTRAL_FLOOR });
    clicked.handler.round = roundConfig(fixture);
    for (let i = 0; i < 3; i++) await showAndClick(clicked, 'sport');
    expect((await clicked.core.flush()).status).toBe('uploaded');
    const [a, b] = [h, clicked].map((x) => x.handler.requests.find((r) => r.method === 'POST')!);
    expect(a!.path).toBe(b!.path);
    expect(a!.body.byteLength).toBe(b!.body.byteLength);
    expect(Object.keys(a!.headers).sort()).toEqual(Object.keys(b!.headers).sort());
    const [ha, hb] = [a!, b!].map((r) => decodeUpdate(r.body).header);
    expect(Object.keys(ha!).sort()).toEqual(Object.keys(hb!).sort());
    expect({ ...ha, nonce: '' }).toEqual({ ...hb, nonce: '' });
    expect(Math.hypot(...clicked.handler.uploads[0]!.update.vector)).toBeGreaterThan(0);
  });

  it('a device without clicks adds its noise share in local mode', async () => {
    const h = await start({ floor: CENTRAL_FLOOR });
    h.handler.round = roundConfig(fixture, { privacy: TEST_PRIVACY.local });
    expect((await h.core.flush()).status).toBe('uploaded');
    const vector = h.handler.uploads[0]!.update.vector;
    const sigma = TEST_PRIVACY.local.mode === 'local' ? TEST_PRIVACY.local.sigma : NaN;
    expect(Math.hypot(...vector) / (sigma * Math.sqrt(vector.length))).toBeCloseTo(1, 1);
  });

  it('joins the open round by itself once ready, without any click (autoJoin)', async () => {
    const handler = new ProtocolHandler(fixture);
    handler.round = roundConfig(fixture);
    const h = await start({ handler, autoJoin: true, floor: CENTRAL_FLOOR });
    await expect.poll(() => h.handler.uploads.length, { timeout: 5000 }).toBe(1);
    expect(await h.core.flush()).toMatchObject({ reason: 'already-participated' });
    expect((await h.core.privacyReport()).participations).toBe(1);
    await h.core.close();
  });

  it('enforces the round gap and the lifetime cap from the ledger, before computing anything', async () => {
    const h = await start({ debug: true, floor: CENTRAL_FLOOR });
    const rules = { maxParticipationsPerDevice: 2, minRoundGap: 3, samplingProbability: 1 };
    const round = (roundId: number): RoundConfig =>
      roundConfig(fixture, { roundId, participation: rules });
    h.handler.round = round(1);
    expect((await h.core.flush()).status).toBe('uploaded');
    h.handler.round = round(3);
    const gap = await h.core.flush();
    expect(gap).toMatchObject({ status: 'skipped', reason: 'round-gap' });
    expect(gap.message).toMatch(/joined round 1; round 3 is within the minimum gap of 3 rounds/);
    h.handler.round = round(4);
    expect((await h.core.flush()).status).toBe('uploaded');
    h.handler.round = round(10);
    const limit = await h.core.flush();
    expect(limit).toMatchObject({ status: 'skipped', reason: 'participation-limit' });
    expect(limit.message).toMatch(/already joined 2 rounds, the lifetime limit of 2/);
    // Refusals computed nothing: one update-norms event and one POST per accepted round.
    const computed = h.events.filter((e) => e.type === 'debug' && e.detail.kind === 'update-norms');
    expect(computed).toHaveLength(2);
    expect(h.handler.uploads.map((u) => u.roundId)).toEqual([1, 4]);
  });

  it('states ε per device: the sampling probability does not lower it', async () => {
    const h = await start({ floor: CENTRAL_FLOOR });
    const p = 1 - 1e-9;
    h.handler.round = roundConfig(fixture, {
      participation: { maxParticipationsPerDevice: 30, minRoundGap: 1, samplingProbability: p },
    });
    expect((await h.core.flush()).status).toBe('uploaded');
    const privacy = TEST_PRIVACY.central;
    if (privacy.mode !== 'central') throw new Error('central fixture expected');
    const report = await h.core.privacyReport();
    // zCDP, as every mode: ρ = 1/(2z²) per participation, converted at δ.
    expect(report.byMode.central.rho).toBe(gaussianZcdp(privacy.noiseMultiplier));
    expect(report.byMode.central.epsilon).toBe(
      zcdpToEpsilon(gaussianZcdp(privacy.noiseMultiplier), privacy.delta),
    );
    expect(report.epsilonSpent).toBe(report.byMode.central.epsilon);
  });

  it('joins a distributed round by default: charges ρ of the distributed discrete Gaussian before the first message', async () => {
    const order: string[] = [];
    const store = new (class extends DurableMemoryStore {
      override addLedgerEntry(entry: Omit<LedgerEntry, 'id'>): Promise<number> {
        order.push('ledger');
        return super.addLedgerEntry(entry);
      }
    })();
    const handler = new ProtocolHandler(fixture);
    const handle = handler.handle.bind(handler);
    handler.handle = (request) => {
      if (request.path.includes('/secagg')) order.push(request.path);
      return handle(request);
    };
    const h = await start({ store, handler });
    h.handler.round = roundConfig(fixture, {
      privacy: DISTRIBUTED_PRIVACY,
      kMin: 3,
      acceptedEncodings: ['masked'],
    });
    // This fake server has no secure aggregation: its 404 is a round that is over.
    const result = await h.core.flush();
    expect(result).toMatchObject({ status: 'skipped', reason: 'round-aborted', roundId: 1 });
    expect(order[0]).toBe('ledger');
    expect(order[1]).toBe('/v1/rounds/1/secagg');
    expect(h.handler.requests.filter((r) => r.method === 'POST')).toEqual([]);
    const [entry] = await h.store.ledger();
    const rho = distributedGaussianRho({
      encoding: secureSumEncodingOf(h.handler.round),
      devices: 3,
      maxDevices: DISTRIBUTED_PRIVACY.maxCohort,
    });
    expect(entry).toMatchObject({ mode: 'distributed', rho, status: 'expired' });
    expect(entry?.epsilon).toBe(zcdpToEpsilon(rho, DISTRIBUTED_PRIVACY.delta));
    const report = await h.core.privacyReport();
    expect(report.byMode.distributed).toMatchObject({ participations: 1, rho });
    const upload = h.events.find((e) => e.type === 'upload');
    expect(upload?.detail).toMatchObject({ mode: 'distributed', outcome: 'expired', roundId: 1 });
    // Once in the ledger, the round is never joined again.
    expect(await h.core.flush()).toMatchObject({ reason: 'already-participated' });
  });

  it('refuses a central round under the default floor, before computing anything', async () => {
    const h = await start();
    h.handler.round = roundConfig(fixture);
    await showAndClick(h, 'tech');
    const result = await h.core.flush();
    expect(result).toMatchObject({ status: 'skipped', reason: 'mode-below-floor' });
    expect(h.handler.requests.filter((r) => r.method === 'POST')).toEqual([]);
    expect((await h.core.privacyReport()).participations).toBe(0);
  });

  it('adds calibrated Gaussian noise in local mode', async () => {
    const h = await start({ debug: true, floor: CENTRAL_FLOOR });
    h.handler.round = roundConfig(fixture, { privacy: TEST_PRIVACY.local });
    await showAndClick(h, 'music');
    expect((await h.core.flush()).status).toBe('uploaded');
    const vector = h.handler.uploads[0]!.update.vector;
    // ‖N(0, σ² I)‖ ≈ σ·√d for d = 49 280 and σ = 16: the upload is dominated by noise.
    const sigma = TEST_PRIVACY.local.mode === 'local' ? TEST_PRIVACY.local.sigma : NaN;
    expect(Math.hypot(...vector) / (sigma * Math.sqrt(vector.length))).toBeCloseTo(1, 1);
    const report = await h.core.privacyReport();
    expect(report.byMode.local.epsilon).toBeGreaterThan(0.5);
    expect(report.byMode.local.epsilon).toBeLessThan(1);
  });

  it('refuses a round weaker than the floor, without uploading', async () => {
    const h = await start({ floor: { minimumMode: 'local' } });
    h.handler.round = roundConfig(fixture);
    await showAndClick(h, 'tech');
    expect(await h.core.flush()).toMatchObject({ status: 'skipped', reason: 'mode-below-floor' });
    expect(h.handler.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('refuses a local round whose σ gives less privacy than it declares', async () => {
    const h = await start({ floor: CENTRAL_FLOOR });
    h.handler.round = roundConfig(fixture, {
      privacy: { mode: 'local', epsilon: 0.1, delta: 1e-6, sigma: 8 },
    });
    await showAndClick(h, 'tech');
    expect(await h.core.flush()).toMatchObject({ reason: 'config-inconsistent' });
  });

  it('stops for good once the lifetime budget is spent, and then makes no request at all', async () => {
    const h = await start({ floor: { ...CENTRAL_FLOOR, lifetimeEpsilon: 6 } });
    h.handler.round = roundConfig(fixture);
    await showAndClick(h, 'cars');
    expect((await h.core.flush()).status).toBe('uploaded');
    h.handler.round = roundConfig(fixture, { roundId: 2 });
    await showAndClick(h, 'cars');
    const refused = await h.core.flush();
    expect(refused).toMatchObject({ status: 'skipped', reason: 'budget-exhausted' });
    expect(refused.message).toMatch(/above the budget 6/);
    // Spend the rest with a tiny round cost, then check no request is made at all.
    const before = h.handler.requests.length;
    const spent = await start({
      floor: { ...CENTRAL_FLOOR, lifetimeEpsilon: 1e-3 },
      store: h.store,
      handler: h.handler,
    });
    expect(await spent.core.flush()).toMatchObject({ reason: 'budget-exhausted' });
    expect(
      h.handler.requests.slice(before).filter((r) => !r.path.startsWith('/v1/catalog')),
    ).toEqual([]);
  });

  it('explains the other refusals', async () => {
    const h = await start({ floor: CENTRAL_FLOOR });
    expect(await h.core.flush()).toMatchObject({ reason: 'no-round' });
    h.handler.round = roundConfig(fixture, { deadline: new Date(Date.now() - 1000).toISOString() });
    expect(await h.core.flush()).toMatchObject({ reason: 'round-closed' });
    const memory = await start({ storage: 'memory', floor: CENTRAL_FLOOR });
    memory.handler.round = roundConfig(fixture);
    expect(await memory.core.flush()).toMatchObject({ reason: 'storage-unavailable' });
  });

  it('queues a failed upload and sends it when the server recovers', async () => {
    const h = await start({ floor: CENTRAL_FLOOR });
    h.handler.round = roundConfig(fixture);
    h.handler.uploadStatus = 503;
    await showAndClick(h, 'gardening');
    expect(await h.core.flush()).toMatchObject({ status: 'queued', roundId: 1 });
    expect(await h.store.outbox()).toHaveLength(1);
    h.handler.uploadStatus = undefined;
    await expect.poll(async () => h.handler.uploads.length, { timeout: 5000 }).toBe(1);
    expect(await h.store.outbox()).toEqual([]);
    expect((await h.core.privacyReport()).uploads[0]?.status).toBe('sent');
  });
});

describe('reader controls', () => {
  it('pause stops learning and every request; resume restores both', async () => {
    const h = await start({ floor: CENTRAL_FLOOR });
    await h.core.rank({ slots: 2 });
    await h.core.pause();
    const before = h.handler.requests.length;
    h.handler.round = roundConfig(fixture);
    await showAndClick(h, 'sport');
    expect(await h.core.flush()).toMatchObject({ status: 'skipped', reason: 'paused' });
    expect(h.handler.requests.length).toBe(before);
    expect(await h.store.getProfile()).toBeUndefined();
    expect((await h.core.privacyReport()).paused).toBe(true);
    await h.core.resume();
    await showAndClick(h, 'sport');
    expect((await h.store.getProfile())?.updates).toBe(1);
  });

  it('exports everything stored and forget deletes it', async () => {
    const h = await start({ floor: CENTRAL_FLOOR });
    await showAndClick(h, 'travel');
    const exported = await h.core.exportProfile();
    expect(exported).toMatchObject({
      format: 'privads-profile-export',
      formatVersion: 1,
      site: 'news.test',
    });
    expect(exported.profile?.vector).toHaveLength(128);
    expect(exported.events.map((e) => e.kind)).toEqual(['impression', 'click']);
    JSON.stringify(exported); // serialisable
    await h.core.forget();
    const after = await h.core.exportProfile();
    expect(after.profile).toBeUndefined();
    expect(after.events).toEqual([]);
    expect((await h.core.rank({ slots: 2 })).source).toBe('prior');
  });

  it('forget() keeps the participation stub: the device cannot join the same round again', async () => {
    const h = await start({ floor: { ...CENTRAL_FLOOR, lifetimeEpsilon: 6 } });
    h.handler.round = roundConfig(fixture);
    await showAndClick(h, 'travel');
    expect((await h.core.flush()).status).toBe('uploaded');
    const before = await h.core.privacyReport();
    await h.core.pause();
    await h.core.forget();
    // The stub holds the round, the mode and the privacy cost, and nothing else.
    const stored = await h.store.ledger();
    expect(stored).toHaveLength(1);
    expect(Object.keys(stored[0]!).sort()).toEqual(
      ['delta', 'epsilon', 'id', 'mode', 'noiseMultiplier', 'rho', 'roundId'].sort(),
    );
    expect(await h.store.events()).toEqual([]);
    expect(await h.store.getProfile()).toBeUndefined();
    expect(await h.store.getSetting('lastParticipationAt')).toBeUndefined();
    expect(await h.store.getSetting('paused')).toBe(true);
    await h.core.resume();
    const report = await h.core.privacyReport();
    expect(report).toMatchObject({
      participations: 1,
      epsilonSpent: before.epsilonSpent,
      uploads: [],
    });
    expect((await h.core.exportProfile()).ledger).toEqual([]);
    expect(await h.core.flush()).toMatchObject({ reason: 'already-participated' });
    // The budget still counts the forgotten participation.
    h.handler.round = roundConfig(fixture, { roundId: 2 });
    expect(await h.core.flush()).toMatchObject({ reason: 'budget-exhausted' });
    expect(h.handler.uploads).toHaveLength(1);
  });

  it('forget({ everything: true }) removes the stub too: the device may join again as if new', async () => {
    const h = await start({ floor: CENTRAL_FLOOR });
    h.handler.round = roundConfig(fixture);
    expect((await h.core.flush()).status).toBe('uploaded');
    await h.core.forget({ everything: true });
    expect(await h.store.ledger()).toEqual([]);
    expect(await h.store.getSetting('sampling')).toBeUndefined();
    expect((await h.core.privacyReport()).participations).toBe(0);
    expect(await h.core.flush()).toMatchObject({ status: 'uploaded', roundId: 1 });
    expect(h.handler.uploads).toHaveLength(2);
  });

  it('decodes what it uploads with the real decoder (sanity of the fake transport)', async () => {
    const h = await start({ floor: CENTRAL_FLOOR });
    h.handler.round = roundConfig(fixture, { acceptedEncodings: ['int8'] });
    await showAndClick(h, 'finance');
    expect((await h.core.flush()).status).toBe('uploaded');
    const post = h.handler.requests.find((r) => r.method === 'POST')!;
    expect(decodeUpdate(post.body).header.encoding).toBe('int8');
    expect(Math.hypot(...decodeUpdate(post.body).vector)).toBeLessThanOrEqual(1);
  });
});

describe('PQ index', () => {
  /** The fixture's catalog with its PQ index (the server's default stages). */
  let indexed: Fixture;
  beforeAll(() => {
    indexed = buildFixture({ ads: 120, pqStages: [32, 32, 16] });
  });

  const pqFallbacks = (events: WorkerEvent[]): WorkerEvent[] =>
    events.filter((e) => e.type === 'fallback' && e.detail.what === 'pq-index');

  it('ranks with the announced index, downloaded once, whole, by a request that carries nothing of the reader', async () => {
    const store = new DurableMemoryStore();
    const h = await start({ handler: new ProtocolHandler(indexed), store, pqIndex: 'always' });
    const result = await h.core.rank({ slots: 3 });
    expect(result).toMatchObject({ engine: 'pq-index', catalogVersion: 1 });
    expect(result.ads).toHaveLength(3);
    const diagnostics = await h.core.diagnostics();
    expect(diagnostics.ranking).toEqual({ path: 'pq-index' });
    // The exact engine is never loaded while the index ranks.
    expect(diagnostics.engines).toEqual([]);
    expect(pqFallbacks(h.events)).toEqual([]);
    const fetched = h.handler.requests.filter((r) => r.path.includes('pq-index'));
    expect(fetched.map((r) => r.path)).toEqual(['/v1/catalog/1/pq-index']);
    expect(fetched[0]?.body.byteLength).toBe(0);
    await h.core.close();

    // A restart ranks from the cached index: no second download.
    const again = await start({ handler: h.handler, store, pqIndex: 'always' });
    expect((await again.core.rank({ slots: 3 })).engine).toBe('pq-index');
    expect(h.handler.requests.filter((r) => r.path.includes('pq-index'))).toHaveLength(1);
    await again.core.close();
  });

  it.each([
    ['truncated', (b: Uint8Array) => b.subarray(0, b.length - 9), 'TRUNCATED'],
    [
      'corrupted',
      (b: Uint8Array) => b.map((x, i) => (i === b.length - 5 ? x ^ 0x40 : x)),
      'CHECKSUM_MISMATCH',
    ],
    ['missing', () => undefined, 'NOT_FOUND'],
  ])(
    'an index that is %s: the exact engine ranks, one fallback event says why, the page sees no exception',
    async (_, damage, code) => {
      const handler = new ProtocolHandler(indexed);
      handler.servePqIndex(1, damage(indexed.pqIndexBytes as Uint8Array));
      const h = await start({ handler });
      const result = await h.core.rank({ slots: 3 });
      expect(result.engine).toBe('cpu');
      expect(result.ads).toHaveLength(3);
      const fallbacks = pqFallbacks(h.events);
      expect(fallbacks).toHaveLength(1);
      expect(JSON.stringify(fallbacks[0]?.detail)).toContain(code);
      const ranking = (await h.core.diagnostics()).ranking;
      expect(ranking?.path).toBe('exact');
      expect(ranking?.reason).toMatch(new RegExp(`^${code}: `));
      expect(h.events.filter((e) => e.type === 'error')).toEqual([]);
      await h.core.close();
    },
  );

  it('refuses the index of another catalog version (BAD_HEADER) and ranks exactly', async () => {
    const handler = new ProtocolHandler(indexed);
    handler.servePqIndex(
      1,
      buildFixture({ ads: 120, pqStages: [32, 16], catalogVersion: 2 }).pqIndexBytes,
    );
    const h = await start({ handler });
    expect((await h.core.rank({ slots: 2 })).engine).toBe('cpu');
    expect((await h.core.diagnostics()).ranking?.reason).toMatch(/^BAD_HEADER: /);
    await h.core.close();
  });

  /** A clock that moves 1 ms per reading, plus what slow engines add. */
  const steppingClock = () => {
    const clock = { now: 0, elapsed: () => clock.now++ };
    return clock;
  };

  /**
   * A registry of one engine, `slow-cpu`: the CPU engine costing `extraMs` more per query on
   * `clock`, whose probe fails after `probesOk` probes.
   */
  const slowCpuRegistry = (
    clock: { now: number },
    extraMs: number,
    probesOk = Infinity,
  ): EngineRegistry => {
    const slowEngine = (): ScoringEngine => {
      const cpu = new CpuEngine();
      return {
        name: 'slow-cpu',
        get loadedVersion() {
          return cpu.loadedVersion;
        },
        load: (matrix) => cpu.load(matrix),
        scoreAll: (query) => cpu.scoreAll(query),
        topK: (query, k) => {
          clock.now += extraMs;
          return cpu.topK(query, k);
        },
        dispose: () => cpu.dispose(),
      };
    };
    let probes = 0;
    return new EngineRegistry().register({
      name: 'slow-cpu',
      priority: 0,
      probe: async () =>
        probes++ < probesOk
          ? { ok: true, detail: 'slow', create: async () => slowEngine() }
          : { ok: false, reason: 'gone' },
    });
  };

  /** A clock for page loads that must not time anything again. */
  const noTiming = (): number => {
    throw new Error('timed again');
  };

  it('auto: the exact engine ranks when the index is not clearly faster here, and the timings say why', async () => {
    const clock = steppingClock();
    const store = new DurableMemoryStore();
    const h = await start({ handler: new ProtocolHandler(indexed), store, elapsed: clock.elapsed });
    expect((await h.core.rank({ slots: 3 })).engine).toBe('cpu');
    const ranking = { path: 'exact', timings: { indexMs: 1, exactMs: 1 } };
    expect((await h.core.diagnostics()).ranking).toEqual(ranking);
    // The index was downloaded to be timed: one whole download, as for every reader.
    expect(h.handler.requests.filter((r) => r.path.includes('pq-index'))).toHaveLength(1);
    expect(pqFallbacks(h.events)).toEqual([]);
    expect(h.events.filter((e) => e.type === 'error')).toEqual([]);
    await h.core.close();

    // The next page load remembers the choice for this catalog version: nothing is timed again.
    const again = await start({ handler: h.handler, store, elapsed: noTiming });
    expect((await again.core.rank({ slots: 3 })).engine).toBe('cpu');
    expect((await again.core.diagnostics()).ranking).toEqual(ranking);
    expect(again.events.filter((e) => e.type === 'error')).toEqual([]);
    expect(h.handler.requests.filter((r) => r.path.includes('pq-index'))).toHaveLength(1);
    await again.core.close();

    // Another engine now (not the CPU engine that won): timed again, and this one is slow enough
    // for the index to win.
    const clock2 = steppingClock();
    const other = await start({
      handler: h.handler,
      store,
      elapsed: clock2.elapsed,
      registry: slowCpuRegistry(clock2, 10),
    });
    expect((await other.core.rank({ slots: 3 })).engine).toBe('pq-index');
    expect((await other.core.diagnostics()).ranking).toEqual({
      path: 'pq-index',
      timings: { indexMs: 1, exactMs: 11 },
    });
    await other.core.close();
  });

  it('auto: the index ranks when the exact engine measures more than 1.25× slower', async () => {
    const clock = steppingClock();
    const store = new DurableMemoryStore();
    const registry = slowCpuRegistry(clock, 10);
    const h = await start({
      handler: new ProtocolHandler(indexed),
      store,
      elapsed: clock.elapsed,
      registry,
    });
    expect((await h.core.rank({ slots: 3 })).engine).toBe('pq-index');
    const diagnostics = await h.core.diagnostics();
    const ranking = { path: 'pq-index', timings: { indexMs: 1, exactMs: 11 } };
    expect(diagnostics.ranking).toEqual(ranking);
    expect(diagnostics.engine).toBe('slow-cpu');
    await h.core.close();

    // Remembered for the next page load, which then resolves no scoring engine at all.
    const again = await start({ handler: h.handler, store, elapsed: noTiming, registry });
    expect((await again.core.rank({ slots: 3 })).engine).toBe('pq-index');
    const remembered = await again.core.diagnostics();
    expect(remembered.ranking).toEqual(ranking);
    expect(remembered.engines).toEqual([]);
    expect(again.events.filter((e) => e.type === 'error')).toEqual([]);
    await again.core.close();
  });

  it('auto: when the timing itself fails, the index that loaded ranks and one error event says why', async () => {
    const clock = steppingClock();
    const h = await start({
      handler: new ProtocolHandler(indexed),
      elapsed: clock.elapsed,
      registry: slowCpuRegistry(clock, 10, 1),
    });
    expect((await h.core.rank({ slots: 3 })).engine).toBe('pq-index');
    expect((await h.core.diagnostics()).ranking).toEqual({ path: 'pq-index' });
    const errors = h.events.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.detail).toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      operation: 'ranking-probe',
    });
    await h.core.close();
  });

  it('never: the announced index is not downloaded, and every row is scored exactly', async () => {
    const h = await start({ handler: new ProtocolHandler(indexed), pqIndex: 'never' });
    expect((await h.core.rank({ slots: 3 })).engine).toBe('cpu');
    expect((await h.core.diagnostics()).ranking).toEqual({ path: 'exact' });
    expect(h.handler.requests.filter((r) => r.path.includes('pq-index'))).toEqual([]);
    await h.core.close();
  });

  it('a catalog without an index ranks exactly and says nothing about indexes', async () => {
    const h = await start();
    expect((await h.core.rank({ slots: 2 })).engine).toBe('cpu');
    expect((await h.core.diagnostics()).ranking).toEqual({ path: 'exact' });
    expect(pqFallbacks(h.events)).toEqual([]);
    await h.core.close();
  });
});
