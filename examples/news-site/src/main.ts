/**
 * The Meridian Ledger: a hash-routed news site whose ad slots are ranked in the reader's browser by
 * `@privads/client`. Reading an article feeds `recordRead`, clicking an ad `recordClick`; the
 * client's worker joins training rounds by itself (whether or not the reader clicked), and the
 * privacy panel shows and controls all of it.
 */
import { createPrivAds, type PrivAds, type RankContext, type RankedAd } from '@privads/client';
import { adSlot, rankInto, type AdHandlers } from './ads.js';
import { articles, articleText, findArticle, titleCase } from './content.js';
import { h } from './dom.js';
import { PrivacyPanel } from './privacy-panel.js';
import { demoOptions, startPrivAds } from './privads.js';
import { articleView, homeView, renderNavigation, sectionView } from './views.js';

const main = document.querySelector<HTMLElement>('#content') as HTMLElement;
const nav = document.querySelector<HTMLElement>('nav.sections') as HTMLElement;
const sidebar = document.querySelector<HTMLElement>('.rail [data-testid="ad-slot"]') as HTMLElement;
const panelRoot = document.querySelector<HTMLElement>('#privacy-panel') as HTMLElement;

let privads: PrivAds = startPrivAds();
let storage: 'indexeddb' | 'memory' = 'indexeddb';
/**
 * A second client on the same profile, without frequency caps, diversity or exploration, for the
 * panel's "what this device knows": the nearest ads, not the ones the page would show. Started
 * only when the panel first opens.
 */
let viewer: PrivAds | undefined;
const profileViewer = (): PrivAds =>
  (viewer ??= createPrivAds({
    ...demoOptions(),
    storage,
    policy: { frequencyCap: false, diversity: false, exploration: { kind: 'none' } },
  }));
/** Every ad shown in this visit, for the landing page. */
const shown = new Map<string, RankedAd>();
/** The article being read and since when: a read is recorded when the reader leaves it. */
let reading: { slug: string; since: number } | undefined;

const panel = new PrivacyPanel(panelRoot, privads, {
  reset: async () => {
    await privads.forget();
    await render();
  },
  nearest: (slots) => profileViewer().rank({ slots }),
  remove: async () => {
    // forget({ everything: true }) deletes the IndexedDB database itself, participation stub included.
    await privads.forget({ everything: true });
    await Promise.all([privads.close(), viewer?.close()]);
    viewer = undefined;
    // The rest of this visit keeps working, in memory only: nothing is stored or sent.
    storage = 'memory';
    privads = createPrivAds({ ...demoOptions(), storage });
    wireEvents(privads);
    panel.attach(
      privads,
      'Everything PrivAds stored on this device for this site was deleted, database included — also the record of which training rounds it joined and the privacy they cost, so this device can take part again as if it were new. For the rest of this visit nothing is stored or sent.',
    );
    await render();
  },
});

const refreshPanel = (): void => {
  if (panel.open) void panel.refresh();
};

let flushTimer: ReturnType<typeof setTimeout> | undefined;
/**
 * Asks for the round status shown in the panel, on a fixed schedule, never after a click or a read:
 * when a device takes part must not depend on what its reader did. (The worker also checks by
 * itself, `rounds.autoJoin`; the client allows one upload per round either way.)
 */
function scheduleFlush(delayMs = 1500): void {
  clearTimeout(flushTimer);
  flushTimer = setTimeout(() => {
    void privads.flush().then((result) => {
      panel.lastFlush = result;
      refreshPanel();
    });
  }, delayMs);
}

function wireEvents(client: PrivAds): void {
  client.on('profile', refreshPanel);
  client.on('upload', refreshPanel);
  client.on('error', (detail) => console.warn(`PrivAds ${detail.operation}: ${detail.message}`));
}

const handlers: AdHandlers = {
  click: (ad) => {
    // Learn first (persisted before it resolves), then go to the advertiser's page.
    void privads.recordClick(ad.id).then(() => {
      location.hash = `#/landing/${encodeURIComponent(ad.id)}`;
    });
  },
  hide: (ad) => {
    void privads.recordHide(ad.id).then(render);
  },
};

/** Records the read of the article being left (the client ignores reads under 3 s). */
async function finishReading(): Promise<void> {
  const current = reading;
  reading = undefined;
  const article = current === undefined ? undefined : findArticle(current.slug);
  if (current === undefined || article === undefined) return;
  // The text itself: the client's worker encodes it (nothing is sent anywhere).
  await privads.recordRead(articleText(article), performance.now() - current.since);
}

function landingView(adId: string): HTMLElement {
  const ad = shown.get(adId);
  if (ad === undefined)
    return h(
      'div',
      {},
      h('h1', { class: 'section-title' }, 'Advertiser page'),
      h('p', {}, 'This ad is no longer on screen.'),
    );
  return h(
    'div',
    { class: 'landing', 'data-testid': 'landing' },
    h('p', { class: 'kicker' }, `Demo landing page · ${titleCase(ad.category)}`),
    h('h1', {}, ad.title),
    h(
      'p',
      { class: 'dek' },
      `You clicked an ad from ${ad.advertiser}. On a real site this would open ${ad.url}.`,
    ),
    h(
      'p',
      {},
      'Your browser learned from this click on the device; nothing about it was sent to anyone. Open “Your privacy” to see what changed.',
    ),
    h('p', {}, h('a', { href: '#/' }, '← Back to the front page')),
  );
}

let renderId = 0;
/** Renders the route in `location.hash` and fills its ad slots. */
async function render(): Promise<void> {
  const id = ++renderId;
  await finishReading();
  const [, kind, param = ''] = /^#\/(\w+)\/(.+)$/.exec(location.hash) ?? [];
  const slug = decodeURIComponent(param);
  const slots: HTMLElement[] = [sidebar];
  let view: HTMLElement;
  let context: RankContext | undefined;
  const article = kind === 'article' ? findArticle(slug) : undefined;
  if (article !== undefined) {
    const inArticle = adSlot('in-article', 2);
    slots.unshift(inArticle);
    view = articleView(article, inArticle);
    reading = { slug: article.slug, since: performance.now() };
    context = { text: articleText(article) };
    document.title = `${article.title} — The Meridian Ledger`;
  } else if (kind === 'landing') {
    view = landingView(slug);
  } else {
    const section = kind === 'section' ? slug : undefined;
    view = section === undefined ? homeView() : sectionView(section);
    const inFeed = adSlot('in-feed', 3);
    slots.unshift(inFeed);
    view.querySelector('.lead-story')?.after(inFeed);
    if (section !== undefined) {
      // A section front is about its articles: their titles and standfirsts.
      const fronts = articles.filter((a) => a.category === section);
      context = { text: fronts.map((a) => `${a.title}\n${a.dek}`).join('\n\n') };
    }
    document.title =
      section === undefined ? 'The Meridian Ledger' : `${titleCase(section)} — The Meridian Ledger`;
  }
  renderNavigation(nav, article?.category ?? (kind === 'section' ? slug : undefined));
  main.replaceChildren(view);
  window.scrollTo(0, 0);
  const result = await rankInto(privads, slots, context, handlers);
  if (id !== renderId) return;
  for (const ad of result.ads) shown.set(ad.id, ad);
  document.body.dataset['adsReady'] = String(id);
  refreshPanel();
}

document.querySelector('.privacy-toggle')?.addEventListener('click', () => panel.toggle());
window.addEventListener('hashchange', () => void render());
// Leaving the page is leaving the article too.
window.addEventListener('pagehide', () => void finishReading());
// Rounds close every few seconds on the demo server: the panel's round status is refreshed now and then.
setInterval(() => scheduleFlush(0), 30_000);
scheduleFlush();
wireEvents(privads);
void render();
