/**
 * A tiny world for tests of the federation machinery, not of learning: a 4 → 2 linear projector
 * (10 parameters with its bias), 6 ads with random content vectors, and devices with a few
 * three-ad slates each, clicked at random.
 */
import {
  createSeededRandom,
  type CatalogContent,
  type Slate,
  type UserTimeline,
} from '@privads/sim';

/** The tiny projector. */
export const TINY_SPEC = { kind: 'linear', contentDim: 4, userDim: 2 } as const;

/**
 * @param options - devices, training slates per device, click probability, seed
 * @returns the content and one timeline per device
 */
export function tinyWorld(options: {
  users: number;
  slates: number;
  clickRate: number;
  seed: number;
}): { content: CatalogContent; timelines: UserTimeline[] } {
  const random = createSeededRandom(options.seed);
  const ads = 6;
  const vectors = Float32Array.from(
    { length: ads * TINY_SPEC.contentDim },
    () => random.next() - 0.5,
  );
  const content: CatalogContent = {
    encoderId: 'test',
    dim: TINY_SPEC.contentDim,
    count: ads,
    vectors,
  };
  const slate = (): Slate => ({
    items: Int32Array.from([0, 1, 2]),
    clicked: Uint8Array.from([random.next() < options.clickRate ? 1 : 0, 0, 0]),
    time: 0,
  });
  const timelines = Array.from({ length: options.users }, () => ({
    train: Array.from({ length: options.slates }, slate),
    test: [slate()],
  }));
  return { content, timelines };
}
