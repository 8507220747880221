/**
 * One distributed round of simulated devices: every device runs the browser's own driver
 * (`takePartInSecureRound` of `@privads/model/secure-upload`) against the real server, all at once.
 * A device chosen to drop out vanishes right after masking: its masked upload never leaves, and it
 * neither posts its input nor reveals. The simulation only plays the clock: once every device has
 * posted its keys it ends the keys phase (a real round waits for its deadline or a full cohort), and
 * once the survivors' inputs are in it ends the input phase the vanished devices hold open.
 */
import type { RandomSource } from '@privads/dp';
import {
  takePartInSecureRound,
  type SecureRoundOutcome,
  type SecureRoundStep,
  type SecureRoundTransport,
} from '@privads/model/secure-upload';
import type { DeviceAdCounts } from '@privads/model/round-upload';
import { PrivAdsError, type RoundConfig } from '@privads/protocol';
import type { Aggregator } from './aggregator.js';

/** One simulated device in a distributed round. */
export interface SecureDevice {
  /** Its round gradient (zeros without clicks). */
  readonly gradient: Float32Array;
  /** Its per-item counts, when the round asks for them. */
  readonly counts?: DeviceAdCounts;
  /** Whether it vanishes after masking. */
  readonly dropsAfterMasking: boolean;
  /** Randomness of its rounding and noise (seeded in simulations). */
  readonly source: RandomSource;
}

/** What became of each device: the driver's outcome, or `vanished`. */
export type SecureDeviceResult = SecureRoundOutcome | { readonly status: 'vanished' };

/** Options of {@link runSecureRound}. */
export interface SecureRoundRunOptions {
  /**
   * Pause between two polls of a waiting device, in real ms.
   * @defaultValue 10
   */
  readonly pollMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Why a vanishing device's upload fails: it never leaves the device. */
const VANISHED = 'simulated dropout after masking';

/** A transport whose masked upload never arrives: the device stops right there. */
function vanishingAfterMasking(
  transport: SecureRoundTransport,
  controller: AbortController,
  onVanish: () => void,
): SecureRoundTransport {
  return {
    getJson: (path) => transport.getJson(path),
    postJson: (path, body) => transport.postJson(path, body),
    postBytes: () => {
      controller.abort(VANISHED);
      onVanish();
      return Promise.reject(new PrivAdsError('NETWORK', VANISHED));
    },
  };
}

/**
 * Runs every device of a distributed round concurrently through the shared driver.
 * @param aggregator - the server (its transport and clock)
 * @param config - the open round, in distributed mode
 * @param devices - the sampled devices
 * @param options - polling
 * @returns each device's result, in order
 * @throws whatever a device's driver throws other than its simulated dropout
 */
export async function runSecureRound(
  aggregator: Aggregator,
  config: RoundConfig,
  devices: readonly SecureDevice[],
  options: SecureRoundRunOptions = {},
): Promise<SecureDeviceResult[]> {
  const pollMs = options.pollMs ?? 10;
  // Devices past their keys, and past their input (posted, vanished, or out of the round).
  const pastKeys = new Set<number>();
  const pastInput = new Set<number>();
  const runs = devices.map(async (device, i): Promise<SecureDeviceResult> => {
    const controller = new AbortController();
    const transport = device.dropsAfterMasking
      ? vanishingAfterMasking(aggregator.transport, controller, () => pastInput.add(i))
      : aggregator.transport;
    try {
      return await takePartInSecureRound(config, device.gradient, transport, {
        source: device.source,
        pollMs,
        signal: controller.signal,
        onPhase: (step: SecureRoundStep) => {
          if (step === 'keys') pastKeys.add(i);
          if (step === 'input') pastInput.add(i);
        },
        ...(device.counts ? { counts: device.counts } : {}),
      });
    } catch (error) {
      if (controller.signal.aborted) return { status: 'vanished' };
      throw error;
    } finally {
      pastKeys.add(i);
      pastInput.add(i);
    }
  });
  const all = Promise.all(runs);
  // A failure is reported by the `return all` below; until then it must not count as unhandled.
  all.catch(() => undefined);
  let done = false;
  // Stop waiting as soon as every device is done, failures included (`all` reports them).
  void Promise.allSettled(runs).then(() => (done = true));
  const until = async (condition: () => boolean): Promise<void> => {
    while (!done && !condition()) await sleep(pollMs);
  };
  const n = devices.length;
  await until(() => pastKeys.size === n);
  await aggregator.passPhaseDeadline(config.roundId, 'keys');
  if (devices.some((d) => d.dropsAfterMasking)) {
    await until(() => pastInput.size === n);
    await aggregator.passPhaseDeadline(config.roundId, 'input');
  }
  return all;
}
