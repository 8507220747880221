#!/usr/bin/env node
/**
 * `privads-assets DIR [--no-encoder]`: copies the files the PrivAds worker loads besides its own
 * scripts into DIR, in the layout `createPrivAds({ assets: { baseUrl } })` expects when `baseUrl`
 * is where DIR is served:
 *   tfjs-backend-wasm*.wasm        tfjs' WebAssembly backend (on-device learning)
 *   ort-wasm-simd-threaded.wasm    onnxruntime-web (the content encoder for page text)
 *   encoder/encoder.json, encoder/model.onnx   the default content encoder
 * Every file is resolved from the installed packages (never downloaded). One step for every
 * bundler: docs/api.md, "Bundling and serving the assets".
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = `Usage: privads-assets DIR [--no-encoder]

Copies the WebAssembly and content-encoder files of @privads/client into DIR (created if absent).
Serve DIR from your site and pass its URL as createPrivAds({ assets: { baseUrl } }).

Options:
  --no-encoder   skip onnxruntime-web and the encoder model (pages that never pass text)
  -h, --help     this text`;

const here = createRequire(import.meta.url);
const fromModel = createRequire(here.resolve('@privads/model/package.json'));
const fromEncoder = createRequire(here.resolve('@privads/encoder/package.json'));
const TFJS_WASM = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

/** @type {{ from: string, to: string, encoder: boolean }[]} */
const FILES = [
  ...TFJS_WASM.map((file) => ({
    from: fromModel.resolve(`@tensorflow/tfjs-backend-wasm/dist/${file}`),
    to: file,
    encoder: false,
  })),
  {
    from: fromEncoder.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'),
    to: 'ort-wasm-simd-threaded.wasm',
    encoder: true,
  },
  ...['encoder.json', 'model.onnx'].map((file) => ({
    from: fromEncoder.resolve(`@privads/encoder/models/default/${file}`),
    to: `encoder/${file}`,
    encoder: true,
  })),
];

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: { 'no-encoder': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
} catch (error) {
  process.stderr.write(
    `privads-assets: ${error instanceof Error ? error.message : error}\n${USAGE}\n`,
  );
  process.exit(2);
}
if (args.values.help) {
  process.stdout.write(`${USAGE}\n`);
} else if (args.positionals.length !== 1) {
  process.stderr.write(`privads-assets: expected one DIR\n${USAGE}\n`);
  process.exitCode = 2;
} else {
  const out = resolve(args.positionals[0]);
  const files = FILES.filter((f) => !(args.values['no-encoder'] && f.encoder));
  for (const { from, to } of files) {
    await mkdir(dirname(join(out, to)), { recursive: true });
    await copyFile(from, join(out, to));
  }
  process.stdout.write(`privads-assets: ${files.map((f) => f.to).join(', ')} copied to ${out}\n`);
}
