import type { AdInfo, WhyThisAd } from '../types.js';

/**
 * The "why this ad" line shown to the reader. Short, plain, and true to what happened: it never
 * names another ad or anything the reader did beyond a category of interest.
 * @param code - why the ad was chosen
 * @param ad - the ad (its category is named for profile matches)
 * @returns code and sentence
 */
export function explain(code: WhyThisAd['code'], ad: AdInfo): WhyThisAd {
  switch (code) {
    case 'profile':
      return { code, text: `Matches your interest in ${ad.category}` };
    case 'context':
      return { code, text: 'Related to what you are reading' };
    case 'prior':
      return { code, text: 'Popular with readers of this site' };
    case 'exploration':
      return { code, text: 'Something new, to learn what you like' };
    case 'fallback':
      return { code, text: 'Shown to every reader (not personalised)' };
  }
}
