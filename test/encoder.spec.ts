import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { createNodeEncoder } from '../packages/encoder-node/src/index.js';
import type { HarnessRequest, HarnessResponse } from './pages/encoder/protocol.js';

const parityTexts = JSON.parse(
  readFileSync(
    new URL('../packages/encoder/test/fixtures/parity-texts.json', import.meta.url),
    'utf8',
  ),
) as string[];
// Same construction as packages/encoder/test/helpers.ts: longer than the 8192-character limit.
const longText = Array.from({ length: 1500 }, (_, i) => `word${i % 97} ünï`).join(' ');
const tinySpecPath = new URL(
  '../packages/encoder/test/fixtures/tiny-wordpiece/encoder.json',
  import.meta.url,
).pathname;

const VITE_RELOAD = /Execution context was destroyed|interrupted by another navigation/;

async function harness(page: Page, request: Omit<HarnessRequest, 'id'>): Promise<HarnessResponse> {
  // On a cold Vite cache the dev server discovers onnxruntime-web in the worker, optimises it and
  // reloads the page once; a run interrupted by that reload (during navigation or during the
  // evaluation) is retried on the reloaded page.
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto('/encoder/index.html');
      await page.waitForFunction(() => window.encoderHarness !== undefined);
      return await page.evaluate((r) => window.encoderHarness!(r), request);
    } catch (error) {
      if (attempt >= 3 || !VITE_RELOAD.test(String(error))) throw error;
    }
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

for (const [name, specPath] of [
  ['default', undefined],
  ['tiny-wordpiece', tinySpecPath],
] as const) {
  test(`${name}: the browser worker (onnxruntime-web) and Node (onnxruntime-node) agree within 1e-5 (no WebGPU needed)`, async ({
    page,
  }) => {
    const texts = [...parityTexts, longText];
    const browser = await harness(page, { encoder: name, texts });
    expect(browser.ok, JSON.stringify(browser)).toBe(true);
    if (!browser.ok) return;
    const node = await createNodeEncoder(specPath === undefined ? {} : { specPath });
    try {
      const expected = await node.encodeDetailed(texts);
      expect([browser.encoderId, browser.dim]).toEqual([node.id, node.dim]);
      // Only the over-long last text is cut (at 8192 code points), on both sides.
      expect(expected.truncated).toEqual([texts.length - 1]);
      expect(browser.truncated).toEqual(expected.truncated);
      const diff = maxAbsDiff(browser.vectors, expected.vectors);
      test
        .info()
        .annotations.push({ type: 'max |node − browser|', description: diff.toExponential(2) });
      expect(diff).toBeLessThan(1e-5);
    } finally {
      await node.dispose();
    }
  });
}

test('a wasmPaths prefix (both .wasm and .mjs from the same origin) works too', async ({
  page,
}) => {
  const r = await harness(page, { encoder: 'default-prefix', texts: ['hello world'] });
  expect(r.ok, JSON.stringify(r)).toBe(true);
});

test('bad texts are rejected in the worker with typed errors', async ({ page }) => {
  for (const [texts, problem] of [
    [['ok', ''], /^index 1: text is empty/],
    [['ok', ' \n\t '], /^index 1: text is empty/],
    [['x\uD800y'], /^index 0: lone UTF-16 surrogate U\+D800/],
    [['ok', 42], /^index 1: expected a string, got number/],
    [['?!…'], /^index 0: text has no letters, digits or symbols/],
  ] as const) {
    const r = await harness(page, { encoder: 'default', texts });
    expect(r.ok).toBe(false);
    if (r.ok) continue;
    expect(r.error).toMatchObject({ name: 'EncoderInputError', code: 'ENCODER_INPUT_INVALID' });
    expect(r.error.message).toMatch(problem);
  }
});

test('missing, corrupt and mismatched model files are typed errors naming the file', async ({
  page,
}) => {
  const cases: [HarnessRequest['encoder'], string, RegExp][] = [
    [
      'missing-model',
      'ENCODER_MODEL_MISSING',
      /no-such-model\.onnx: (answered HTTP 404|answered with an HTML page)/,
    ],
    ['html-model', 'ENCODER_MODEL_MISSING', /index\.html: answered with an HTML page/],
    [
      'corrupt-model',
      'ENCODER_MODEL_INVALID',
      /^modelBytes option: could not be loaded by onnxruntime-web/,
    ],
    [
      'wrong-dim',
      'ENCODER_MODEL_INVALID',
      /model\.onnx: output "embedding" has shape \[batch, 384\]; expected output "embedding" \(float32 \[batch, 128\]/,
    ],
    [
      'wrong-input',
      'ENCODER_MODEL_INVALID',
      /model\.onnx: has no input "token_ids" \(model inputs: "ids", "weights"\)/,
    ],
  ];
  for (const [encoder, code, message] of cases) {
    const r = await harness(page, { encoder, texts: ['hello'] });
    expect(r.ok, encoder).toBe(false);
    if (r.ok) continue;
    expect(r.error.code, encoder).toBe(code);
    expect(r.error.message, encoder).toMatch(message);
    expect(r.error.file, encoder).toBeTruthy();
  }
});
