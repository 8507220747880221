// Speed of the exact discrete Gaussian sampler: the bulk fast path (`sampleDiscreteGaussianInto`)
// against the bigint implementation it replaces, in the same run, on the same seeded source.
// Run after `npx tsc -b packages/dp`: node packages/dp/bench/discrete-gaussian.bench.mjs
import { createSeededRandomSource, sampleDiscreteGaussianInto } from '../dist/index.js';
import { sampleDiscreteGaussianBigIntPath } from '../dist/discrete-gaussian.js';

const FAST_SAMPLES = 200_000;
const SLOW_SAMPLES = 20_000;

function timePerSample(samples, run) {
  run(Math.min(samples, 2000)); // warm-up
  const start = process.hrtime.bigint();
  run(samples);
  return Number(process.hrtime.bigint() - start) / samples / 1000; // µs
}

const rows = [];
for (const sigma2 of [1, 10, 1000, 25_401_600, 1e8, 1234.5678]) {
  const source = createSeededRandomSource(1);
  const fast = timePerSample(FAST_SAMPLES, (n) =>
    sampleDiscreteGaussianInto(new Float64Array(n), sigma2, { source }),
  );
  const slow = timePerSample(SLOW_SAMPLES, (n) => {
    for (let i = 0; i < n; i++) sampleDiscreteGaussianBigIntPath(sigma2, { source });
  });
  rows.push({
    sigma2,
    'fast µs/sample': Number(fast.toFixed(3)),
    'bigint µs/sample': Number(slow.toFixed(3)),
    'fast/old': Number((fast / slow).toFixed(4)),
  });
}
console.table(rows);
