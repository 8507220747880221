import { createSeededRandom } from '../seeded-random.js';
import {
  checkUserIndex,
  splitTimeline,
  userSeed,
  type Population,
  type Slate,
  type UserTimeline,
} from '../population.js';
import { createSyntheticWorld, type SyntheticWorld, type SyntheticWorldOptions } from './world.js';

/** Options of {@link createSyntheticPopulation}: the world's, plus how sessions are logged. */
export interface SyntheticPopulationOptions extends SyntheticWorldOptions {
  /** Fewest sessions (slates) a user has. @defaultValue 12 */
  readonly minSessions?: number;
  /** Most sessions a user has (uniform between the two). @defaultValue 40 */
  readonly maxSessions?: number;
  /** Ads per slate, drawn uniformly without replacement (an exploration policy). @defaultValue 10 */
  readonly slateSize?: number;
  /** Share of a user's clicked sessions held out at the end of the timeline. @defaultValue 0.2 */
  readonly testFraction?: number;
}

/** A synthetic {@link Population} with its world (the ground truth) attached. */
export interface SyntheticPopulation extends Population {
  readonly world: SyntheticWorld;
}

/** Session clock: one session a day, so times read like real timestamps in reports. */
const DAY_MS = 86_400_000;
const EPOCH_MS = Date.UTC(2024, 0, 1);
const SESSION_SALT = 0x5e55;

/**
 * Synthetic users who see random slates and click by the world's position-biased click model,
 * their interests drifting over their sessions. Every timeline is generated from the seed and the
 * user index alone.
 * @param options - world and session settings
 * @returns the population
 * @throws RangeError for invalid counts or fractions
 */
export function createSyntheticPopulation(
  options: SyntheticPopulationOptions,
): SyntheticPopulation {
  const world = createSyntheticWorld(options);
  const minSessions = options.minSessions ?? 12;
  const maxSessions = options.maxSessions ?? 40;
  const slateSize = options.slateSize ?? 10;
  const testFraction = options.testFraction ?? 0.2;
  if (!Number.isInteger(minSessions) || minSessions < 1 || !(maxSessions >= minSessions)) {
    throw new RangeError(
      `sessions must satisfy 1 <= minSessions <= maxSessions, got ${minSessions}..${maxSessions}`,
    );
  }
  if (!Number.isInteger(slateSize) || slateSize < 2 || slateSize > world.ads.length) {
    throw new RangeError(
      `slateSize must be an integer in [2, ${world.ads.length}], got ${slateSize}`,
    );
  }
  if (!(testFraction >= 0 && testFraction < 1)) {
    throw new RangeError(`testFraction must be in [0, 1), got ${testFraction}`);
  }
  const adCount = world.ads.length;

  const timeline = (user: number): UserTimeline => {
    checkUserIndex(user, world.options.users);
    const person = world.user(user);
    const random = createSeededRandom(userSeed(world.options.seed, user, SESSION_SALT));
    const sessions = minSessions + random.nextInt(maxSessions - minSessions + 1);
    const start = EPOCH_MS + random.nextInt(30) * DAY_MS;
    const slates: Slate[] = [];
    const chosen = new Set<number>();
    for (let s = 0; s < sessions; s++) {
      const interests = person.interestsAt(sessions === 1 ? 0 : s / (sessions - 1));
      chosen.clear();
      while (chosen.size < slateSize) chosen.add(random.nextInt(adCount));
      const items = Int32Array.from(chosen);
      const clicked = new Uint8Array(slateSize);
      for (let k = 0; k < slateSize; k++) {
        const p = world.clickProbability(interests, world.ads[items[k]!]!, k);
        clicked[k] = random.next() < p ? 1 : 0;
      }
      slates.push({ items, clicked, time: start + s * DAY_MS });
    }
    return splitTimeline(slates, testFraction);
  };

  return {
    name: 'synthetic',
    userCount: world.options.users,
    items: world.ads.map((ad) => ({
      id: ad.id,
      text: `${ad.title}. ${ad.text}`,
      category: ad.category,
    })),
    hasImpressions: true,
    timeline,
    world,
  };
}
