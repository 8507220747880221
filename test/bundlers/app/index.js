/* global window, location, performance, URLSearchParams */
// The publisher's page, the same with every bundler (docs/api.md, "Bundling and serving the
// assets"); the suite passes the server and, to test a missing asset, another asset folder.
import { createPrivAds } from '@privads/client';

const params = new URLSearchParams(location.search);
const privads = createPrivAds({
  server: params.get('server'),
  assets: { baseUrl: params.get('assets') ?? '/privads/' },
});
window.privads = privads;
// performance.now() counts from the navigation: the time to the first ranked slate.
privads.rank({ slots: 3 }).then((result) => {
  window.firstRank = { ms: performance.now(), result };
});
