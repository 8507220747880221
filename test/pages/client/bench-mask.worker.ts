/// <reference lib="webworker" />
/**
 * A device's masking cost in a worker, as the client runs it in a distributed round: the
 * projector's 49,280-parameter update quantized with its discrete Gaussian noise share
 * (`quantizeForSecureSum`: clip, randomized Hadamard rotation to 65,536 words, conditional
 * rounding, noise), its keys shared with its neighbours (`shareKeys`: X25519, Shamir, AEAD) and its
 * input masked (`maskInput`: one PRG expansion per neighbour plus its self mask). The other devices
 * and the coordinator run in the same worker, untimed. Baseline: one plain Float32 pass over the
 * same vector (L2 norm and scaling into a padded copy), the least any encoding must do.
 */
import { planSecureSumEncoding, quantizeForSecureSum } from '@privads/dp';
import { generateNonce } from '@privads/protocol';
import { SecAggCoordinator, SecAggDevice, resolveKeyAgreement } from '@privads/secagg';
import type { MaskBenchRequest, MaskBenchResult, MaskBenchRow } from './bench-mask-result.js';

const PARAMETERS = 49_280;
const PADDED = 65_536;
const BITS = 20;

const ms = (t0: number): number => performance.now() - t0;

function row(step: string, times: readonly number[], note: string): MaskBenchRow {
  const sorted = [...times].sort((a, b) => a - b);
  const round = (x: number): number => Number(x.toFixed(3));
  return {
    step,
    p50: round(sorted[Math.floor(sorted.length / 2)] as number),
    min: round(sorted[0] as number),
    max: round(sorted[sorted.length - 1] as number),
    note,
  };
}

function gradient(seed: number): Float32Array {
  const g = new Float32Array(PARAMETERS);
  for (let i = 0; i < PARAMETERS; i++) g[i] = Math.sin(seed * 12.9898 + i * 78.233) * 0.01;
  return g;
}

/** The baseline: ‖g‖₂ and g·(C/‖g‖) into a zero-padded Float32Array. */
function plainPass(g: Float32Array): Float32Array {
  let sq = 0;
  for (let i = 0; i < g.length; i++) sq += (g[i] as number) ** 2;
  const scale = 1 / Math.max(1, Math.sqrt(sq));
  const out = new Float32Array(PADDED);
  for (let i = 0; i < g.length; i++) out[i] = (g[i] as number) * scale;
  return out;
}

async function measure(request: MaskBenchRequest): Promise<MaskBenchResult> {
  const { iterations, neighbours } = request;
  const { keyAgreement } = await resolveKeyAgreement();
  const threshold = Math.floor(neighbours / 2) + 1;
  const rotationSeed = crypto.getRandomValues(new Uint8Array(16));
  // The server's default round: z = 4 over k_min = 100 shares, at most 1,000 devices, 2^20.
  const encoding = planSecureSumEncoding({
    clipNorm: 1,
    dimension: PARAMETERS,
    bits: BITS,
    noiseMultiplier: 4,
    minDevices: 100,
    maxDevices: 1000,
    rotationSeed,
  });
  const baseline: number[] = [];
  const quantize: number[] = [];
  const share: number[] = [];
  const mask: number[] = [];
  const total: number[] = [];
  for (let run = 0; run <= iterations; run++) {
    const g = gradient(run + 1);
    let t0 = performance.now();
    plainPass(g);
    const baselineMs = ms(t0);

    const params = { roundId: run + 1, bits: BITS, length: PADDED, threshold };
    const coordinator = new SecAggCoordinator({
      ...params,
      degree: neighbours,
      maxCohort: neighbours + 1,
      minInputs: threshold + 1,
      keyAgreement,
    });
    // n = k + 1 devices form a complete graph: each has exactly `neighbours` neighbours.
    const devices: SecAggDevice[] = [];
    for (let i = 0; i <= neighbours; i++) {
      const device = await SecAggDevice.create({
        ...params,
        ticket: generateNonce(),
        keyAgreement,
      });
      devices.push(device);
      coordinator.addKeys(device.advertise());
    }
    coordinator.closeKeys();
    const timed = devices[0] as SecAggDevice;
    t0 = performance.now();
    const input = quantizeForSecureSum(g, encoding);
    const quantizeMs = ms(t0);
    let shareMs = 0;
    for (const device of devices) {
      const roster = coordinator.roster(device.ticket);
      t0 = performance.now();
      const shares = await device.shareKeys(roster);
      if (device === timed) shareMs = ms(t0);
      coordinator.addShares(shares);
    }
    coordinator.closeShares();
    const inbox = coordinator.inbox(timed.ticket);
    t0 = performance.now();
    await timed.maskInput(inbox, input.values);
    const maskMs = ms(t0);
    // The first run warms up the JIT and the key-agreement backend.
    if (run === 0) continue;
    baseline.push(baselineMs);
    quantize.push(quantizeMs);
    share.push(shareMs);
    mask.push(maskMs);
    total.push(quantizeMs + shareMs + maskMs);
  }
  return {
    keyAgreement: keyAgreement.name,
    parameters: {
      parameters: PARAMETERS,
      paddedDimension: PADDED,
      bits: BITS,
      neighbours,
      threshold,
      deviceSigma: encoding.deviceSigma,
      iterations,
    },
    rows: [
      row('baseline-f32-pass', baseline, 'L2 norm + scale into a padded Float32Array'),
      row(
        'quantize',
        quantize,
        'clip, rotate, round, discrete Gaussian share (quantizeForSecureSum)',
      ),
      row('shareKeys', share, `X25519 + Shamir + AEAD for ${neighbours} neighbours`),
      row('maskInput', mask, `${neighbours} pairwise masks + self mask over ${PADDED} words`),
      row('total', total, 'quantize + shareKeys + maskInput'),
    ],
  };
}

self.onmessage = (event: MessageEvent<MaskBenchRequest>) => {
  measure(event.data).then(
    (result) => self.postMessage(result),
    (error: unknown) =>
      self.postMessage({
        rows: [],
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      }),
  );
};
