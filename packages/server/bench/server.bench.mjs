#!/usr/bin/env node
/**
 * `npm run bench -w @privads/server` (build first: `npx tsc -b packages/server`).
 *
 * Upload ingest of the aggregation server on loopback, against a bare HTTP sink that only receives
 * the same bytes (same client, same concurrency, measured in the same run):
 *
 * - `masked` — the upload of the default privacy mode (`distributed`): 65,536 words (the 49,280
 *   parameters padded), 262 KB. The server runs a real distributed round; `synthetic-cohort.mjs`
 *   brings it to its input phase with BENCH_DEVICES simulated devices through the real
 *   secure-aggregation endpoints, then each device posts one masked input (the phase is timed until
 *   SECONDS pass or every device has posted). What is measured: the whole upload path of the input
 *   phase (HTTP, routing, rate limit, body cap, decoding and word-range check, the coordinator's
 *   admission, the durable write-ahead log, the exact sum). Not measured: the devices' cryptography
 *   and the round's unmasking (benchmarked in `@privads/client` and `@privads/secagg`).
 * - `f16`, `int8` — float uploads of the `central` mode (extra rows).
 *
 * Then the heap growth of one open distributed round across its input phase at several cohort
 * sizes, in process (`server.fetch`), with the rate of that in-process path.
 *
 * Options (env): BENCH_SECONDS (per phase, default 4), BENCH_CONCURRENCY (default 16),
 * BENCH_DEVICES (devices of the masked round, default 4000), BENCH_FORMATS (default
 * `masked,f16,int8`), BENCH_PROFILE=<dir> (the server process writes a V8 CPU profile there; read it
 * with `node bench/profile-summary.mjs <file>`), BENCH_BASELINE_CLI=<path to another build's
 * dist/cli.js> (measured too, after the same sink: before/after ratios from one run).
 */
/* global Request, fetch -- Node 20 globals (Fetch API) */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
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
import { admitSyntheticCohort, maskedBodies } from './synthetic-cohort.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
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

/** One encoded float body and a function returning a copy with a fresh nonce (same length). */
function floatBodies(round, encoding) {
  const nonce = generateNonce();
  const template = encodeUpdate(
    { roundId: round.roundId, projectorVersion: round.projectorVersion, vector: vector() },
    { encoding, nonce },
  );
  const at = Buffer.from(template).indexOf(Buffer.from(nonce, 'ascii'));
  return () => {
    const copy = new Uint8Array(template);
    copy.set(Buffer.from(generateNonce(), 'ascii'), at);
    return copy;
  };
}

/** Endless bodies of the same size as `next`'s (for the sink and decode-only baselines). */
function cycling(next, n = 64) {
  const bodies = Array.from({ length: n }, next);
  let i = 0;
  return () => new Uint8Array(bodies[i++ % n]);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks at 100 Hz
}

/** Loopback load: CONCURRENCY keep-alive connections posting for SECONDS or until `nextBody` runs dry. */
async function load(url, path, nextBody, pid) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const target = new URL(path, url);
  const latencies = [];
  const statuses = new Map();
  const stopAt = performance.now() + SECONDS * 1000;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const post = (body) =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream' },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - started);
            statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let body; performance.now() < stopAt && (body = nextBody()) !== undefined;)
        await post(body);
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const ok = statuses.get(202) ?? 0;
  return {
    perSecond: ok / wall,
    cpuMsPerUpload: (1000 * cpu) / Math.max(1, ok),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    cpu: cpu / wall,
    statuses: Object.fromEntries(statuses),
  };
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

function decodeOnly(nextBody, decode) {
  const bodies = Array.from({ length: 64 }, nextBody);
  let n = 0;
  const stopAt = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  while (performance.now() < stopAt) decode(bodies[n++ % bodies.length]);
  return n / ((performance.now() - t0) / 1000);
}

const fmt = (x, d = 0) => x.toFixed(d);

/** A server of `cli` ready to take `format` uploads: `next()` gives a body until they run out. */
async function readyServer(cli, format) {
  if (format === 'masked') {
    const server = await startServer(cli, distributedConfig(DEVICES));
    const setup = performance.now();
    const tickets = await admitSyntheticCohort(
      jsonClient((path, init) => fetch(new URL(path, server.url), init)),
      server.round,
    );
    console.log(
      `  (${DEVICES} simulated devices in the input phase after ${fmt((performance.now() - setup) / 1000, 1)} s of keys/roster/shares requests)`,
    );
    return { server, next: maskedBodies(server.round, tickets) };
  }
  const server = await startServer(cli, CENTRAL_CONFIG);
  return { server, next: floatBodies(server.round, format) };
}

function decoderOf(format, round) {
  if (format !== 'masked') return (body) => decodeUpdate(body, { expectedLength: PARAMS });
  const { bits, paddedDimension } = round.privacy;
  return (body) => decodeMaskedUpdate(body, { expectedLength: paddedDimension, bits });
}

async function serverLoad(cli, format) {
  const { server, next } = await readyServer(cli, format);
  const path = `/v1/rounds/${server.round.roundId}/updates`;
  const result = await load(server.url, path, next, server.child.pid);
  await server.stop();
  return result;
}

function printLoad(label, r) {
  console.log(
    `  ${label.padEnd(30)} ${fmt(r.perSecond)} /s  p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms  CPU ${fmt(r.cpu * 100)}% (${fmt(r.cpuMsPerUpload, 2)} ms/upload)  statuses ${JSON.stringify(r.statuses)}`,
  );
}

/** One format over HTTP: decode-only, bare sink, privads-server (and the baseline build), printed. */
async function httpRow(sink, format) {
  console.log(`\n${format}:`);
  const { server, next } = await readyServer(CLI, format);
  const sample = cycling(next);
  const bytes = sample().length;
  const decodePerSecond = decodeOnly(sample, decoderOf(format, server.round));
  const bare = await load(sink.url, '/sink', sample, sink.child.pid);
  const real = await load(
    server.url,
    `/v1/rounds/${server.round.roundId}/updates`,
    next,
    server.child.pid,
  );
  await server.stop();
  const baseline = BASELINE_CLI ? await serverLoad(BASELINE_CLI, format) : undefined;
  const ratio = real.perSecond / bare.perSecond;
  console.log(`  ${bytes} bytes per upload`);
  console.log(`  decode + validate only (this process)  ${fmt(decodePerSecond)} /s`);
  printLoad('bare HTTP sink (loopback)', bare);
  printLoad('privads-server (loopback)', real);
  if (baseline) printLoad('baseline build (loopback)', baseline);
  console.log(`  ratio server / bare sink       ${fmt(ratio, 3)}`);
  if (baseline)
    console.log(`  ratio baseline / bare sink     ${fmt(baseline.perSecond / bare.perSecond, 3)}`);
  console.log(`  ratio server / decode only     ${fmt(real.perSecond / decodePerSecond, 3)}`);
  console.log(
    `  CPU per upload, sink / server  ${fmt(bare.cpuMsPerUpload / real.cpuMsPerUpload, 3)}`,
  );
  return { format, ratio, baseline: baseline && baseline.perSecond / bare.perSecond };
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
  const nextBody = maskedBodies(round, tickets);
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
  `PrivAds server benchmark: ${PARAMS} parameters, ${CONCURRENCY} connections, ${SECONDS} s per phase, Node ${process.version}`,
);
const sink = await startChild(['-e', SINK]);
const ratios = [];
for (const format of FORMATS) ratios.push(await httpRow(sink, format));
sink.child.kill();
console.log(
  `\nratios server / bare sink: ${ratios
    .map(
      (r) =>
        `${r.format} ${fmt(r.ratio, 3)}${r.baseline ? ` (baseline ${fmt(r.baseline, 3)})` : ''}`,
    )
    .join(', ')}`,
);

if (FORMATS.includes('masked')) {
  // The first round pays one-time costs (module state, code caches): measured and dropped.
  const rows = [];
  for (const devices of [250, 250, 1000, 4000]) rows.push(await maskedRoundInProcess(devices));
  console.log(
    '\nheap growth of one open distributed round across its input phase (in-process server.fetch; run with --expose-gc for stable numbers)',
  );
  for (const row of rows.slice(1))
    console.log(
      `  cohort ${String(row.cohort).padStart(5)}: ${fmt(row.heapDeltaMiB, 2)} MiB (${fmt((row.heapDeltaMiB * 2 ** 20) / row.cohort, 0)} B/upload), ${fmt(row.perSecond)} uploads/s`,
    );
}
