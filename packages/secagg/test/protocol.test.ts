import { describe, expect, it } from 'vitest';

import { SecAggError, generateNonce } from '@privads/protocol';
import { SecAggCoordinator, SecAggDevice, accumulateModular } from '@privads/secagg';
import type { SecAggCoordinatorOptions } from '@privads/secagg';

import {
  dropFirst,
  dropSpread,
  fastest,
  plainSum,
  prepareRound,
  randomInput,
  seededBytes,
} from './helpers.js';

const base = {
  roundId: 7,
  bits: 16,
  length: 1024,
  threshold: 5,
  degree: 8,
  maxCohort: 20,
  minInputs: 6,
} satisfies Omit<SecAggCoordinatorOptions, 'keyAgreement'>;

function expectCode(error: unknown, code: string): void {
  expect(error).toBeInstanceOf(SecAggError);
  expect((error as SecAggError).code).toBe(code);
}

describe('SecAgg+ end to end', () => {
  it('20 devices, degree 8, t = 5, 30% of U₁ never post input: finish is exactly the survivors’ sum', async () => {
    const keyAgreement = await fastest;
    // 6 of 20 drop, spread so that every secret keeps t = 5 surviving holders.
    const round = await prepareRound({ ...base, keyAgreement }, 20, dropSpread(6, 5));
    const { coordinator, devices, survivors } = round;
    expect(coordinator.cohortSize).toBe(20);
    expect(coordinator.committedSlots).toHaveLength(20);
    expect(coordinator.inputSlots).toHaveLength(14);
    expect(coordinator.droppedSlots).toHaveLength(6);
    expect(coordinator.canFinish()).toBe(false);
    for (const ticket of survivors) {
      const device = devices.get(ticket) as SecAggDevice;
      coordinator.addReveal(device.reveal(coordinator.unmaskRequest(ticket)));
    }
    expect(coordinator.canFinish()).toBe(true);
    const sum = await coordinator.finish(round.maskedSum);
    expect(sum).toEqual(plainSum(round.inputs, survivors, base.length, base.bits));
    expect(coordinator.phase).toBe('done');
    expect(coordinator.counts).toEqual({ keys: 20, shares: 20, inputs: 14, reveals: 14 });
  });

  it('also holds with bits = 32, no dropouts and a complete graph (n ≤ k + 1)', async () => {
    const keyAgreement = await fastest;
    const options = { ...base, bits: 32, length: 64, maxCohort: 9, minInputs: 6 };
    const round = await prepareRound({ ...options, keyAgreement }, 9, dropFirst(0), 3);
    for (const ticket of round.survivors) {
      const device = round.devices.get(ticket) as SecAggDevice;
      expect(device.reveal(round.coordinator.unmaskRequest(ticket)).maskKeyShares).toEqual([]);
      round.coordinator.addReveal(device.reveal(round.coordinator.unmaskRequest(ticket)));
    }
    expect(await round.coordinator.finish(round.maskedSum)).toEqual(
      plainSum(round.inputs, round.survivors, 64, 32),
    );
  });

  it('finish fails with SECAGG_RECONSTRUCTION_FAILED, changing nothing, until enough reveals arrive', async () => {
    const keyAgreement = await fastest;
    const round = await prepareRound({ ...base, keyAgreement }, 12, dropSpread(2, 5), 5);
    const [first, ...rest] = round.survivors;
    const device = round.devices.get(first as string) as SecAggDevice;
    round.coordinator.addReveal(device.reveal(round.coordinator.unmaskRequest(first as string)));
    await expect(round.coordinator.finish(round.maskedSum)).rejects.toMatchObject({
      code: 'SECAGG_RECONSTRUCTION_FAILED',
    });
    expect(round.coordinator.phase).toBe('unmask');
    for (const ticket of rest) {
      const d = round.devices.get(ticket) as SecAggDevice;
      round.coordinator.addReveal(d.reveal(round.coordinator.unmaskRequest(ticket)));
    }
    expect(await round.coordinator.finish(round.maskedSum)).toEqual(
      plainSum(round.inputs, round.survivors, base.length, base.bits),
    );
  });

  it('too few survivors: SECAGG_TOO_FEW at closeInputs, the round is aborted and releases nothing', async () => {
    const keyAgreement = await fastest;
    // 5 of 20 survive, below minInputs = 6.
    await expect(prepareRound({ ...base, keyAgreement }, 20, dropFirst(15))).rejects.toMatchObject({
      code: 'SECAGG_TOO_FEW',
    });
    const coordinator = new SecAggCoordinator({ ...base, keyAgreement });
    for (let i = 0; i < 5; i++) {
      const d = await SecAggDevice.create({ ...base, ticket: generateNonce(), keyAgreement });
      coordinator.addKeys(d.advertise());
    }
    expect(() => coordinator.closeKeys()).toThrow(SecAggError);
    expect(coordinator.phase).toBe('aborted');
    await expect(coordinator.finish(new Uint32Array(base.length))).rejects.toMatchObject({
      code: 'SECAGG_WRONG_PHASE',
    });
  });

  it('a masked vector looks uniform: it differs from its input almost everywhere', async () => {
    const keyAgreement = await fastest;
    const round = await prepareRound({ ...base, keyAgreement, length: 4096 }, 8, dropFirst(0), 9);
    const ticket = round.survivors[0] as string;
    const device = round.devices.get(ticket) as SecAggDevice;
    const input = round.inputs.get(ticket) as Uint32Array;
    // Same inbox and input: the device answers with the masked vector it already made.
    const masked = await device.maskInput(round.coordinator.inbox(ticket), input);
    let equal = 0;
    let mean = 0;
    for (let i = 0; i < masked.length; i++) {
      if (masked[i] === input[i]) equal++;
      mean += (masked[i] as number) / masked.length;
    }
    expect(equal).toBeLessThan(8); // 4096 / 2^16 ≈ 0.06 expected
    expect(Math.abs(mean / 2 ** 16 - 0.5)).toBeLessThan(0.03);
  });
});

describe('SecAggDevice refusals', () => {
  async function unmaskReady() {
    const keyAgreement = await fastest;
    const round = await prepareRound({ ...base, keyAgreement }, 12, dropSpread(2, 5), 11);
    const ticket = round.survivors[0] as string;
    const device = round.devices.get(ticket) as SecAggDevice;
    return {
      round,
      device,
      request: round.coordinator.unmaskRequest(ticket),
      self: device.slot as number,
    };
  }

  it('refuses to reveal both secrets of one peer, at once or across two requests', async () => {
    const { device, request, self } = await unmaskReady();
    const peer = request.survivors.find((s) => s !== self) as number;
    try {
      device.reveal({ dropped: [...request.dropped, peer], survivors: request.survivors });
      expect.unreachable();
    } catch (error) {
      expectCode(error, 'SECAGG_CONFLICTING_REQUEST');
    }
    const honest = device.reveal(request);
    expect(honest.seedShares.map((s) => s.of)).toContain(peer);
    expect(honest.seedShares.map((s) => s.of)).not.toContain(self);
    expect(device.reveal(request)).toEqual(honest); // a retry is answered identically
    const flipped = {
      dropped: [...request.dropped, peer].sort((a, b) => a - b),
      survivors: request.survivors.filter((s) => s !== peer),
    };
    expect(() => device.reveal(flipped)).toThrow(/already revealed/);
  });

  it('refuses requests that contradict its inbox', async () => {
    const { device, request, self } = await unmaskReady();
    const peer = request.survivors.find((s) => s !== self) as number;
    const bad = [
      { dropped: request.dropped, survivors: request.survivors.filter((s) => s !== self) },
      { dropped: [...request.dropped, self], survivors: request.survivors },
      { dropped: request.dropped, survivors: [...request.survivors, 999] },
      { dropped: request.dropped, survivors: request.survivors.filter((s) => s !== peer) },
    ];
    for (const req of bad) {
      try {
        device.reveal(req);
        expect.unreachable();
      } catch (error) {
        expectCode(error, 'SECAGG_CONFLICTING_REQUEST');
      }
    }
  });

  it('refuses to mask a second, different input (that would leak the difference)', async () => {
    const { round } = await unmaskReady();
    const ticket = round.survivors[1] as string;
    const device = round.devices.get(ticket) as SecAggDevice;
    const other = randomInput(base.length, base.bits, seededBytes(99));
    await expect(device.maskInput(round.coordinator.inbox(ticket), other)).rejects.toMatchObject({
      code: 'SECAGG_CONFLICTING_REQUEST',
    });
  });

  it('rejects a roster whose neighbours are too many for the threshold', async () => {
    const keyAgreement = await fastest;
    const device = await SecAggDevice.create({ ...base, ticket: generateNonce(), keyAgreement });
    const peers = await Promise.all(
      Array.from({ length: 10 }, () =>
        SecAggDevice.create({ ...base, ticket: generateNonce(), keyAgreement }),
      ),
    );
    const roster = {
      slot: 1,
      neighbours: peers
        .map((p, i) => ({ slot: i + 2, ...p.advertise(), ticket: undefined }))
        .map(({ slot, encryptionKey, maskingKey }) => ({ slot, encryptionKey, maskingKey })),
    };
    await expect(device.shareKeys(roster)).rejects.toMatchObject({ code: 'SECAGG_BAD_MESSAGE' });
    await expect(
      device.shareKeys({ slot: 1, neighbours: roster.neighbours.slice(0, 4) }),
    ).rejects.toMatchObject({
      code: 'SECAGG_TOO_FEW',
    });
    expect(device.phase).toBe('keys');
  });
});

describe('SecAggCoordinator consistency under bad messages', () => {
  it('a forged or malformed message throws a typed error and changes nothing', async () => {
    const keyAgreement = await fastest;
    const coordinator = new SecAggCoordinator({ ...base, maxCohort: 8, keyAgreement });
    const devices = await Promise.all(
      Array.from({ length: 8 }, () =>
        SecAggDevice.create({ ...base, ticket: generateNonce(), keyAgreement }),
      ),
    );
    for (const d of devices) coordinator.addKeys(d.advertise());
    coordinator.addKeys((devices[0] as SecAggDevice).advertise()); // retry: no-op
    const extra = await SecAggDevice.create({ ...base, ticket: generateNonce(), keyAgreement });
    const attempts: [() => unknown, string][] = [
      [() => coordinator.addKeys(extra.advertise()), 'SECAGG_BAD_MESSAGE'], // full
      [
        () =>
          coordinator.addKeys({
            ...extra.advertise(),
            maskingKey: (devices[1] as SecAggDevice).advertise().maskingKey,
          }),
        'SECAGG_BAD_MESSAGE',
      ],
      [
        () =>
          coordinator.addKeys({
            ...(devices[2] as SecAggDevice).advertise(),
            maskingKey: extra.advertise().maskingKey,
          }),
        'SECAGG_CONFLICTING_REQUEST',
      ],
      [() => coordinator.roster((devices[0] as SecAggDevice).ticket), 'SECAGG_WRONG_PHASE'],
    ];
    for (const [attempt, code] of attempts) {
      try {
        attempt();
        expect.unreachable();
      } catch (error) {
        expectCode(error, code);
      }
    }
    expect(coordinator.counts.keys).toBe(8);
    coordinator.closeKeys();
    const [a, b] = devices as [SecAggDevice, SecAggDevice];
    const sharesA = await a.shareKeys(coordinator.roster(a.ticket));
    const forged = [
      { ...sharesA, ticket: generateNonce() }, // unknown ticket
      { ...sharesA, shares: sharesA.shares.slice(1) }, // a neighbour missing
      {
        ...sharesA,
        shares: [
          ...sharesA.shares.slice(1),
          { ...(sharesA.shares[1] as { to: number; ciphertext: string }) },
        ],
      }, // repeated
      { ...sharesA, shares: sharesA.shares.map((s, i) => (i === 0 ? { ...s, to: 99 } : s)) }, // non-neighbour
      {
        ...sharesA,
        shares: sharesA.shares.map((s, i) => (i === 0 ? { ...s, ciphertext: 'AAAA' } : s)),
      }, // bad size
    ];
    const codes = [
      'SECAGG_UNKNOWN_TICKET',
      'SECAGG_BAD_MESSAGE',
      'SECAGG_BAD_MESSAGE',
      'SECAGG_BAD_MESSAGE',
      'SECAGG_BAD_MESSAGE',
    ];
    forged.forEach((message, i) => {
      try {
        coordinator.addShares(message);
        expect.unreachable();
      } catch (error) {
        expectCode(error, codes[i] as string);
      }
    });
    expect(coordinator.counts.shares).toBe(0);
    coordinator.addShares(sharesA);
    coordinator.addShares(sharesA); // retry: no-op
    expect(() =>
      coordinator.addShares({ ...sharesA, shares: [...sharesA.shares].reverse() }),
    ).toThrow(SecAggError);
    expect(() => coordinator.admitInput(a.ticket)).toThrow(/phase/);
    for (const d of devices.slice(1))
      coordinator.addShares(await d.shareKeys(coordinator.roster(d.ticket)));
    coordinator.closeShares();

    // A tampered ciphertext in an inbox: the device refuses with SECAGG_DECRYPTION_FAILED.
    const inbox = coordinator.inbox(b.ticket);
    const tampered = {
      shares: inbox.shares.map((s, i) =>
        i === 0
          ? {
              ...s,
              ciphertext: `${s.ciphertext.slice(0, 40)}${s.ciphertext[40] === 'A' ? 'B' : 'A'}${s.ciphertext.slice(41)}`,
            }
          : s,
      ),
    };
    const input = randomInput(base.length, base.bits, seededBytes(5));
    await expect(b.maskInput(tampered, input)).rejects.toMatchObject({
      code: 'SECAGG_DECRYPTION_FAILED',
    });
    expect(b.phase).toBe('shared');

    let sum: Uint32Array = new Uint32Array(base.length);
    const inputs: Uint32Array[] = [];
    for (const d of devices) {
      const x = randomInput(base.length, base.bits, seededBytes(inputs.length + 20));
      inputs.push(x);
      accumulateModular(sum, await d.maskInput(coordinator.inbox(d.ticket), x), 1, base.bits);
      expect(coordinator.admitInput(d.ticket)).toBe(coordinator.slotOf(d.ticket));
    }
    expect(() => coordinator.admitInput(a.ticket)).toThrow(SecAggError);
    coordinator.closeInputs();
    const reveal = a.reveal(coordinator.unmaskRequest(a.ticket));
    const badReveals = [
      { ...reveal, seedShares: reveal.seedShares.slice(1) },
      {
        ...reveal,
        maskKeyShares: [
          {
            of: (reveal.seedShares[0] as { of: number }).of,
            share: (reveal.seedShares[0] as { share: string }).share,
          },
        ],
      },
      {
        ...reveal,
        seedShares: reveal.seedShares.map((s, i) =>
          i === 0 ? { ...s, share: '_'.repeat(88) } : s,
        ),
      },
    ];
    for (const message of badReveals)
      expect(() => coordinator.addReveal(message)).toThrow(SecAggError);
    expect(coordinator.counts.reveals).toBe(0);
    for (const d of devices) coordinator.addReveal(d.reveal(coordinator.unmaskRequest(d.ticket)));
    const expected = new Uint32Array(base.length);
    for (const x of inputs) accumulateModular(expected, x, 1, base.bits);
    sum = await coordinator.finish(sum);
    expect(sum).toEqual(expected);
  });
});
