import { generateNonce } from '@privads/protocol';
import {
  SecAggCoordinator,
  SecAggDevice,
  accumulateModular,
  createNobleKeyAgreement,
  resolveKeyAgreement,
} from '@privads/secagg';
import type { KeyAgreement, SecAggCoordinatorOptions } from '@privads/secagg';

/** A seeded xorshift byte source: reproducible rounds in tests (never for real keys). */
export function seededBytes(seed: number): (length: number) => Uint8Array {
  let s = seed >>> 0 || 1;
  return (length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = s & 0xff;
    }
    return out;
  };
}

export const noble: KeyAgreement = createNobleKeyAgreement();
export const fastest: Promise<KeyAgreement> = resolveKeyAgreement().then((r) => r.keyAgreement);

/** Random inputs below 2^bits. */
export function randomInput(
  length: number,
  bits: number,
  random: (n: number) => Uint8Array,
): Uint32Array {
  const words = new Uint32Array(random(length * 4).buffer);
  const mask = bits === 32 ? 0xffffffff : 2 ** bits - 1;
  return words.map((w) => (w & mask) >>> 0);
}

/** A round advanced to the unmask phase, with the masked sum of the survivors. */
export interface PreparedRound {
  coordinator: SecAggCoordinator;
  devices: Map<string, SecAggDevice>;
  inputs: Map<string, Uint32Array>;
  survivors: string[];
  maskedSum: Uint32Array;
}

/** Chooses the slots of U₁ that never post their input, given each slot's neighbours. */
export type DropPicker = (graph: ReadonlyMap<number, readonly number[]>) => ReadonlySet<number>;

/** Drops slots 1..count (whatever the graph). */
export const dropFirst =
  (count: number): DropPicker =>
  () =>
    new Set(Array.from({ length: count }, (_, i) => i + 1));

/**
 * Drops `count` slots such that every slot keeps at least `threshold` surviving neighbours, so
 * every secret stays reconstructible (with t = 5 of k = 8, a slot tolerates 3 dropped neighbours;
 * a uniformly random 30% dropout breaks that for about one slot in five). The neighbour graph is
 * random (fresh tickets), and a greedy pass in one order can get stuck where another order
 * succeeds, so it tries the slots in up to 200 seeded orders.
 */
export const dropSpread =
  (count: number, threshold: number): DropPicker =>
  (graph) => {
    const slots = [...graph.keys()];
    let state = 0x2545f491;
    const shuffled = (): number[] => {
      const order = [...slots];
      for (let i = order.length - 1; i > 0; i--) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        const j = state % (i + 1);
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      return order;
    };
    for (let attempt = 0; attempt < 200; attempt++) {
      const dropped = new Set<number>();
      const alive = (slot: number) =>
        (graph.get(slot) ?? []).filter((v) => !dropped.has(v)).length >= threshold;
      for (const slot of attempt === 0 ? slots : shuffled()) {
        if (dropped.size === count) break;
        dropped.add(slot);
        if (!slots.every(alive)) dropped.delete(slot);
      }
      if (dropped.size === count) return dropped;
    }
    throw new Error(`cannot drop ${count} slots and keep ${threshold}`);
  };

/** Runs phases 1–3 with `count` devices; the slots `pickDropped` returns never post their input. */
export async function prepareRound(
  options: Omit<SecAggCoordinatorOptions, 'keyAgreement'> & { keyAgreement: KeyAgreement },
  count: number,
  pickDropped: DropPicker,
  seed = 1,
): Promise<PreparedRound> {
  const random = seededBytes(seed);
  const coordinator = new SecAggCoordinator(options);
  const devices = new Map<string, SecAggDevice>();
  for (let i = 0; i < count; i++) {
    const device = await SecAggDevice.create({
      roundId: options.roundId,
      bits: options.bits,
      length: options.length,
      threshold: options.threshold,
      ticket: generateNonce(),
      keyAgreement: options.keyAgreement,
    });
    devices.set(device.ticket, device);
    coordinator.addKeys(device.advertise());
  }
  coordinator.closeKeys();
  const graph = new Map<number, number[]>();
  for (const device of devices.values()) {
    const roster = coordinator.roster(device.ticket);
    graph.set(
      roster.slot,
      roster.neighbours.map((n) => n.slot),
    );
    coordinator.addShares(await device.shareKeys(roster));
  }
  const drop = pickDropped(graph);
  coordinator.closeShares();
  const inputs = new Map<string, Uint32Array>();
  const survivors: string[] = [];
  const maskedSum = new Uint32Array(options.length);
  for (const device of devices.values()) {
    const input = randomInput(options.length, options.bits, random);
    inputs.set(device.ticket, input);
    const masked = await device.maskInput(coordinator.inbox(device.ticket), input);
    if (!drop.has(device.slot as number)) {
      coordinator.admitInput(device.ticket);
      accumulateModular(maskedSum, masked, 1, options.bits);
      survivors.push(device.ticket);
    }
  }
  coordinator.closeInputs();
  return { coordinator, devices, inputs, survivors, maskedSum };
}

/** Σ inputs of `tickets` mod 2^bits. */
export function plainSum(
  inputs: Map<string, Uint32Array>,
  tickets: readonly string[],
  length: number,
  bits: number,
): Uint32Array {
  const sum = new Uint32Array(length);
  for (const t of tickets) accumulateModular(sum, inputs.get(t) as Uint32Array, 1, bits);
  return sum;
}
