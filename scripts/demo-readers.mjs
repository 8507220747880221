/* global fetch, setTimeout, AbortController */
/**
 * Simulated readers for `npm start`: a population of synthetic readers that browse the demo
 * catalog, learn their profile with the same `@privads/model` user update the browser runs, and
 * join the rounds they are sampled for over HTTP with the device code the browser runs: the round
 * gradient with u frozen, then in a `distributed` round `takePartInSecureRound` over
 * `fetchTransport` (`@privads/model/secure-upload`: quantize, noise share, SecAgg+ masking, every
 * phase), and in a central/local round `privatizeRoundUpdate` (clipping, local noise when the
 * round asks for it, encoding) and one upload. They keep rounds closing while a person clicks on
 * the site.
 *
 * Kept small on purpose: a sampled reader takes part whether or not it clicked (a zero gradient
 * then), as the participation rules require. Each reader has one
 * hidden favourite category; a slate is the reader's top-6 ads (plus one random ad), and the
 * reader clicks an ad of its favourite category with probability 0.35, any other with 0.03.
 * After each round the population's precision@6 (share of its top-6 slots in its favourite
 * category) and click-through rate go to the dashboard's quality curve.
 */
import { createSeededRandomSource, uniform53 } from '@privads/dp';
import {
  DEFAULT_TEMPERATURE,
  decodeProjectorFile,
  referenceRoundGradient,
  userGradientStep,
} from '@privads/model';
import { privatizeRoundUpdate } from '@privads/model/round-upload';
import { fetchTransport, takePartInSecureRound } from '@privads/model/secure-upload';
import {
  adListChecksum,
  contentRows,
  decodeCatalogBundle,
  dequantizeRowsInt8,
  parseRoundConfig,
} from '@privads/protocol';

const SLATE = 6;
const CLICK_FAVOURITE = 0.35;
const CLICK_OTHER = 0.03;
const SLATES_PER_ROUND = 3;
const CONCURRENT_UPLOADS = 8;
/** How often a reader in a distributed round asks for the round's phase, ms. */
const SECURE_POLL_MS = 500;
/**
 * Simulated readers online in one distributed round (each then applies the round's own sampling
 * probability): one process quantizes and masks for all of them within a phase of a few seconds.
 */
const SECURE_READERS_PER_ROUND = 16;

function normalise(v) {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  return v.map((x) => x / n);
}

const dot = (a, ai, b, bi, dim) => {
  let s = 0;
  for (let k = 0; k < dim; k++) s += a[ai + k] * b[bi + k];
  return s;
};

function rows(matrix, indices, dim) {
  const out = new Float32Array(indices.length * dim);
  indices.forEach((row, i) => out.set(matrix.subarray(row * dim, (row + 1) * dim), i * dim));
  return out;
}

/** What the readers need of the latest catalog and projector. */
async function loadModelState(server) {
  const [catalogResponse, projectorResponse] = await Promise.all([
    fetch(`${server}/v1/catalog/latest`),
    fetch(`${server}/v1/projector/latest`),
  ]);
  if (!catalogResponse.ok || !projectorResponse.ok) {
    throw new Error(`catalog ${catalogResponse.status}, projector ${projectorResponse.status}`);
  }
  const bundle = decodeCatalogBundle(new Uint8Array(await catalogResponse.arrayBuffer()));
  const projector = decodeProjectorFile(new Uint8Array(await projectorResponse.arrayBuffer()));
  const { header } = bundle;
  const projected =
    bundle.projected.encoding === 'int8'
      ? dequantizeRowsInt8(bundle.projected, header.userDim)
      : bundle.projected.values;
  return {
    catalogVersion: header.catalogVersion,
    projectorVersion: header.projectorVersion,
    userDim: header.userDim,
    contentDim: header.contentDim,
    projected,
    // Exact rows, or codes a large catalog ships (reconstructed per slate, as the browser does).
    content: bundle.content,
    categories: bundle.ads.map((ad) => ad.category),
    // What a round's counts query names: the readers count only against the same ad list.
    adsChecksum: adListChecksum(bundle.ads.map((ad) => ad.id)),
    projector,
  };
}

/**
 * Starts the population.
 * @param {{ server: string, token: string, count: number, seed?: number, log?: (line: string) => void }} options
 * @returns {{ stop: () => Promise<void>, stats: () => { rounds: number, uploads: number, rejected: number } }}
 */
export function startSimulatedReaders({ server, token, count, seed = 7, log = () => {} }) {
  // Seeded: the population is the same on every start.
  const source = createSeededRandomSource(seed);
  const random = () => uniform53(source);
  let state;
  let readers = [];
  let lastRound = -1;
  let stopped = false;
  // Stops the readers still in a distributed round (their driver polls until the round ends).
  const stopping = new AbortController();
  const stats = { rounds: 0, uploads: 0, rejected: 0 };

  function createReaders() {
    const categories = [...new Set(state.categories)].sort();
    readers = Array.from({ length: count }, (_, i) => {
      const favourite = categories[i % categories.length];
      // Cold start like the browser: the catalog's prior (mean projected direction) plus a little
      // of whatever the reader happened to read first.
      const u = new Float32Array(state.userDim);
      for (let r = 0; r < state.categories.length; r++) {
        const w = state.categories[r] === favourite && random() < 0.2 ? 1.5 : 1;
        for (let k = 0; k < state.userDim; k++) u[k] += w * state.projected[r * state.userDim + k];
      }
      return { favourite, u: normalise(u) };
    });
  }

  function topSlate(reader) {
    const n = state.categories.length;
    const scores = new Float64Array(n);
    for (let r = 0; r < n; r++)
      scores[r] = dot(reader.u, 0, state.projected, r * state.userDim, state.userDim);
    const order = [...scores.keys()].sort((a, b) => scores[b] - scores[a]);
    const slate = order.slice(0, SLATE - 1);
    // One exploration slot, as the site's ranking policy explores a little.
    slate.push(order[SLATE - 1 + Math.floor(random() * (n - SLATE + 1))]);
    return slate;
  }

  /** One round of browsing: clicks update u on the "device"; the click events feed the gradient. */
  function browse(reader) {
    const events = [];
    let impressions = 0;
    // Per-ad tallies, as the browser keeps them: sent (bounded, noised) only if the round asks.
    const counts = {
      impressions: new Uint32Array(state.categories.length),
      clicks: new Uint32Array(state.categories.length),
    };
    for (let s = 0; s < SLATES_PER_ROUND; s++) {
      const slate = topSlate(reader);
      impressions += slate.length;
      for (const row of slate) counts.impressions[row]++;
      const clicked = slate.findIndex(
        (row) =>
          random() < (state.categories[row] === reader.favourite ? CLICK_FAVOURITE : CLICK_OTHER),
      );
      if (clicked < 0) continue;
      counts.clicks[slate[clicked]]++;
      const slateProjected = rows(state.projected, slate, state.userDim);
      events.push({
        user: reader.u,
        slateContent: contentRows(state.content, state.contentDim, slate),
        clickedIndex: clicked,
      });
      reader.u = userGradientStep(reader.u, slateProjected, clicked);
    }
    return { events, impressions, counts };
  }

  /** The counts option of an upload: the reader's tallies when the round counts this ad list. */
  function countsFor(config, counts) {
    const query = config.counts;
    if (query === undefined || query.adsChecksum !== state.adsChecksum) return {};
    return { counts };
  }

  /** Σ ∇θ L over the round's click events, u frozen (all zeros without clicks). */
  function roundGradient(events) {
    const { spec, parameters } = state.projector;
    return Float32Array.from(referenceRoundGradient(spec, parameters, events, DEFAULT_TEMPERATURE));
  }

  function update(config, { events, counts }) {
    const encoding = config.acceptedEncodings.includes('f16') ? 'f16' : config.acceptedEncodings[0];
    return privatizeRoundUpdate(config, roundGradient(events), {
      encoding,
      ...countsFor(config, counts),
    }).body;
  }

  /** A distributed round: every sampled reader through the shared driver, all at once. */
  async function takePartSecurely(config, sampled) {
    const transport = fetchTransport(server);
    const outcomes = await Promise.all(
      sampled.map(({ events, counts }) =>
        takePartInSecureRound(config, roundGradient(events), transport, {
          pollMs: SECURE_POLL_MS,
          signal: stopping.signal,
          ...countsFor(config, counts),
        }).catch((error) => ({
          status: 'failed',
          reason: `${error.message}${error.cause?.cause ? ` (${error.cause.cause.code ?? error.cause.cause.message})` : ''}`,
        })),
      ),
    );
    const count = (status) => outcomes.filter((o) => o.status === status).length;
    stats.uploads += count('revealed');
    stats.rejected += outcomes.length - count('revealed');
    const failed = outcomes.find((o) => o.status === 'failed');
    if (failed && !stopped)
      log(`round ${config.roundId}: a simulated reader failed: ${failed.reason}`);
    return `${count('revealed')} of ${sampled.length} simulated readers through secure aggregation`;
  }

  async function upload(config, body) {
    const response = await fetch(`${server}/v1/rounds/${config.roundId}/updates`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body,
    });
    await response.arrayBuffer();
    if (response.ok) stats.uploads++;
    else stats.rejected++;
  }

  function precisionAt6() {
    let hits = 0;
    for (const reader of readers) {
      hits += topSlate(reader)
        .slice(0, SLATE - 1)
        .filter((row) => state.categories[row] === reader.favourite).length;
    }
    return hits / (readers.length * (SLATE - 1));
  }

  async function postQuality(round, points) {
    await fetch(`${server}/v1/admin/quality`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(points.map(([metric, value]) => ({ round, metric, value }))),
    }).then((r) => r.arrayBuffer());
  }

  /** A central or local round: one upload per sampled reader, spread over the round's first half. */
  async function uploadAll(config, sampled) {
    const bodies = sampled.map((round) => update(config, round));
    // Spread the uploads over the round's first half, a few at a time, like real devices.
    const spreadMs = Math.max(0, (Date.parse(config.deadline) - Date.now()) / 2);
    const pause = bodies.length > 0 ? spreadMs / Math.ceil(bodies.length / CONCURRENT_UPLOADS) : 0;
    for (let i = 0; i < bodies.length && !stopped; i += CONCURRENT_UPLOADS) {
      await Promise.all(
        bodies
          .slice(i, i + CONCURRENT_UPLOADS)
          .map((body) => upload(config, body).catch(() => stats.rejected++)),
      );
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, 2000)));
    }
    return `${bodies.length} simulated uploads`;
  }

  async function playRound(config) {
    if (state === undefined || state.projectorVersion !== config.projectorVersion) {
      state = await loadModelState(server);
      if (readers.length === 0) createReaders();
    }
    if (state.projectorVersion !== config.projectorVersion) return;
    let clicks = 0;
    let impressions = 0;
    const sampled = [];
    const secure = config.privacy.mode === 'distributed';
    const online = secure ? Math.min(1, SECURE_READERS_PER_ROUND / readers.length) : 1;
    for (const reader of readers) {
      const round = browse(reader);
      clicks += round.events.length;
      impressions += round.impressions;
      if (random() >= online || random() >= config.participation.samplingProbability) continue;
      sampled.push(round);
    }
    const done = secure
      ? await takePartSecurely(config, sampled)
      : await uploadAll(config, sampled);
    await postQuality(config.roundId, [
      ['precision@6', precisionAt6()],
      ['ctr', impressions === 0 ? 0 : clicks / impressions],
    ]).catch(() => undefined);
    stats.rounds++;
    log(`round ${config.roundId}: ${done} (projector v${config.projectorVersion})`);
  }

  const loop = (async () => {
    while (!stopped) {
      try {
        const response = await fetch(`${server}/v1/round`, { cache: 'no-store' });
        if (response.ok) {
          const config = parseRoundConfig(await response.json());
          if (config.roundId !== lastRound) {
            lastRound = config.roundId;
            await playRound(config);
          }
        } else {
          await response.arrayBuffer();
        }
      } catch (error) {
        if (!stopped)
          log(`simulated readers: ${error instanceof Error ? error.message : String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();

  return {
    stats: () => ({ ...stats }),
    stop: async () => {
      stopped = true;
      stopping.abort();
      await loop;
    },
  };
}
