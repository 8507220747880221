#!/usr/bin/env node
/**
 * `npm run bench -w @privads/server` (build first: `npx tsc -b packages/server`).
 *
 * Sustained accepted uploads/s and p50/p99 latency on loopback for a 49,280-parameter update
 * (f16 and int8), with the CPU load of the server process, against two baselines measured in the
 * same run: a bare HTTP sink that only receives the same bytes (same client, same concurrency), and
 * the raw decode-only throughput of the same bodies. Then the in-process `server.fetch` path the
 * simulator uses, and the heap per round at several cohort sizes (the round keeps running sums, so
 * memory should not grow with the cohort beyond the nonce set).
 *
 * Options (env): BENCH_SECONDS (per phase, default 4), BENCH_CONCURRENCY (default 16).
 */
/* global Request, fetch -- Node 20 globals (Fetch API) */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { decodeUpdate, encodeUpdate, generateNonce } from '@privads/protocol';
import { createPrivAdsServer } from '@privads/server';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const PARAMS = 384 * 128 + 128;
const FAST = { ratePerSecond: 1e9, burst: 1e9 };
const CONFIG = {
  round: { kMin: 2, durationSeconds: 86_400 },
  http: { rateLimit: { uploads: FAST, reads: FAST } },
};

function vector() {
  const v = new Float32Array(PARAMS);
  let s = 0;
  for (let i = 0; i < PARAMS; i++) s += (v[i] = Math.sin(i * 0.37)) ** 2;
  const k = 0.9 / Math.sqrt(s);
  for (let i = 0; i < PARAMS; i++) v[i] *= k;
  return v;
}

/** One encoded body and a function returning a copy with a fresh nonce (same length). */
function bodyFactory(roundId, projectorVersion, encoding) {
  const nonce = generateNonce();
  const template = encodeUpdate(
    { roundId, projectorVersion, vector: vector() },
    { encoding, nonce },
  );
  const at = Buffer.from(template).indexOf(Buffer.from(nonce, 'ascii'));
  return () => {
    const copy = new Uint8Array(template);
    copy.set(Buffer.from(generateNonce(), 'ascii'), at);
    return copy;
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks at 100 Hz
}

/** Loopback load: CONCURRENCY keep-alive connections posting for SECONDS. */
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
      while (performance.now() < stopAt) await post(nextBody());
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const ok = statuses.get(202) ?? 0;
  return {
    perSecond: ok / wall,
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

const SINK = `
const http = require('node:http');
const s = http.createServer((req, res) => {
  let n = 0;
  req.on('data', (c) => { n += c.length; });
  req.on('end', () => { res.writeHead(202, { 'Content-Type': 'application/json' }); res.end('{"accepted":true}'); });
});
s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));`;

function decodeOnly(nextBody) {
  const bodies = Array.from({ length: 64 }, nextBody);
  let n = 0;
  const stopAt = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  while (performance.now() < stopAt)
    decodeUpdate(bodies[n++ % bodies.length], { expectedLength: PARAMS });
  return n / ((performance.now() - t0) / 1000);
}

async function inProcess(encoding) {
  const dir = await mkdtemp(join(tmpdir(), 'privads-bench-'));
  const server = await createPrivAdsServer({
    store: { kind: 'embedded', dataDir: dir },
    config: CONFIG,
  });
  const round = await (await server.fetch(new Request('http://x/v1/round'))).json();
  const nextBody = bodyFactory(round.roundId, round.projectorVersion, encoding);
  let ok = 0;
  const stopAt = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < stopAt) {
        const r = await server.fetch(
          new Request(`http://x/v1/rounds/${round.roundId}/updates`, {
            method: 'POST',
            body: nextBody(),
          }),
        );
        if (r.status === 202) ok++;
      }
    }),
  );
  const perSecond = ok / ((performance.now() - t0) / 1000);
  await server.close();
  await rm(dir, { recursive: true, force: true });
  return perSecond;
}

async function memoryPerRound(cohorts) {
  const rows = [];
  for (const n of cohorts) {
    const dir = await mkdtemp(join(tmpdir(), 'privads-bench-'));
    const server = await createPrivAdsServer({
      store: { kind: 'embedded', dataDir: dir },
      config: CONFIG,
    });
    const round = await (await server.fetch(new Request('http://x/v1/round'))).json();
    const nextBody = bodyFactory(round.roundId, round.projectorVersion, 'int8');
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    for (let i = 0; i < n; i += CONCURRENCY) {
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, n - i) }, () =>
          server.fetch(
            new Request(`http://x/v1/rounds/${round.roundId}/updates`, {
              method: 'POST',
              body: nextBody(),
            }),
          ),
        ),
      );
    }
    globalThis.gc?.();
    const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const count = (await server.store.roundTotals(round.roundId)).count;
    rows.push({ cohort: count, heapDeltaMiB: (after - before) / 2 ** 20 });
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

const fmt = (x, d = 0) => x.toFixed(d);

const sink = await startChild(['-e', SINK]);
const dir = await mkdtemp(join(tmpdir(), 'privads-bench-'));
await writeFile(join(dir, 'config.json'), JSON.stringify(CONFIG));
const privads = await startChild([
  CLI,
  'start',
  '--port',
  '0',
  '--data',
  join(dir, 'store'),
  '--config',
  join(dir, 'config.json'),
]);
const round = await (await fetch(`${privads.url}/v1/round`)).json();

console.log(
  `PrivAds server benchmark: ${PARAMS} parameters, ${CONCURRENCY} connections, ${SECONDS} s per phase, Node ${process.version}`,
);
for (const encoding of ['f16', 'int8']) {
  const nextBody = bodyFactory(round.roundId, round.projectorVersion, encoding);
  const bytes = nextBody().length;
  const decodePerSecond = decodeOnly(nextBody);
  const bare = await load(sink.url, '/sink', nextBody, sink.child.pid);
  const real = await load(
    privads.url,
    `/v1/rounds/${round.roundId}/updates`,
    nextBody,
    privads.child.pid,
  );
  const local = await inProcess(encoding);
  console.log(`\n${encoding}: ${bytes} bytes per upload`);
  console.log(`  decode only (this process)     ${fmt(decodePerSecond)} /s`);
  console.log(
    `  bare HTTP sink (loopback)      ${fmt(bare.perSecond)} /s  p50 ${fmt(bare.p50, 2)} ms  p99 ${fmt(bare.p99, 2)} ms  CPU ${fmt(bare.cpu * 100)}%`,
  );
  console.log(
    `  privads-server (loopback)      ${fmt(real.perSecond)} /s  p50 ${fmt(real.p50, 2)} ms  p99 ${fmt(real.p99, 2)} ms  CPU ${fmt(real.cpu * 100)}%  statuses ${JSON.stringify(real.statuses)}`,
  );
  console.log(`  in-process server.fetch        ${fmt(local)} /s`);
  console.log(`  ratio server / bare sink       ${fmt(real.perSecond / bare.perSecond, 3)}`);
  console.log(`  ratio server / decode only     ${fmt(real.perSecond / decodePerSecond, 3)}`);
}
sink.child.kill();
privads.child.kill();
await rm(dir, { recursive: true, force: true });

// The first round pays one-time costs (module state, code caches): measured and dropped.
const memory = (await memoryPerRound([250, 250, 1000, 4000])).slice(1);
console.log(
  '\nheap growth of one open round (int8 uploads, in-process; run with --expose-gc for stable numbers)',
);
for (const row of memory)
  console.log(
    `  cohort ${String(row.cohort).padStart(5)}: ${fmt(row.heapDeltaMiB, 2)} MiB (${fmt((row.heapDeltaMiB * 2 ** 20) / row.cohort, 0)} B/upload)`,
  );
