// Benchmark (not a test): texts per second of the default content encoder for catalog encoding in
// Node (onnxruntime-node, as `privads-encode` runs it) and for page encoding in a browser module
// worker (onnxruntime-web wasm in headless Chromium, through the e2e harness page
// test/pages/encoder). Every figure comes with its ratio against onnxruntime-node measured in the
// same run on the same texts. Prints JSON.
//
//   npx tsc -b packages/encoder && node packages/encoder/bench/encoder.bench.mjs \
//     [--catalog 2000] [--pages 64] [--repeat 3] [--port 5185] [--no-browser]
/* global window -- inside page.evaluate / waitForFunction callbacks, which run in the page */
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  defaultEncoderSpec,
  encodeInBatches,
  hashedNgramFeatures,
  parseEncoderSpec,
} from '@privads/encoder';
import { createNodeEncoder } from '@privads/encoder-node';
import { createWebEncoder } from '@privads/encoder/web';

const { values } = parseArgs({
  options: {
    catalog: { type: 'string', default: '2000' },
    pages: { type: 'string', default: '64' },
    repeat: { type: 'string', default: '3' },
    port: { type: 'string', default: process.env['PRIVADS_HARNESS_PORT'] ?? '5185' },
    'no-browser': { type: 'boolean', default: false },
  },
});
const CATALOG = Number(values.catalog);
const PAGES = Number(values.pages);
const REPEAT = Number(values.repeat);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

// Seeded synthetic texts (no data files): ad titles + descriptions of ~100–200 characters, and
// article-length pages of ~2,500 characters (under the 8,192-character truncation limit).
const WORDS = (
  'cheap running shoes marathon training organic vegetables delivered weekly flights munich ' +
  'hotel beach family holiday laptop battery phone camera garden furniture coffee machine ' +
  'insurance quote mortgage rates electric car charging solar panels yoga classes online ' +
  'course language learning pizza delivery wine tasting concert tickets football jersey ' +
  'günstige flüge café crème niños mañana 東京 天気 서울 비빔밥 привет скидки'
).split(' ');

function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeTexts(count, words, seed) {
  const next = prng(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: words }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' '),
  );
}

const catalogTexts = makeTexts(CATALOG, 22, 1);
const pageTexts = makeTexts(PAGES, 380, 2);

function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Best of REPEAT runs (after one warm-up) of `fn`, as texts/s. */
async function textsPerSecond(count, fn) {
  await fn();
  let best = Infinity;
  for (let i = 0; i < REPEAT; i++) {
    const start = performance.now();
    await fn();
    best = Math.min(best, performance.now() - start);
  }
  return { textsPerSecond: round((count * 1000) / best), bestMs: round(best, 2) };
}

async function nodeRunner(label, create) {
  const encoder = await create();
  try {
    return {
      [label]: {
        catalog: await textsPerSecond(CATALOG, () =>
          encodeInBatches(encoder, catalogTexts, { batchSize: 64 }),
        ),
        pages: await textsPerSecond(PAGES, () =>
          encodeInBatches(encoder, pageTexts, { batchSize: 64 }),
        ),
      },
    };
  } finally {
    await encoder.dispose();
  }
}

const spec = parseEncoderSpec(defaultEncoderSpec, 'defaultEncoderSpec').tokenizer;
const modelBytes = await readFile(
  fileURLToPath(new URL('../../encoder/models/default/model.onnx', import.meta.url)),
);
const node = {
  ...(await nodeRunner('onnxruntime-node', () => createNodeEncoder())),
  ...(await nodeRunner('onnxruntime-node-1-thread', () =>
    createNodeEncoder({ intraOpNumThreads: 1 }),
  )),
  ...(await nodeRunner('onnxruntime-web-wasm-in-node', () =>
    createWebEncoder({
      wasmPaths: `${repoRoot}node_modules/onnxruntime-web/dist/`,
      modelBytes,
    }),
  )),
  // Tokenization alone (the shared hashed-ngrams code): how much of the time is not the model.
  'tokenizer-only': {
    catalog: await textsPerSecond(CATALOG, () =>
      catalogTexts.forEach((t) => hashedNgramFeatures(t, spec)),
    ),
    pages: await textsPerSecond(PAGES, () =>
      pageTexts.forEach((t) => hashedNgramFeatures(t, spec)),
    ),
  },
};

/** Runs the harness page's worker in headless Chromium; returns texts/s measured in the worker. */
async function browserRun() {
  const [{ createServer }, { chromium }] = await Promise.all([
    import('vite'),
    import('@playwright/test'),
  ]);
  const server = await createServer({
    configFile: `${repoRoot}vite.config.ts`,
    server: { port: Number(values.port), strictPort: true },
    logLevel: 'error',
  });
  await server.listen();
  // Same launch as test/support/chromium.ts (Debian's Chromium; Playwright cannot download one).
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const page = await browser.newPage();
    const run = async (request) => {
      // A cold Vite cache optimises onnxruntime-web on first sight and reloads the page once.
      for (let attempt = 1; ; attempt++) {
        try {
          await page.goto(`http://127.0.0.1:${values.port}/encoder/index.html`);
          await page.waitForFunction(() => window.encoderHarness !== undefined);
          const r = await page.evaluate((q) => window.encoderHarness(q), request);
          if (!r.ok) throw new Error(JSON.stringify(r.error));
          return r;
        } catch (error) {
          const reloaded = /Execution context was destroyed|interrupted by another navigation/;
          if (attempt >= 3 || !reloaded.test(String(error))) throw error;
        }
      }
    };
    const rate = (count, r) => ({
      textsPerSecond: round((count * 1000) / r.bestMs),
      bestMs: round(r.bestMs, 2),
    });
    const base = { encoder: 'default', omitVectors: true, repeat: REPEAT + 1 };
    const catalog = await run({ ...base, texts: catalogTexts });
    const pages = await run({ ...base, texts: pageTexts });
    const single = await run({ ...base, texts: pageTexts.slice(0, 1), repeat: 20 });
    return {
      'onnxruntime-web-wasm-worker': {
        createEncoderMs: round(catalog.loadMs),
        catalog: rate(CATALOG, catalog),
        pages: rate(PAGES, pages),
        onePageMs: round(single.bestMs, 2),
      },
      chromium: browser.version(),
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

const browser = values['no-browser'] ? { skipped: '--no-browser' } : await browserRun();

const baseline = node['onnxruntime-node'];
const ratios = {};
for (const [name, r] of Object.entries({ ...node, ...browser })) {
  if (typeof r !== 'object' || r.catalog === undefined) continue;
  ratios[name] = {
    catalog: round(r.catalog.textsPerSecond / baseline.catalog.textsPerSecond, 3),
    pages: round(r.pages.textsPerSecond / baseline.pages.textsPerSecond, 3),
  };
}

console.log(
  JSON.stringify(
    {
      benchmark: '@privads/encoder texts/s (default hashed-ngrams encoder)',
      node: process.version,
      cpus: cpus().length,
      texts: {
        catalog: { count: CATALOG, meanChars: round(mean(catalogTexts)) },
        pages: { count: PAGES, meanChars: round(mean(pageTexts)) },
      },
      repeat: REPEAT,
      results: { ...node, ...browser },
      ratioVsOnnxruntimeNode: ratios,
    },
    null,
    2,
  ),
);

function mean(texts) {
  return texts.reduce((s, t) => s + t.length, 0) / texts.length;
}
