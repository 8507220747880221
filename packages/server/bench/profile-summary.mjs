#!/usr/bin/env node
/**
 * `node bench/profile-summary.mjs <file.cpuprofile> [top] [lastSeconds]`: the functions with the
 * most self time in a V8 CPU profile (`node --cpu-prof`, or BENCH_PROFILE of `server.bench.mjs`),
 * with their share of the sampled time. Idle time (`(idle)`) is listed apart, so shares are of busy
 * time. With `lastSeconds`, only the samples of the profile's last seconds count (the upload phase
 * of `server.bench.mjs` is the last thing its server process does).
 */
import { readFileSync } from 'node:fs';

const [file, topArg, lastArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-summary.mjs <file.cpuprofile> [top] [lastSeconds]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const deltas = profile.timeDeltas;
const times = [];
for (let i = 0, t = profile.startTime; i < deltas.length; i++) times.push((t += deltas[i]));
const from = lastArg === undefined ? -Infinity : profile.endTime - Number(lastArg) * 1e6;
for (let i = 0; i < profile.samples.length; i++) {
  if (times[i] < from) continue;
  const node = byId.get(profile.samples[i]);
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url
    ? `${url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${lineNumber + 1}`
    : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0));
}
const idle = self.get('(idle)') ?? 0;
self.delete('(idle)');
const busy = [...self.values()].reduce((a, b) => a + b, 0);
console.log(`busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s`);
for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(
    `${((100 * micros) / busy).toFixed(1).padStart(5)}%  ${(micros / 1e3).toFixed(0).padStart(6)} ms  ${key}`,
  );
}
