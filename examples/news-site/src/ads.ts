/**
 * Ad slots: every slot on a page is filled from one `rank()` slate (a slate is what was shown
 * together, which is what click learning compares against), then the impression is recorded.
 */
import type { PrivAds, RankContext, RankedAd, RankResult } from '@privads/client';
import { h } from './dom.js';
import { titleCase } from './content.js';

/**
 * An empty slot container.
 * @param name - slot name (`sidebar`, `in-feed`, `in-article`)
 * @param count - ads it holds
 */
export function adSlot(name: string, count: number): HTMLElement {
  return h('section', {
    class: `ad-slot ${name}`,
    'data-testid': 'ad-slot',
    'data-slot': name,
    'data-count': count,
    'aria-label': 'Sponsored',
  });
}

let adCopy: Promise<Record<string, string>> | undefined;

/** Ad body texts from the publisher's own inventory (`public/ad-copy.json`), loaded once. */
function loadAdCopy(): Promise<Record<string, string>> {
  adCopy ??= fetch(new URL('ad-copy.json', document.baseURI))
    .then((response) => (response.ok ? (response.json() as Promise<Record<string, string>>) : {}))
    .catch(() => ({}));
  return adCopy;
}

/** What the page does when the reader acts on an ad. */
export interface AdHandlers {
  readonly click: (ad: RankedAd) => void;
  readonly hide: (ad: RankedAd) => void;
}

const landingDomain = (url: string): string => (URL.canParse(url) ? new URL(url).hostname : url);

function adCard(ad: RankedAd, copy: string | undefined, handlers: AdHandlers): HTMLElement {
  const title = h(
    'a',
    { class: 'ad-title', href: `#/landing/${encodeURIComponent(ad.id)}`, rel: 'sponsored' },
    ad.title,
  );
  title.addEventListener('click', (event) => {
    event.preventDefault();
    handlers.click(ad);
  });
  const hide = h(
    'button',
    { class: 'ad-hide', type: 'button', title: 'Show fewer ads like this' },
    'Not interested',
  );
  hide.addEventListener('click', () => handlers.hide(ad));
  return h(
    'div',
    {
      class: `ad cat-${ad.category}`,
      'data-ad-id': ad.id,
      'data-category': ad.category,
      'data-why': ad.why.code,
    },
    h('span', { class: 'ad-advertiser' }, `${ad.advertiser} · ${titleCase(ad.category)}`),
    title,
    copy ? h('p', { class: 'ad-text' }, copy) : null,
    h('span', { class: 'ad-domain' }, landingDomain(ad.url)),
    h(
      'div',
      { class: 'ad-actions' },
      h(
        'p',
        { class: 'ad-why', title: 'Why this ad? Decided in your browser.' },
        `Why this ad: ${ad.why.text}`,
      ),
      hide,
    ),
  );
}

/**
 * Fills the slots in order from one ranked slate.
 * @param slots - slot containers; each takes `data-count` ads
 * @param result - `rank()` result for the sum of their counts
 * @param handlers - click and hide actions
 */
export async function fillSlots(
  slots: readonly HTMLElement[],
  result: RankResult,
  handlers: AdHandlers,
): Promise<void> {
  const copy = await loadAdCopy();
  let next = 0;
  for (const slot of slots) {
    const count = Number(slot.dataset['count'] ?? 1);
    const ads = result.ads.slice(next, next + count);
    next += count;
    slot.dataset['source'] = result.source;
    slot.replaceChildren(...ads.map((ad) => adCard(ad, copy[ad.id], handlers)));
    if (ads.length === 0)
      slot.append(h('p', { class: 'ad-empty' }, 'No ad to show here right now.'));
  }
}

/**
 * Ranks for every slot of the page, renders, and records the impression.
 * @param privads - the page's client
 * @param slots - slot containers
 * @param context - what the page is about (its text), if anything
 * @param handlers - click and hide actions
 * @returns the shown slate
 */
export async function rankInto(
  privads: PrivAds,
  slots: readonly HTMLElement[],
  context: RankContext | undefined,
  handlers: AdHandlers,
): Promise<RankResult> {
  const total = slots.reduce((sum, slot) => sum + Number(slot.dataset['count'] ?? 1), 0);
  const result = await privads.rank(context ? { slots: total, context } : { slots: total });
  await fillSlots(slots, result, handlers);
  void privads.recordImpression(result);
  return result;
}
