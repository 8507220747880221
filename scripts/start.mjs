#!/usr/bin/env node
/* global fetch, setTimeout */
/**
 * `npm start`: the whole PrivAds demo from one command.
 *
 * 1. builds what is needed (`tsc -b`, the operator dashboard, the site's publisher-side assets,
 *    the site itself, pointed at the server);
 * 2. starts the aggregation server with its embedded store in the data directory, importing the
 *    demo catalog (`examples/news-site/content/ads.jsonl`) with `privads-server catalog import`
 *    when the store has none;
 * 3. starts the simulated readers (scripts/demo-readers.mjs) so rounds close while you click;
 * 4. serves the site, prints the URLs and the operator token, and stops everything on Ctrl-C.
 *
 * Options: --simulated-users N (default 300, 0 disables) --site-port P (5173) --server-port P (8787)
 *          --data DIR (.privads-demo) --round-seconds S (30) --fresh (wipe the data dir first)
 *          --privacy distributed|central (distributed: secure aggregation, needs rounds of ≥ 20 s
 *          for its phases; central: the server adds the noise, for very short rounds as in tests)
 *          --no-build (skip `tsc -b` and the dashboard build, e.g. after `npm run build`; the site
 *          is always rebuilt, since its build carries the server's URL)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../', import.meta.url));
const { values } = parseArgs({
  options: {
    'simulated-users': { type: 'string', default: '300' },
    'site-port': { type: 'string', default: '5173' },
    'server-port': { type: 'string', default: '8787' },
    data: { type: 'string', default: '.privads-demo' },
    'round-seconds': { type: 'string', default: '30' },
    privacy: { type: 'string', default: 'distributed' },
    fresh: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});

const integerOption = (name, min) => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`--${name} must be an integer >= ${min}, got ${values[name]}`);
  return value;
};
const simulatedUsers = integerOption('simulated-users', 0);
const sitePort = integerOption('site-port', 1);
const serverPort = integerOption('server-port', 1);
const roundSeconds = integerOption('round-seconds', 5);
const privacyMode = values.privacy;
if (privacyMode !== 'distributed' && privacyMode !== 'central')
  throw new RangeError(`--privacy must be distributed or central, got ${privacyMode}`);
if (privacyMode === 'distributed' && roundSeconds < 20)
  throw new RangeError(
    `--round-seconds must be >= 20 with --privacy distributed (four phases), got ${roundSeconds}`,
  );
const dataDir = resolve(root, values.data);
const server = `http://127.0.0.1:${serverPort}`;
const site = `http://127.0.0.1:${sitePort}`;
const node = process.execPath;
const vite = resolve(root, 'node_modules/vite/bin/vite.js');
const serverCli = resolve(root, 'packages/server/dist/cli.js');
const catalogFile = resolve(root, 'examples/news-site/content/ads.jsonl');

const say = (line) => console.log(`[privads] ${line}`);
const children = new Set();

/** Runs a command to completion, output passed through; rejects on a non-zero exit. */
function run(args, env = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(node, args, {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`${args.join(' ')} exited with ${code ?? signal}`)),
    );
  });
}

/** Starts a long-running child whose output is prefixed; it is stopped on exit. */
function daemon(name, args, env = {}) {
  const child = spawn(node, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.add(child);
  const prefix = (stream) =>
    stream.on('data', (chunk) => {
      for (const line of String(chunk).split('\n'))
        if (line.trim() !== '') process.stdout.write(`[${name}] ${line}\n`);
    });
  prefix(child.stdout);
  prefix(child.stderr);
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (!shuttingDown) {
      console.error(`[privads] ${name} exited (${code ?? signal}); stopping`);
      void shutdown(1);
    }
  });
  return child;
}

async function waitFor(url, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status < 500) return response.status;
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The operator token: PRIVADS_OPERATOR_TOKEN, else one generated once and kept in the data dir. */
async function operatorToken() {
  if (process.env.PRIVADS_OPERATOR_TOKEN) return process.env.PRIVADS_OPERATOR_TOKEN;
  const file = resolve(dataDir, 'operator-token');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const token = randomBytes(24).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/**
 * Demo round settings. `distributed` (the default): secure aggregation, so the server only ever
 * sees the noised sum of at least k_min = 6 readers' updates; about 16 simulated readers are online
 * per round (scripts/demo-readers.mjs) and every visitor may join (sampling probability 1); a
 * degree-8 masking graph with threshold 5 (each reader tolerates 3 neighbours dropping). z = 2 is
 * the noise of the sum of k_min noise shares: ε ≈ 2.4 per release at δ = 10⁻⁶, per reader,
 * without amplification (more readers in a sum only add noise). `central`: the server adds
 * N(0, (zC)²) to the sum of clipped updates, z = 2 (the same ε per release), every reader uploads.
 * Both: per-ad counts released with the gradient (the counts add normShare² = 1/4 to the
 * gradient's ρ: ε ≈ 2.7 per release), a cautious server step, and rate limits loose enough for
 * hundreds of simulated readers on one address.
 */
const demoConfig = () => {
  const kMin = Math.max(1, Math.min(20, Math.floor(simulatedUsers / 10)));
  const privacy =
    privacyMode === 'distributed'
      ? {
          mode: 'distributed',
          noiseMultiplier: 2,
          delta: 1e-6,
          bits: 20,
          degree: 8,
          threshold: 5,
          maxCohort: 32,
          // The three phases after the keys phase take at most 3 × 7 s of the round.
          phaseSeconds: Math.min(7, Math.floor(roundSeconds / 4)),
        }
      : { mode: 'central', noiseMultiplier: 2, delta: 1e-6 };
  return {
    round: {
      durationSeconds: roundSeconds,
      kMin: privacyMode === 'distributed' ? 6 : kMin,
      ...(privacyMode === 'distributed' ? { denominator: 16 } : {}),
      clipNorm: 1,
      privacy,
      participation: { maxParticipationsPerDevice: 1000, minRoundGap: 1, samplingProbability: 1 },
      // Per-ad counts for the dashboard's chart and the catalog's popularity prior: a reader adds
      // at most 30 impressions and 3 clicks per round; they take 1/5 of each release's ρ.
      counts: { maxImpressions: 30, maxClicks: 3, normShare: 0.5 },
    },
    // A small server step: with demo-sized cohorts the noise (σ ≥ zC on the sum) is large next to
    // the signal, and a full step would scramble the projector every round.
    optimizer: { kind: 'fedavg', learningRate: 0.1, momentum: 0 },
    http: {
      rateLimit: {
        uploads: { ratePerSecond: 5000, burst: 5000 },
        reads: { ratePerSecond: 5000, burst: 5000 },
      },
    },
  };
};

let shuttingDown = false;
let readers;
async function shutdown(code = 0) {
  if (shuttingDown) return;
  shuttingDown = true;
  say('stopping…');
  await readers?.stop().catch(() => undefined);
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise((r) => {
          child.once('exit', r);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 5000).unref();
        }),
    ),
  );
  say('stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

async function main() {
  const started = Date.now();
  if (values.fresh) await rm(dataDir, { recursive: true, force: true });
  const freshStore = !existsSync(dataDir);
  await mkdir(dataDir, { recursive: true });
  const token = await operatorToken();
  const configFile = resolve(dataDir, 'demo-config.json');
  await writeFile(configFile, JSON.stringify(demoConfig(), null, 2));

  if (!values['no-build']) {
    say('building packages (tsc -b)…');
    await run([resolve(root, 'node_modules/typescript/bin/tsc'), '-b']);
    say('building the operator dashboard…');
    await run([vite, 'build', '--config', 'packages/server/dashboard/vite.config.ts']);
  }
  say('preparing the site (encoder and wasm assets, ad copy) and building it…');
  await run(['examples/news-site/scripts/prepare-assets.mjs']);
  await run([vite, 'build', '--config', 'examples/news-site/vite.config.ts'], {
    VITE_PRIVADS_SERVER: server,
  });

  const serverEnv = { PRIVADS_OPERATOR_TOKEN: token };
  if (freshStore) {
    say(`importing the demo catalog into ${dataDir}…`);
    await run(
      [serverCli, 'catalog', 'import', catalogFile, '--data', dataDir, '--config', configFile],
      serverEnv,
    );
  }
  daemon(
    'server',
    [serverCli, 'start', '--port', String(serverPort), '--data', dataDir, '--config', configFile],
    serverEnv,
  );
  await waitFor(`${server}/healthz`);
  if (!freshStore && (await waitFor(`${server}/v1/catalog/latest`)) === 404) {
    say('the store has no catalog: importing the demo catalog…');
    const response = await fetch(`${server}/v1/admin/catalog`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-ndjson' },
      body: await readFile(catalogFile),
    });
    if (!response.ok)
      throw new Error(`catalog import: HTTP ${response.status} ${await response.text()}`);
  }

  if (simulatedUsers > 0) {
    const { startSimulatedReaders } = await import('./demo-readers.mjs');
    readers = startSimulatedReaders({
      server,
      token,
      count: simulatedUsers,
      log: (line) => say(line),
    });
  }

  daemon(
    'site',
    [
      vite,
      'preview',
      '--config',
      'examples/news-site/vite.config.ts',
      '--port',
      String(sitePort),
      '--strictPort',
    ],
    {
      PRIVADS_DEMO_PORT: String(sitePort),
    },
  );
  await waitFor(`${site}/`);

  console.log(`
  PrivAds demo is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)

    News site         ${site}/
    Operator dashboard ${server}/dashboard/
    Operator token    ${token}
    Server API        ${server}/openapi.json
    Data directory    ${dataDir}
    Simulated readers ${simulatedUsers}${simulatedUsers === 0 ? ' (disabled)' : ''}, rounds every ${roundSeconds} s (${privacyMode} privacy)

  Press Ctrl-C to stop.
`);
}

main().catch((error) => {
  console.error(`[privads] ${error instanceof Error ? error.message : String(error)}`);
  void shutdown(1);
});
