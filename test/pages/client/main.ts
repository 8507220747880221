import { createPrivAds, type PrivAdsEventType, type PrivAdsOptions } from '@privads/client';
import './harness.js';

const params = new URLSearchParams(location.search);
window.privadsEvents = [];
window.pageErrors = [];
addEventListener('error', (event) => window.pageErrors.push(String(event.message)));
addEventListener('unhandledrejection', (event) => window.pageErrors.push(String(event.reason)));

const options: PrivAdsOptions = {
  server: params.get('server') ?? 'http://127.0.0.1:1',
  ...(params.has('site') ? { site: params.get('site') as string } : {}),
  ...(params.has('engine') ? { engine: params.get('engine') as PrivAdsOptions['engine'] } : {}),
  ...(params.has('storage') ? { storage: params.get('storage') as PrivAdsOptions['storage'] } : {}),
  ...(params.has('floor') ? { privacy: JSON.parse(params.get('floor') as string) } : {}),
  ...(params.has('policy') ? { policy: JSON.parse(params.get('policy') as string) } : {}),
  ...(params.has('workerUrl') ? { workerUrl: params.get('workerUrl') as string } : {}),
  debug: params.get('debug') === '1',
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
