import { createSeededRandom, type SeededRandom } from '../seeded-random.js';
import {
  checkUserIndex,
  givenSplitTimeline,
  splitTimeline,
  userSeed,
  type Population,
  type Slate,
  type UserTimeline,
} from '../population.js';
import type { InteractionDataset } from './dataset.js';

/** Options of {@link datasetPopulation}. */
export interface DatasetPopulationOptions {
  /** Seed of user sub-sampling and negative sampling. */
  readonly seed: number;
  /** Keep this many users (a seeded random subset, in original order); all when unset. */
  readonly users?: number;
  /** Size of a slate built around a click that has no logged impression. @defaultValue 10 */
  readonly slateSize?: number;
  /**
   * Largest slate taken from a logged impression: every clicked item is kept, non-clicked ones are
   * sampled down to this size (MIND impressions list up to ~300 items). @defaultValue 20
   */
  readonly maxSlateSize?: number;
  /**
   * Share of a user's clicked slates held out at the end of the timeline, when the data set has no
   * split of its own ({@link InteractionDataset.givenSplit}). @defaultValue 0.2
   */
  readonly testFraction?: number;
}

const NEGATIVE_SALT = 0x7e6a;

/**
 * Turns a loaded data set into a {@link Population}. Logged impressions become slates as they
 * were shown (capped at `maxSlateSize`). A click without an impression (MovieLens ratings, MIND
 * histories) becomes a slate of the clicked item and `slateSize − 1` items the user never clicked,
 * drawn uniformly with the user's own seeded stream, at a random position: sampled negatives, so
 * that the slate softmax the device learns with has something to compare against.
 * @param dataset - a loaded data set
 * @param options - seed, user subset, slate sizes, held-out share
 * @returns the population (timelines built on demand)
 * @throws RangeError for invalid options or a catalog smaller than a slate
 */
export function datasetPopulation(
  dataset: InteractionDataset,
  options: DatasetPopulationOptions,
): Population {
  const slateSize = options.slateSize ?? 10;
  const maxSlateSize = options.maxSlateSize ?? 20;
  const testFraction = options.testFraction ?? 0.2;
  const itemCount = dataset.items.length;
  if (!Number.isInteger(slateSize) || slateSize < 2 || slateSize > itemCount) {
    throw new RangeError(`slateSize must be an integer in [2, ${itemCount}], got ${slateSize}`);
  }
  if (!Number.isInteger(maxSlateSize) || maxSlateSize < 2) {
    throw new RangeError(`maxSlateSize must be an integer >= 2, got ${maxSlateSize}`);
  }
  if (!(testFraction >= 0 && testFraction < 1)) {
    throw new RangeError(`testFraction must be in [0, 1), got ${testFraction}`);
  }
  const users = selectUsers(dataset.userIds.length, options.users, options.seed);
  const impressionsOf = new Map<number, number[]>();
  dataset.impressions.forEach((impression, i) => {
    const list = impressionsOf.get(impression.user) ?? [];
    list.push(i);
    impressionsOf.set(impression.user, list);
  });

  const timeline = (user: number): UserTimeline => {
    checkUserIndex(user, users.length);
    const source = users[user]!;
    const random = createSeededRandom(userSeed(options.seed, source, NEGATIVE_SALT));
    const clicks = dataset.clicks[source] ?? [];
    const positives = new Set(clicks.map((c) => c.item));
    const slates: Slate[] = [];
    const logged = new Set<string>();
    for (const index of impressionsOf.get(source) ?? []) {
      const impression = dataset.impressions[index]!;
      impression.items.forEach((item, k) => {
        if (impression.clicked[k]) logged.add(`${item}@${impression.time}`);
      });
      slates.push(
        capImpression(impression.items, impression.clicked, impression.time, maxSlateSize, random),
      );
    }
    for (const click of clicks) {
      if (logged.has(`${click.item}@${click.time}`)) continue;
      slates.push(sampledSlate(click.item, click.time, positives, itemCount, slateSize, random));
    }
    slates.sort((a, b) => a.time - b.time);
    const given = dataset.givenSplit?.[source];
    return given === undefined
      ? splitTimeline(slates, testFraction)
      : givenSplitTimeline(slates, given);
  };

  return {
    name: dataset.name,
    userCount: users.length,
    items: dataset.items,
    hasImpressions: dataset.impressions.length > 0,
    timeline,
  };
}

/** A seeded subset of `wanted` user indices, in original order; all of them when unset. */
function selectUsers(total: number, wanted: number | undefined, seed: number): Int32Array {
  const all = Int32Array.from({ length: total }, (_, i) => i);
  if (wanted === undefined || wanted >= total) return all;
  if (!Number.isInteger(wanted) || wanted < 1) {
    throw new RangeError(`users must be a positive integer, got ${wanted}`);
  }
  const random = createSeededRandom(seed);
  for (let i = total - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.subarray(0, wanted).sort();
}

function capImpression(
  items: readonly number[],
  clicked: readonly boolean[],
  time: number,
  cap: number,
  random: SeededRandom,
): Slate {
  let keep = items.map((_, k) => k);
  if (keep.length > cap) {
    const negatives = keep.filter((k) => !clicked[k]);
    const positives = keep.filter((k) => clicked[k]);
    for (let i = negatives.length - 1; i > 0; i--) {
      const j = random.nextInt(i + 1);
      [negatives[i], negatives[j]] = [negatives[j]!, negatives[i]!];
    }
    const room = Math.max(0, cap - positives.length);
    keep = [...positives, ...negatives.slice(0, room)].sort((a, b) => a - b);
  }
  return {
    items: Int32Array.from(keep, (k) => items[k]!),
    clicked: Uint8Array.from(keep, (k) => (clicked[k] ? 1 : 0)),
    time,
  };
}

function sampledSlate(
  item: number,
  time: number,
  positives: ReadonlySet<number>,
  itemCount: number,
  size: number,
  random: SeededRandom,
): Slate {
  const chosen = new Set<number>([item]);
  // Rejection sampling; if the user clicked nearly everything, fall back to any other item.
  for (let attempts = 0; chosen.size < size && attempts < 50 * size; attempts++) {
    const candidate = random.nextInt(itemCount);
    if (!positives.has(candidate)) chosen.add(candidate);
  }
  while (chosen.size < size) chosen.add(random.nextInt(itemCount));
  const items = Int32Array.from(chosen);
  const position = random.nextInt(size);
  items[0] = items[position]!;
  items[position] = item;
  const clicked = new Uint8Array(size);
  clicked[position] = 1;
  return { items, clicked, time };
}
