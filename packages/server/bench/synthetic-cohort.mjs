/**
 * Brings a distributed round to its input phase with many simulated devices, fast: each device
 * posts its keys, reads its roster and posts one share per neighbour through the server's real
 * secure-aggregation endpoints, so the coordinator admits it into U₁ exactly as it admits a real
 * device. What is synthetic is the cryptography: the public keys are random 32-byte strings (every
 * such string is a valid X25519 public key) and the share ciphertexts are random bytes of the right
 * length, which the server cannot tell from real ones (it never decrypts them). The masked words
 * are random below 2^bits, which is what a masked vector looks like to the server. So the round
 * can never be unmasked, and an ingest benchmark needs no more: it measures what the server does
 * with an upload in the input phase, not the devices' cryptography (see
 * `packages/client/bench/secure-mask.mjs` and `packages/secagg/bench/masking.bench.mjs` for that).
 */
import { randomBytes } from 'node:crypto';

import { encodeMaskedUpdate, generateNonce } from '@privads/protocol';

import { bodySource } from './loopback-load.mjs';

/** Bytes of one encrypted share pair (nonce 12 + two 66-byte shares + tag 16). */
const SHARE_CIPHERTEXT_BYTES = 12 + 2 * 66 + 16;

const key = () => randomBytes(32).toString('base64url');

/** Runs `task(i)` for i < n with `concurrency` in flight. */
async function pool(n, concurrency, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

/**
 * Admits `devices` simulated devices into U₁ of the open distributed round.
 * @param post - `(path, jsonBody?) => Promise<unknown>`: one JSON request to the server (a GET when
 *   the body is undefined), rejecting on a non-2xx status
 * @param round - the open round's config (distributed, with `maxCohort` = `devices`, so that the
 *   keys phase closes as soon as the last device is in)
 * @param concurrency - requests in flight
 * @returns the devices' tickets (each may post one masked input)
 */
export async function admitSyntheticCohort(post, round, concurrency = 32) {
  const devices = round.privacy.maxCohort;
  const base = `/v1/rounds/${round.roundId}/secagg`;
  const tickets = Array.from({ length: devices }, () => generateNonce());
  await pool(devices, concurrency, (i) =>
    post(`${base}/keys`, { ticket: tickets[i], encryptionKey: key(), maskingKey: key() }),
  );
  // The keys phase closes (cohort full) on the next request that advances the round.
  await post(base);
  await pool(devices, concurrency, async (i) => {
    const roster = await post(`${base}/roster`, { ticket: tickets[i] });
    const shares = roster.neighbours.map((n) => ({
      to: n.slot,
      ciphertext: randomBytes(SHARE_CIPHERTEXT_BYTES).toString('base64url'),
    }));
    await post(`${base}/shares`, { ticket: tickets[i], shares });
  });
  const status = await post(base);
  if (status.phase !== 'input') throw new Error(`round is in phase ${status.phase}, not input`);
  return tickets;
}

/**
 * Masked upload bodies for the given tickets: random words below 2^bits (fresh per body would cost
 * the load generator more than the server; one random vector is shared, the ticket differs).
 * @param round - the open distributed round
 * @param tickets - one per body
 * @returns one body (of the first ticket) and where its ticket lies; `nextId()` gives the tickets
 *   in turn, then undefined once every ticket is used (see `loopback-load.mjs`)
 */
export function maskedBodies(round, tickets) {
  const { bits, paddedDimension } = round.privacy;
  const words = new Uint32Array(paddedDimension);
  const random = new Uint32Array(randomBytes(4 * paddedDimension).buffer);
  for (let i = 0; i < words.length; i++) words[i] = random[i] >>> (32 - bits);
  if (tickets.length === 0) throw new RangeError('no tickets');
  const template = encodeMaskedUpdate(
    { roundId: round.roundId, projectorVersion: round.projectorVersion, nonce: tickets[0], words },
    bits,
  );
  let used = 0;
  return bodySource(template, tickets[0], () => tickets[used++]);
}
