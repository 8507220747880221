/**
 * A small world with what real interaction data has and the unit fixtures lack: a skewed item
 * popularity (Zipf) next to topical taste, written in the file formats of every loader (MovieLens
 * `u.data`/`u.item`, MIND `news.tsv`/`behaviors.tsv`, RecBole atomic files), so that the test that
 * the popularity prior beats ranking by popularity runs each loader end to end on data where
 * popularity is a strong baseline. Deterministic for a seed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { MOVIELENS_GENRES } from '../src/datasets/movielens.js';
import { createSeededRandom } from '../src/seeded-random.js';

const TOPICS = [
  { words: 'football league match goal striker season', genre: 'Action', category: 'sports' },
  { words: 'pasta recipe kitchen dinner sauce oven', genre: 'Comedy', category: 'foodanddrink' },
  { words: 'stocks market bank bonds investors rates', genre: 'Drama', category: 'finance' },
  { words: 'travel beach island flight hotel summer', genre: 'Romance', category: 'travel' },
] as const;

/** The world: item topics and texts, and every user's clicked items in time order. */
export interface PopularWorld {
  readonly items: { topic: number; title: string; text: string }[];
  readonly clicks: number[][];
}

/**
 * Builds the world: item i has topic i mod 4 and a Zipf popularity of a random rank; each user
 * prefers one topic and clicks item i with probability ∝ popularity_i × (taste if on topic, else 1).
 * @param options - sizes, taste strength and seed
 * @returns the world
 */
export function popularWorld(options: {
  users: number;
  items: number;
  clicksPerUser: number;
  taste: number;
  seed: number;
}): PopularWorld {
  const random = createSeededRandom(options.seed);
  const rank = Array.from({ length: options.items }, (_, i) => i);
  for (let i = rank.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [rank[i], rank[j]] = [rank[j]!, rank[i]!];
  }
  const popularity = rank.map((r) => 1 / (r + 1));
  const items = Array.from({ length: options.items }, (_, i) => {
    const topic = TOPICS[i % TOPICS.length]!;
    const words = topic.words.split(' ');
    const title = `${words[i % words.length]} ${words[(i * 7 + 3) % words.length]} number ${i}`;
    return { topic: i % TOPICS.length, title, text: `${title}. ${topic.words}.` };
  });
  const clicks = Array.from({ length: options.users }, () => {
    const liked = Math.floor(random.next() * TOPICS.length);
    const weights = items.map(
      (item, i) => popularity[i]! * (item.topic === liked ? options.taste : 1),
    );
    const total = weights.reduce((a, b) => a + b, 0);
    const seen = new Set<number>();
    const out: number[] = [];
    while (out.length < options.clicksPerUser && seen.size < items.length) {
      let x = random.next() * total;
      let i = 0;
      while (i < items.length - 1 && (x -= weights[i]!) > 0) i++;
      if (seen.has(i)) continue;
      seen.add(i);
      out.push(i);
    }
    return out;
  });
  return { items, clicks };
}

/**
 * Writes the world as a MovieLens 100K folder (every click a 5-star rating).
 * @param world - the world
 * @param dir - the folder (created)
 */
export async function writeMovieLens(world: PopularWorld, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const item = world.items.map((it, i) => {
    const flags = MOVIELENS_GENRES.map((g) => (g === TOPICS[it.topic]!.genre ? '1' : '0'));
    return [i + 1, `${it.title} (1995)`, '01-Jan-1995', '', `http://x.invalid/${i}`, ...flags].join(
      '|',
    );
  });
  const data = world.clicks.flatMap((list, u) =>
    list.map((i, k) => `${u + 1}\t${i + 1}\t5\t${880000000 + u * 1000 + k}`),
  );
  await writeFile(join(dir, 'u.item'), `${item.join('\n')}\n`, 'latin1');
  await writeFile(join(dir, 'u.data'), `${data.join('\n')}\n`);
}

/**
 * Writes the world as a MIND folder: each click an impression of the clicked item and three
 * items the user did not click.
 * @param world - the world
 * @param dir - the folder (created)
 * @param seed - seed of the non-clicked items
 */
export async function writeMind(world: PopularWorld, dir: string, seed: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const random = createSeededRandom(seed);
  const news = world.items.map(
    (it, i) =>
      `N${i}\t${TOPICS[it.topic]!.category}\tsub\t${it.title}\t${it.text}\thttps://x.invalid/${i}\t[]\t[]`,
  );
  let id = 0;
  const behaviors = world.clicks.flatMap((list, u) =>
    list.map((clicked, k) => {
      const shown = new Set([clicked]);
      while (shown.size < 4) {
        const j = Math.floor(random.next() * world.items.length);
        if (!list.includes(j)) shown.add(j);
      }
      const minutes = u * 100 + k;
      const time = `11/${11 + Math.floor(minutes / 1440)}/2019 ${1 + (Math.floor(minutes / 60) % 11)}:${String(minutes % 60).padStart(2, '0')}:00 AM`;
      const impressions = [...shown].map((j) => `N${j}-${j === clicked ? 1 : 0}`).join(' ');
      return `${++id}\tU${u}\t${time}\t\t${impressions}`;
    }),
  );
  await writeFile(join(dir, 'news.tsv'), `${news.join('\n')}\n`);
  await writeFile(join(dir, 'behaviors.tsv'), `${behaviors.join('\n')}\n`);
}

/**
 * Writes the world as RecBole atomic files (`Shop.*`): each user's last click is the test row, the
 * one before it the validation row, the others training rows.
 * @param world - the world
 * @param dir - the folder (created)
 */
export async function writeRecBole(world: PopularWorld, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const header = 'user_id:token\titem_id_list:token_seq\titem_id:token';
  const rows = (u: number, list: number[], k: number): string =>
    `${u}\t${list.slice(0, k).join(' ')}\t${list[k]}`;
  const train: string[] = [header];
  const valid: string[] = [header];
  const test: string[] = [header];
  world.clicks.forEach((list, u) => {
    for (let k = 1; k < list.length - 2; k++) train.push(rows(u, list, k));
    valid.push(rows(u, list, list.length - 2));
    test.push(rows(u, list, list.length - 1));
  });
  const files: Record<string, string[]> = {
    'Shop.text': [
      'item_id:token\ttext:token_seq',
      ...world.items.map((it, i) => `B${i}\t${it.text}`),
    ],
    'Shop.item2index': world.items.map((_, i) => `B${i}\t${i}`),
    'Shop.user2index': world.clicks.map((_, u) => `A${u}\t${u}`),
    'Shop.train.inter': train,
    'Shop.valid.inter': valid,
    'Shop.test.inter': test,
  };
  for (const [name, lines] of Object.entries(files)) {
    await writeFile(join(dir, name), `${lines.join('\n')}\n`);
  }
}
