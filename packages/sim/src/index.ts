export { createSeededRandom } from './seeded-random.js';
export type { SeededRandom } from './seeded-random.js';
