// Secure-aggregation cost, on the built package (run `npx tsc -b` first):
//   node packages/secagg/bench/masking.bench.mjs [devices=1000] [coordinatorLength=1024]
// 1. Device: shareKeys + maskInput for 49 280 parameters padded to 65 536 words, 32 neighbours.
// 2. Coordinator: finish() with `devices` devices, degree 32, t = 17, ~10% of U₁ dropping.
import { performance } from 'node:perf_hooks';

import { generateNonce } from '@privads/protocol';

import {
  SecAggCoordinator,
  SecAggDevice,
  accumulateModular,
  expandMask,
  resolveKeyAgreement,
} from '../dist/index.js';

const devicesArg = Number(process.argv[2] ?? 1000);
const coordinatorLength = Number(process.argv[3] ?? 1024);
const { keyAgreement } = await resolveKeyAgreement();
const bits = 16;
const ms = (t0) => performance.now() - t0;
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function input(length) {
  const x = new Uint32Array(length);
  for (let i = 0; i < 49_280 && i < length; i++) x[i] = (i * 2_654_435_761) >>> 16;
  return x;
}

async function round(n, length, degree, threshold, dropFraction, timeDevices) {
  const options = { roundId: 1, bits, length, threshold };
  const coordinator = new SecAggCoordinator({
    ...options,
    degree,
    maxCohort: n,
    minInputs: threshold + 1,
    keyAgreement,
  });
  const devices = [];
  for (let i = 0; i < n; i++) {
    const d = await SecAggDevice.create({ ...options, ticket: generateNonce(), keyAgreement });
    devices.push(d);
    coordinator.addKeys(d.advertise());
  }
  coordinator.closeKeys();
  const shareTimes = [];
  const graph = new Map();
  for (const d of devices) {
    const roster = coordinator.roster(d.ticket);
    graph.set(
      roster.slot,
      roster.neighbours.map((e) => e.slot),
    );
    const t0 = performance.now();
    const msg = await d.shareKeys(roster);
    shareTimes.push(ms(t0));
    coordinator.addShares(msg);
  }
  coordinator.closeShares();
  // Drop slots while every slot keeps ≥ t surviving neighbours (so finish can succeed).
  const alive = new Map([...graph].map(([s, ns]) => [s, ns.length]));
  const dropped = new Set();
  for (const [s, ns] of graph) {
    if (dropped.size >= Math.floor(n * dropFraction)) break;
    if (ns.every((v) => alive.get(v) - 1 >= threshold)) {
      dropped.add(s);
      for (const v of ns) alive.set(v, alive.get(v) - 1);
    }
  }
  const sum = new Uint32Array(length);
  const expected = new Uint32Array(length);
  const maskTimes = [];
  for (const d of devices) {
    const x = input(length);
    const inbox = coordinator.inbox(d.ticket);
    const t0 = performance.now();
    const y = await d.maskInput(inbox, x);
    if (maskTimes.length < timeDevices) maskTimes.push(ms(t0));
    if (!dropped.has(d.slot)) {
      coordinator.admitInput(d.ticket);
      accumulateModular(sum, y, 1, bits);
      accumulateModular(expected, x, 1, bits);
    }
  }
  coordinator.closeInputs();
  for (const d of devices) {
    if (!dropped.has(d.slot)) coordinator.addReveal(d.reveal(coordinator.unmaskRequest(d.ticket)));
  }
  const t0 = performance.now();
  const result = await coordinator.finish(sum);
  const finishMs = ms(t0);
  const exact = result.every((v, i) => v === expected[i]);
  return { shareTimes, maskTimes, finishMs, exact, dropped: dropped.size };
}

console.log(`key agreement: ${keyAgreement.name}`);
{
  // 33 devices with degree 32 form a complete graph: each has exactly 32 neighbours.
  const r = await round(33, 65_536, 32, 17, 0, 5);
  const share = median(r.shareTimes);
  const mask = median(r.maskTimes);
  console.log(
    `device, 65 536 words, 32 neighbours: shareKeys ${share.toFixed(1)} ms (median of 33), maskInput ${mask.toFixed(1)} ms (median of 5), total ${(share + mask).toFixed(1)} ms`,
  );
  const t0 = performance.now();
  for (let i = 0; i < 33; i++)
    expandMask(new Uint8Array(32).fill(i), { roundId: 1, purpose: 'pair' }, 65_536, bits);
  console.log(`  of which 33 mask expansions: ${ms(t0).toFixed(1)} ms`);
}
{
  const t0 = performance.now();
  const r = await round(devicesArg, coordinatorLength, 32, 17, 0.1, 0);
  const perMask = (() => {
    const s = performance.now();
    for (let i = 0; i < 20; i++)
      expandMask(new Uint8Array(32).fill(i), { roundId: 1, purpose: 'pair' }, 65_536, bits);
    return ms(s) / 20;
  })();
  console.log(
    `coordinator, ${devicesArg} devices, degree 32, t = 17, ${r.dropped} dropped, ${coordinatorLength} words: finish ${r.finishMs.toFixed(0)} ms, exact sum: ${r.exact} (whole simulated round ${(ms(t0) / 1000).toFixed(1)} s)`,
  );
  console.log(
    `  one 65 536-word mask expansion: ${perMask.toFixed(2)} ms (finish expands one per survivor plus one per surviving neighbour of each dropped device)`,
  );
}
