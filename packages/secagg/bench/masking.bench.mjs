// Secure-aggregation cost, on the built package (run `npx tsc -b` first):
//   node packages/secagg/bench/masking.bench.mjs [devices=1000] [coordinatorLength=1024]
// 1. Device: shareKeys + maskInput for 49 280 parameters padded to 65 536 words, 32 neighbours.
// 2. Coordinator: finish() with `devices` devices, degree 32, t = 17, ~10% of U₁ dropping.
// 3. This version against the earlier implementation of the same steps, in the same run (ratios):
//    the masks (one pass of the ChaCha20 keystream — native in Node, the register-resident JavaScript
//    one that browsers run — vs. @noble/ciphers' keystream, reduced, then added) and the key agreements (agreeEach: one private-key import per device vs. agree()
//    per neighbour, which imported the WebCrypto private key every time).
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
