import { createPrivAds, type PrivAdsEventType, type PrivAdsOptions } from '@privads/client';
import './harness.js';

const params = new URLSearchParams(location.search);
window.privadsEvents = [];
window.pageErrors = [];
addEventListener('error', (event) => window.pageErrors.push(String(event.message)));
addEventListener('unhandledrejection', (event) => window.pageErrors.push(String(event.reason)));

/**
 * The content encoder as a publisher serves it (same origin): `encoder=repo` points at the
 * project's default model and onnxruntime-web's wasm in this repository; `encoder=broken` at a
 * spec that does not exist; `encoder=off` disables it; absent: the library's defaults.
 */
const ENCODER_ASSETS = {
  specUrl: new URL('../../../packages/encoder/models/default/encoder.json', import.meta.url).href,
  ortWasmPath: new URL(
    '../../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm',
    import.meta.url,
  ).href,
};
window.encoderAssets = ENCODER_ASSETS;
const encoderOptions = (): Pick<PrivAdsOptions, 'encoder' | 'assets'> => {
  switch (params.get('encoder')) {
    case 'repo':
      return {
        encoder: { specUrl: ENCODER_ASSETS.specUrl },
        assets: { ortWasmPath: ENCODER_ASSETS.ortWasmPath },
      };
    case 'broken':
      return { encoder: { specUrl: '/client/no-such-encoder/encoder.json' } };
    case 'off':
      return { encoder: false };
    default:
      return {};
  }
};

/** `tfjsWasm=repo`: tfjs' wasm backend binaries from this repository's node_modules (a directory). */
const tfjsWasmFile = new URL(
  '../../../node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
  import.meta.url,
).href;
const tfjsWasmPath =
  params.get('tfjsWasm') === 'repo'
    ? tfjsWasmFile.slice(0, tfjsWasmFile.lastIndexOf('/') + 1)
    : undefined;
const { encoder, assets } = encoderOptions();

const options: PrivAdsOptions = {
  ...(encoder === undefined ? {} : { encoder }),
  assets: { ...assets, ...(tfjsWasmPath === undefined ? {} : { tfjsWasmPath }) },
  server: params.get('server') ?? 'http://127.0.0.1:1',
  ...(params.has('site') ? { site: params.get('site') as string } : {}),
  ...(params.has('engine') ? { engine: params.get('engine') as PrivAdsOptions['engine'] } : {}),
  ...(params.has('storage') ? { storage: params.get('storage') as PrivAdsOptions['storage'] } : {}),
  ...(params.has('pqIndex') ? { pqIndex: params.get('pqIndex') as PrivAdsOptions['pqIndex'] } : {}),
  ...(params.has('floor') ? { privacy: JSON.parse(params.get('floor') as string) } : {}),
  ...(params.has('policy') ? { policy: JSON.parse(params.get('policy') as string) } : {}),
  ...(params.has('workerUrl') ? { workerUrl: params.get('workerUrl') as string } : {}),
  debug: params.get('debug') === '1',
  // Off unless asked for: most specs decide when the round is joined by calling flush() themselves.
  rounds: { autoJoin: params.get('autoJoin') === '1', checkIntervalMs: 1000 },
  fallbackAds: [
    {
      id: 'house-1',
      title: 'Subscribe',
      url: 'https://news.example/subscribe',
      advertiser: 'house',
      category: 'house',
    },
  ],
};

/** Creates the instance under test and records its events (at load, or when a spec calls it with `manual=1`). */
window.startPrivAds = () => {
  const privads = createPrivAds(options);
  for (const type of [
    'ready',
    'error',
    'fallback',
    'upload',
    'profile',
    'debug',
  ] as PrivAdsEventType[]) {
    privads.on(type, (detail) => window.privadsEvents.push({ type, detail }));
  }
  window.privads = privads;
};
if (params.get('manual') !== '1') window.startPrivAds();
