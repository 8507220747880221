#!/usr/bin/env node
/**
 * `npm run bench -w @privads/server` (build first: `npx tsc -b packages/server`).
 *
 * Upload ingest of the aggregation server on loopback, against a bare HTTP sink that only receives
 * the same bytes (same load generator, same concurrency):
 *
 * - `masked` — the upload of the default privacy mode (`distributed`): 65,536 words (the 49,280
 *   parameters padded), 262 KB. The server runs a real distributed round; `synthetic-cohort.mjs`
 *   brings it to its input phase with BENCH_DEVICES simulated devices through the real
 *   secure-aggregation endpoints, then each device posts one masked input. What is measured: the
 *   whole upload path of the input phase (HTTP, routing, rate limit, body cap, decoding and
 *   word-range check, the coordinator's admission, the durable write-ahead log, the exact sum).
 *   Not measured: the devices' cryptography and the round's unmasking (benchmarked in
 *   `@privads/client` and `@privads/secagg`).
 * - `f16`, `int8` — float uploads of the `central` mode (extra rows).
 *
 * The sink and the servers (this build, and BENCH_BASELINE_CLI when given) are measured in turn,
 * BENCH_REPS times (sink, server, baseline, then the reverse order, and so on), each phase posting
 * the same number of uploads; every repetition gives one ratio against the sink phase next to it,
 * and the script prints their median and range. Before the repetitions each target takes untimed
 * uploads (a tenth of the masked round's devices; BENCH_UPLOADS of a float format) to warm up.
 * On a shared machine the load of other processes
 * moves from second to second: interleaved short phases see the same load, one long phase each
 * does not. Each phase also prints the CPU time per upload of the target and of the load
 * generator, and how busy the machine was (`loopback-load.mjs`).
 *
 * Then the heap growth of one open distributed round across its input phase at several cohort
 * sizes, in process (`server.fetch`), with the rate of that in-process path.
 *
 * Options (env): BENCH_REPS (repetitions, default 5), BENCH_CONCURRENCY (default 16),
 * BENCH_DEVICES (devices of each masked round, default 4000; each phase posts
 * ⌊(0.9 · BENCH_DEVICES − 1) / BENCH_REPS⌋ uploads), BENCH_UPLOADS (uploads per phase of the float
 * formats, default 800), BENCH_FORMATS (default `masked,f16,int8`), BENCH_MEMORY (`0` skips the
 * in-process memory rows), BENCH_PROFILE=<dir> (the server process writes a V8 CPU profile there;
 * read it with `node bench/profile-summary.mjs <file>`), BENCH_BASELINE_CLI=<path to another
 * build's dist/cli.js> (measured in the same repetitions: before/after ratios from one run).
 */
/* global Request, fetch -- Node 20 globals (Fetch API) */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  decodeMaskedUpdate,
  decodeUpdate,
  encodeUpdate,
  generateNonce,
  parseRoundConfig,
} from '@privads/protocol';
import { createPrivAdsServer } from '@privads/server';

import { jsonClient } from './json-client.mjs';
import { bodySource, postUploads } from './loopback-load.mjs';
import { admitSyntheticCohort, maskedBodies } from './synthetic-cohort.mjs';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const FLOAT_UPLOADS = Number(process.env.BENCH_UPLOADS ?? 800);
const MEMORY = process.env.BENCH_MEMORY !== '0';
/** Share of a masked round's devices that warm its server up, untimed. */
const WARMUP_SHARE = 0.1;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const DEVICES = Number(process.env.BENCH_DEVICES ?? 4000);
const FORMATS = (process.env.BENCH_FORMATS ?? 'masked,f16,int8').split(',');
const PROFILE = process.env.BENCH_PROFILE;
const BASELINE_CLI = process.env.BENCH_BASELINE_CLI;
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const PARAMS = 384 * 128 + 128;
const FAST = { ratePerSecond: 1e9, burst: 1e9 };
const HTTP = { rateLimit: { uploads: FAST, reads: FAST } };
const CENTRAL_CONFIG = {
  round: {
    kMin: 2,
    durationSeconds: 86_400,
    privacy: { mode: 'central', noiseMultiplier: 1, delta: 1e-6 },
  },
  http: HTTP,
};
/** The default distributed mode, with a cohort as large as the benchmark's and slow deadlines. */
const distributedConfig = (devices) => ({
  round: {
    kMin: 100,
    durationSeconds: 86_400,
    privacy: {
      mode: 'distributed',
      noiseMultiplier: 4,
      delta: 1e-6,
      maxCohort: devices,
      phaseSeconds: 20_000,
    },
  },
  http: HTTP,
});

function vector() {
  const v = new Float32Array(PARAMS);
  let s = 0;
  for (let i = 0; i < PARAMS; i++) s += (v[i] = Math.sin(i * 0.37)) ** 2;
  const k = 0.9 / Math.sqrt(s);
  for (let i = 0; i < PARAMS; i++) v[i] *= k;
  return v;
}

/** Float bodies of a central round, each with a fresh nonce. */
function floatBodies(round, encoding) {
  const nonce = generateNonce();
  const template = encodeUpdate(
    { roundId: round.roundId, projectorVersion: round.projectorVersion, vector: vector() },
    { encoding, nonce },
  );
  return bodySource(template, nonce, generateNonce);
}

function startChild(args) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
}

/** Stops a child and waits for it (a profiled child writes its profile on SIGINT's exit). */
function stopChild(child) {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', resolve);
    child.kill('SIGINT');
  });
}

const SINK = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  let n = 0;
  req.on('data', (c) => { n += c.length; });
  req.on('end', () => { res.writeHead(202, { 'Content-Type': 'application/json' }); res.end('{"accepted":true}'); });
});
s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));`;

/** A privads-server process on a fresh store, with `config`. */
async function startServer(cli, config) {
  const dir = await mkdtemp(join(tmpdir(), 'privads-bench-'));
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  const profile = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', PROFILE] : [];
  const server = await startChild([
    ...profile,
    cli,
    'start',
    '--port',
    '0',
    '--data',
    join(dir, 'store'),
    '--config',
    join(dir, 'config.json'),
  ]);
  const round = parseRoundConfig(await (await fetch(`${server.url}/v1/round`)).json());
  return {
    ...server,
    round,
    async stop() {
      await stopChild(server.child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Uploads per second of decoding and checking `body` in this process (no HTTP, no store). */
function decodeOnly(body, decode, iterations = 2000) {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) decode(body);
  return iterations / ((performance.now() - t0) / 1000);
}

const fmt = (x, d = 0) => x.toFixed(d);

/** A server of `cli` ready to take `format` uploads, with the source of its bodies. */
async function readyServer(cli, format) {
  if (format === 'masked') {
    const server = await startServer(cli, distributedConfig(DEVICES));
    const setup = performance.now();
    const tickets = await admitSyntheticCohort(
      jsonClient((path, init) => fetch(new URL(path, server.url), init)),
      server.round,
    );
    console.log(
      `  (${cli === CLI ? 'this build' : 'baseline'}: ${DEVICES} simulated devices in the input phase after ${fmt((performance.now() - setup) / 1000, 1)} s of keys/roster/shares requests)`,
    );
    return { server, source: maskedBodies(server.round, tickets) };
  }
  const server = await startServer(cli, CENTRAL_CONFIG);
  return { server, source: floatBodies(server.round, format) };
}

function decoderOf(format, round) {
  if (format !== 'masked') return (body) => decodeUpdate(body, { expectedLength: PARAMS });
  const { bits, paddedDimension } = round.privacy;
  return (body) => decodeMaskedUpdate(body, { expectedLength: paddedDimension, bits });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `median [min–max]` of a list of ratios. */
function spread(values, d = 3) {
  return `${fmt(median(values), d)} [${fmt(Math.min(...values), d)}–${fmt(Math.max(...values), d)}]`;
}

function phaseLine(label, r) {
  return `    ${label.padEnd(9)} ${fmt(r.perSecond).padStart(5)} /s  p50 ${fmt(r.p50, 1).padStart(6)} ms  p99 ${fmt(r.p99, 1).padStart(6)} ms  CPU/upload: target ${fmt(r.targetCpuMs, 2)} ms (kernel ${fmt(r.targetSystemMs, 2)}), generator ${fmt(r.generatorCpuMs, 2)} ms  main thread ${fmt(r.mainThreadBusy * 100)}%, machine ${fmt(r.machineBusy * 100)}% busy  ${JSON.stringify(r.statuses)}`;
}

/**
 * One format over HTTP: the sink and each server in turn, BENCH_REPS times, printed.
 * @returns the ratios of each repetition, per target
 */
async function httpRow(sink, format) {
  const targets = [{ label: 'server', cli: CLI }];
  if (BASELINE_CLI) targets.push({ label: 'baseline', cli: BASELINE_CLI });
  console.log(`\n${format}:`);
  // Side by side, so that both sit through the same set-up: set up one after the other (the
  // first one idle while the next was set up), one of two servers of the same build used 1.5-2x
  // the CPU per upload of the other in most timed phases.
  const ready = await Promise.all(targets.map((target) => readyServer(target.cli, format)));
  targets.forEach((target, i) => Object.assign(target, ready[i]));
  const { server, source } = targets[0];
  const template = source.template;
  const warmup = format === 'masked' ? Math.floor(DEVICES * WARMUP_SHARE) : FLOAT_UPLOADS;
  const uploads = format === 'masked' ? Math.floor((DEVICES - 1 - warmup) / REPS) : FLOAT_UPLOADS;
  console.log(
    `  ${template.length} bytes per upload, ${warmup} uploads per target to warm up, then ${uploads} per phase, ${CONCURRENCY} connections`,
  );
  console.log(
    `  decode + validate only (this process)  ${fmt(decodeOnly(template, decoderOf(format, server.round)))} /s`,
  );
  const sinkSource = bodySource(template, source.nextId(), generateNonce);
  const phases = [
    { label: 'sink', url: new URL('/sink', sink.url), source: sinkSource, pid: sink.child.pid },
  ];
  for (const t of targets) {
    phases.push({
      label: t.label,
      url: new URL(`/v1/rounds/${t.server.round.roundId}/updates`, t.server.url),
      source: t.source,
      pid: t.server.child.pid,
    });
  }
  // Not timed: each target's first uploads. After the keys and shares phases V8 is still sizing a
  // heap that now holds the cohort's state, and one early phase could pay for a run of full
  // collections the later ones never see.
  for (const phase of phases) {
    await postUploads({ ...phase, uploads: warmup, connections: CONCURRENCY });
  }
  const reps = [];
  for (let rep = 0; rep < REPS; rep++) {
    const order = rep % 2 === 0 ? phases : [...phases].reverse();
    const results = {};
    for (const phase of order) {
      results[phase.label] = await postUploads({ ...phase, uploads, connections: CONCURRENCY });
    }
    console.log(`  repetition ${rep + 1} (${order.map((p) => p.label).join(', ')}):`);
    for (const phase of phases) console.log(phaseLine(phase.label, results[phase.label]));
    reps.push(results);
  }
  for (const t of targets) await t.server.stop();
  const ratios = Object.fromEntries(
    targets.map((t) => [t.label, reps.map((r) => r[t.label].perSecond / r.sink.perSecond)]),
  );
  for (const t of targets) {
    const cpu = reps.map((r) => r[t.label].targetCpuMs);
    console.log(
      `  ${(t.label + ' / bare sink').padEnd(22)} ${spread(ratios[t.label])}  (median [range] of ${REPS}; CPU per upload ${spread(cpu, 2)} ms)`,
    );
  }
  if (BASELINE_CLI) {
    const speedup = reps.map((r) => r.server.perSecond / r.baseline.perSecond);
    console.log(`  ${'server / baseline'.padEnd(22)} ${spread(speedup)}`);
  }
  console.log(
    `  sink: ${spread(
      reps.map((r) => r.sink.perSecond),
      0,
    )} /s, CPU per upload ${spread(
      reps.map((r) => r.sink.targetCpuMs),
      2,
    )} ms; generator CPU per upload ${spread(
      reps.map((r) => r.sink.generatorCpuMs),
      2,
    )} ms (sink phases), ${spread(
      reps.map((r) => r.server.generatorCpuMs),
      2,
    )} ms (server phases)`,
  );
  return { format, ratios };
}

/** Collects garbage until the freed array buffers are gone too (they go a turn after their views). */
async function settle() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Heap growth of one open distributed round across its input phase, and the in-process upload
 * rate of that phase.
 */
async function maskedRoundInProcess(devices) {
  const dir = await mkdtemp(join(tmpdir(), 'privads-bench-'));
  const server = await createPrivAdsServer({
    store: { kind: 'embedded', dataDir: dir },
    config: distributedConfig(devices),
  });
  const send = (path, init) => server.fetch(new Request(new URL(path, 'http://x'), init));
  const post = jsonClient(send);
  const round = parseRoundConfig(await post('/v1/round'));
  const tickets = await admitSyntheticCohort(post, round);
  const { template, at, nextId } = maskedBodies(round, tickets);
  // In process, the request body is the caller's buffer: one copy per upload, as on the wire.
  const nextBody = () => {
    const id = nextId();
    if (id === undefined) return undefined;
    const body = Buffer.from(template);
    body.write(id, at, 'ascii');
    return body;
  };
  const path = `/v1/rounds/${round.roundId}/updates`;
  await settle();
  const usage0 = process.memoryUsage();
  const t0 = performance.now();
  let accepted = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let body; (body = nextBody()) !== undefined;) {
        const r = await send(path, { method: 'POST', body });
        if (r.status === 202) accepted++;
        else throw new Error(`upload: HTTP ${r.status} ${await r.text()}`);
      }
    }),
  );
  const perSecond = accepted / ((performance.now() - t0) / 1000);
  await settle();
  const usage1 = process.memoryUsage();
  const count = (await server.store.roundTotals(round.roundId)).count;
  await server.close();
  await rm(dir, { recursive: true, force: true });
  const grown = (k) => usage1[k] - usage0[k];
  return {
    cohort: count,
    perSecond,
    heapDeltaMiB: (grown('heapUsed') + grown('arrayBuffers')) / 2 ** 20,
  };
}

console.log(
  `PrivAds server benchmark: ${PARAMS} parameters, ${CONCURRENCY} connections, ${REPS} repetitions, Node ${process.version}`,
);
const sink = await startChild(['-e', SINK]);
const rows = [];
for (const format of FORMATS) rows.push(await httpRow(sink, format));
sink.child.kill();
console.log('\nratios to the bare sink, median [range] of the repetitions:');
for (const { format, ratios } of rows) {
  console.log(
    `  ${format.padEnd(7)} ${Object.entries(ratios)
      .map(([label, values]) => `${label} ${spread(values)}`)
      .join(', ')}`,
  );
}

if (MEMORY && FORMATS.includes('masked')) {
  // The first round pays one-time costs (module state, code caches): measured and dropped.
  const memory = [];
  for (const devices of [250, 250, 1000, 4000]) memory.push(await maskedRoundInProcess(devices));
  console.log(
    '\nheap growth of one open distributed round across its input phase (in-process server.fetch; run with --expose-gc for stable numbers)',
  );
  for (const row of memory.slice(1))
    console.log(
      `  cohort ${String(row.cohort).padStart(5)}: ${fmt(row.heapDeltaMiB, 2)} MiB (${fmt((row.heapDeltaMiB * 2 ** 20) / row.cohort, 0)} B/upload), ${fmt(row.perSecond)} uploads/s`,
    );
}
