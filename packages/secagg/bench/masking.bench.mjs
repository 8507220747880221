// Secure-aggregation cost, on the built package (run `npx tsc -b` first):
//   node packages/secagg/bench/masking.bench.mjs [devices=1000] [coordinatorLength=1024]
// 1. Device: shareKeys + maskInput for 49 280 parameters padded to 65 536 words, 32 neighbours.
// 2. Coordinator: finish() with `devices` devices, degree 32, t = 17, ~10% of U₁ dropping.
// 3. This version against the earlier implementation of the same steps, in the same run (ratios):
//    the masks (one pass of the ChaCha20 keystream — native in Node, the register-resident JavaScript
//    one that browsers run — vs. @noble/ciphers' keystream, reduced, then added) and the key agreements (agreeEach: one private-key import per device vs. agree()
//    per neighbour, which imported the WebCrypto private key every time).
// 4. With BASELINE=DIR (a built checkout of an earlier commit, e.g. `git worktree add DIR c59e528 &&
//    (cd DIR && npm ci && npx tsc -b)`): a device's whole protocol work in a distributed round as
//    the simulator sizes it at 2,000 devices (quantizeForSecureSum of @privads/dp — clip, rotate,
//    round, discrete Gaussian noise — then shareKeys and maskInput with 16 neighbours, t = 9, for
//    51,152 values padded to 65,536 words mod 2^20), this build against DIR's, interleaved, in CPU
//    time of this process (process.cpuUsage: other jobs on a shared machine do not count).
import { performance } from 'node:perf_hooks';

import { chacha20 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

import { generateNonce } from '@privads/protocol';

import {
  SecAggCoordinator,
  SecAggDevice,
  MASK_INFO_LABEL,
  accumulateModular,
  addMask,
  expandMask,
  resolveKeyAgreement,
} from '../dist/index.js';
import { labelled } from '../dist/bytes.js';
import { addChaCha20KeystreamJs, chaCha20Backend } from '../dist/chacha20-keystream.js';

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

{
  // The earlier mask: HKDF stream key, the keystream materialised by @noble/ciphers (XOR of zeros),
  // its words reduced, then added by accumulateModular. Same output as addMask (the tests pin it).
  const ZERO_NONCE = new Uint8Array(12);
  const earlierAddMask = (target, secret, context, sign) => {
    const info = labelled(MASK_INFO_LABEL, String(context.roundId), context.purpose);
    const streamKey = hkdf(sha256, secret, undefined, info, 32);
    const bytes = new Uint8Array(target.length * 4);
    chacha20(streamKey, ZERO_NONCE, new Uint8Array(bytes.length), bytes);
    const words = new Uint32Array(bytes.buffer, 0, target.length);
    const m = 2 ** bits - 1;
    for (let i = 0; i < words.length; i++) words[i] = words[i] & m;
    accumulateModular(target, words, sign, bits);
  };
  const masks = 33;
  const reps = Number(process.env.REPS ?? 5);
  const secrets = Array.from({ length: masks }, (_, i) => new Uint8Array(32).fill(i + 1));
  const context = { roundId: 1, purpose: 'pair' };
  const earlier = new Uint32Array(65_536);
  const now = new Uint32Array(65_536);
  const javascript = new Uint32Array(65_536);
  // The JavaScript path on its own: the HKDF stream key (as addMask derives it), then the keystream.
  const streamKeys = secrets.map((s) =>
    hkdf(sha256, s, undefined, labelled(MASK_INFO_LABEL, '1', 'pair'), 32),
  );
  const maskRows = { earlier: [], now: [] };
  const jsRows = { earlier: [], now: [] };
  for (let r = 0; r < reps; r++) {
    // Interleaved, so that a burst of load on the shared machine hits every variant alike.
    let t0 = performance.now();
    for (const s of secrets) earlierAddMask(earlier, s, context, 1);
    const earlierMs = ms(t0);
    maskRows.earlier.push(earlierMs);
    jsRows.earlier.push(earlierMs);
    t0 = performance.now();
    for (const s of secrets) addMask(now, s, context, 1, bits);
    maskRows.now.push(ms(t0));
    t0 = performance.now();
    for (const k of streamKeys) addChaCha20KeystreamJs(k, javascript, 1, bits);
    jsRows.now.push(ms(t0));
  }
  const same = earlier.every((w, i) => w === now[i] && w === javascript[i]);

  const own = await keyAgreement.generateKeyPair();
  const peers = await Promise.all(
    Array.from({ length: 32 }, async () => (await keyAgreement.generateKeyPair()).publicKey),
  );
  const agreeRows = { earlier: [], now: [] };
  for (let r = 0; r < reps; r++) {
    // A device's agreements in a round: with each neighbour's encryption and masking keys.
    let t0 = performance.now();
    for (let k = 0; k < 2; k++)
      await Promise.all(peers.map((p) => keyAgreement.agree(own.privateKey, p)));
    agreeRows.earlier.push(ms(t0));
    t0 = performance.now();
    for (let k = 0; k < 2; k++) await keyAgreement.agreeEach(own.privateKey, peers);
    agreeRows.now.push(ms(t0));
  }
  const row = (what, rows) => {
    const e = median(rows.earlier);
    const n = median(rows.now);
    return `${what}: earlier ${e.toFixed(1)} ms, now ${n.toFixed(1)} ms, ${(e / n).toFixed(2)}× (medians of ${reps}; ranges ${Math.min(...rows.earlier).toFixed(1)}–${Math.max(...rows.earlier).toFixed(1)} / ${Math.min(...rows.now).toFixed(1)}–${Math.max(...rows.now).toFixed(1)})`;
  };
  console.log(
    'same run, this version against the earlier implementation (device, 65 536 words, 32 neighbours):',
  );
  console.log(
    `  ${row(`33 masks added (self + 32 pairs), ChaCha20 ${chaCha20Backend()}`, maskRows)}`,
  );
  console.log(`  ${row("the same, JavaScript ChaCha20 (the browsers' path)", jsRows)}`);
  console.log(`  identical sums from all three: ${same}`);
  console.log(`  ${row(`64 X25519 agreements (${keyAgreement.name})`, agreeRows)}`);
}

const baselineDir = process.env.BASELINE;
if (baselineDir !== undefined) {
  const { resolve } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const load = async (root) => ({
    dp: await import(pathToFileURL(resolve(root, 'packages/dp/dist/index.js')).href),
    secagg: await import(pathToFileURL(resolve(root, 'packages/secagg/dist/index.js')).href),
  });
  const builds = {
    earlier: await load(baselineDir),
    now: await load(new URL('../../..', import.meta.url).pathname),
  };
  const neighbours = 16;
  const threshold = 9;
  const dimension = 51_152; // the simulator's 49,152 projector parameters + 2 × 1,000 per-ad counts
  const cpuMs = (t0) => {
    const u = process.cpuUsage(t0);
    return (u.user + u.system) / 1000;
  };
  /** One device's protocol steps (the other 16 devices' steps are not timed). */
  const deviceSteps = async ({ dp, secagg }, seed) => {
    const encoding = dp.planSecureSumEncoding({
      clipNorm: 1,
      dimension,
      bits: 20,
      noiseMultiplier: 4.23,
      minDevices: 1600,
      maxDevices: 2000,
      rotationSeed: new Uint8Array(16).fill(seed),
    });
    // Quantized first, as the driver does it before masking, and before this round's key material
    // fills the heap (the collector's threads count in process.cpuUsage).
    const row = {};
    const gradient = Float32Array.from({ length: dimension }, (_, i) => Math.sin(i * seed) * 1e-2);
    let t0 = process.cpuUsage();
    const input = dp.quantizeForSecureSum(gradient, encoding, {
      source: dp.createSeededRandomSource(seed),
    });
    row.quantize = cpuMs(t0);
    const options = { roundId: 1, bits: 20, length: encoding.paddedDimension, threshold };
    const { keyAgreement } = await secagg.resolveKeyAgreement();
    const coordinator = new secagg.SecAggCoordinator({
      ...options,
      degree: neighbours,
      maxCohort: neighbours + 1,
      minInputs: threshold + 1,
      keyAgreement,
    });
    const devices = [];
    for (let i = 0; i <= neighbours; i++) {
      const d = await secagg.SecAggDevice.create({
        ...options,
        ticket: generateNonce(),
        keyAgreement,
      });
      devices.push(d);
      coordinator.addKeys(d.advertise());
    }
    coordinator.closeKeys();
    const [timed, ...others] = devices;
    t0 = process.cpuUsage();
    const shares = await timed.shareKeys(coordinator.roster(timed.ticket));
    row.shareKeys = cpuMs(t0);
    coordinator.addShares(shares);
    for (const d of others) coordinator.addShares(await d.shareKeys(coordinator.roster(d.ticket)));
    coordinator.closeShares();
    t0 = process.cpuUsage();
    await timed.maskInput(coordinator.inbox(timed.ticket), input.values);
    row.maskInput = cpuMs(t0);
    row.total = row.shareKeys + row.quantize + row.maskInput;
    return row;
  };
  const rows = { earlier: [], now: [] };
  const reps = Number(process.env.REPS ?? 7);
  // Untimed rounds first: the JIT's warm-up (≈ 5 quantizations) is not a device's steady cost.
  for (let w = 0; w < 5; w++) {
    await deviceSteps(builds.earlier, 90 + w);
    await deviceSteps(builds.now, 90 + w);
  }
  for (let r = 0; r < reps; r++) {
    rows.earlier.push(await deviceSteps(builds.earlier, r + 1));
    rows.now.push(await deviceSteps(builds.now, r + 1));
  }
  console.log(
    `one device of a distributed round (${dimension} values → 65 536 words mod 2^20, ${neighbours} neighbours, t = ${threshold}), CPU ms, medians of ${reps}, this build vs ${baselineDir}:`,
  );
  for (const step of ['quantize', 'shareKeys', 'maskInput', 'total']) {
    const e = median(rows.earlier.map((x) => x[step]));
    const n = median(rows.now.map((x) => x[step]));
    console.log(
      `  ${step}: earlier ${e.toFixed(1)} ms, now ${n.toFixed(1)} ms, ${(e / n).toFixed(2)}×`,
    );
  }
}
