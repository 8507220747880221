import { describe, expect, it } from 'vitest';
import { DeviceFleet, type Slate } from '@privads/sim';

// Three ads in a 2-d user space; the device always clicks ad 2 on a slate of all three. The
// catalog changed since the device learned: its vector points near ad 0 now.
const DIM = 2;
const projected = Float32Array.from([1, 0, 0, 1, -1, 0]);
const slates: Slate[] = Array.from({ length: 4 }, (_, t) => ({
  items: Int32Array.from([0, 1, 2]),
  clicked: Uint8Array.from([0, 0, 1]),
  time: t,
}));

const STALE = Float32Array.from([0.8, 0.6]);

function staleFleet(): DeviceFleet {
  const fleet = new DeviceFleet(1, STALE);
  fleet.learned[0] = slates.length;
  return fleet;
}

/** The score margin of the clicked ad over the best other ad, for the device's vector. */
function margin(u: Float32Array): number {
  const score = (i: number): number =>
    u[0]! * projected[i * DIM]! + u[1]! * projected[i * DIM + 1]!;
  return score(2) - Math.max(score(0), score(1));
}

describe('device-side personalisation', () => {
  it('leaves the vector alone with 0 epochs and refits it to the current catalog otherwise', () => {
    const untouched = staleFleet();
    untouched.personalize(0, slates, projected, 0);
    expect(untouched.vector(0)).toEqual(STALE);

    const once = staleFleet();
    once.personalize(0, slates, projected, 1);
    const thrice = staleFleet();
    thrice.personalize(0, slates, projected, 3);
    expect(margin(once.vector(0))).toBeGreaterThan(margin(untouched.vector(0)));
    expect(margin(thrice.vector(0))).toBeGreaterThan(margin(once.vector(0)));
    // Only slates the device has learned from count.
    const early = staleFleet();
    early.learned[0] = 0;
    early.personalize(0, slates, projected, 3);
    expect(early.vector(0)).toEqual(STALE);
  });
});
