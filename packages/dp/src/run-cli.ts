/**
 * The `privads-dp` command line, as a pure function of argv so that it can be tested in-process:
 * {@link runCli} writes through an injected {@link CliIo} and returns the exit code. `cli.ts` is
 * the only file that touches `process`.
 */
import { PrivacyParameterError } from '@privads/protocol';

import { analyticGaussianSigma, classicGaussianSigma } from './calibrate.js';
import { distributedGaussianEpsilon, distributedGaussianRho } from './distributed-gaussian.js';
import { composedNoiseMultiplier, gaussianEpsilon } from './gaussian-composition.js';
import { findNoiseMultiplier } from './noise-search.js';
import { RdpAccountant } from './rdp-accountant.js';
import type { RdpConversion } from './rdp-conversion.js';
import { planSecureSumEncoding, roundedNormBound } from './secure-sum-encoding.js';
import { gaussianZcdp, zcdpToEpsilon, zcdpToEpsilonStandard } from './zcdp.js';

/** Where the CLI writes; each call receives one line without its newline. */
export interface CliIo {
  /** Result output: exactly one JSON object per successful call. */
  stdout(line: string): void;
  /** Diagnostics: one line per error. */
  stderr(line: string): void;
}

/** Usage text printed by `--help`. */
export const CLI_USAGE = `Usage: privads-dp <command> [options]   (every option takes a value: --name V or --name=V)

Commands (each prints one JSON object on stdout):
  epsilon           --noise-multiplier Z --sample-rate Q --steps T --delta D [--conversion improved|classic]
                    ε of T Poisson-subsampled Gaussian steps (RDP accountant, default orders)
                    → {"epsilon": …, "order": …}
  sigma             --epsilon E --delta D [--sensitivity S]   (S defaults to 1)
                    σ for one Gaussian release: analytic (Balle & Wang 2018) and classic bound
                    → {"sigma": …, "classicSigma": …}
  gaussian          --noise-multiplier Z --participations P --delta D
                    ε of one device after P Gaussian releases, no amplification: exact (Gaussian
                    DP) and the zCDP bound of the discrete Gaussian the ledger uses
                    → {"epsilon": …, "epsilonZcdp": …}
  zcdp              --rho R --delta D
                    ε of ρ-zCDP: tight conversion (CKS 2020) and standard ρ + 2√(ρ log 1/δ)
                    → {"epsilon": …, "epsilonStandard": …}
  noise-multiplier  --epsilon E --delta D --sample-rate Q --steps T [--conversion improved|classic]
                    [--tolerance R]   smallest z with ε(z) ≤ E, up to relative tolerance R (1e-4)
                    → {"noiseMultiplier": …}
  distributed       --clip C --dimension d --bits B --noise-multiplier Z --min-devices K
                    --max-devices M --participations P --delta D [--beta β] [--tail-std-devs k]
                    the secure-sum plan (distributed discrete Gaussian, Kairouz et al. 2021) and
                    ε of P releases, each summing K to M devices (zCDP, tight conversion)
                    → {"paddedDimension", "granularity", "deviceSigma", "roundedNormBound", "rho", "epsilon"}

Exit codes: 0 success, 2 bad or missing arguments, 1 internal error.`;

/** A usage mistake: reported on stderr with exit code 2. */
class UsageError extends Error {}

type Kind = 'number' | 'integer' | 'conversion';

interface OptionSpec {
  readonly kind: Kind;
  readonly required: boolean;
}

const req = (kind: Kind): OptionSpec => ({ kind, required: true });
const opt = (kind: Kind): OptionSpec => ({ kind, required: false });

const COMMANDS = {
  epsilon: {
    'noise-multiplier': req('number'),
    'sample-rate': req('number'),
    steps: req('integer'),
    delta: req('number'),
    conversion: opt('conversion'),
  },
  sigma: { epsilon: req('number'), delta: req('number'), sensitivity: opt('number') },
  zcdp: { rho: req('number'), delta: req('number') },
  gaussian: {
    'noise-multiplier': req('number'),
    participations: req('integer'),
    delta: req('number'),
  },
  'noise-multiplier': {
    epsilon: req('number'),
    delta: req('number'),
    'sample-rate': req('number'),
    steps: req('integer'),
    conversion: opt('conversion'),
    tolerance: opt('number'),
  },
  distributed: {
    clip: req('number'),
    dimension: req('integer'),
    bits: req('integer'),
    'noise-multiplier': req('number'),
    'min-devices': req('integer'),
    'max-devices': req('integer'),
    participations: req('integer'),
    delta: req('number'),
    beta: opt('number'),
    'tail-std-devs': opt('number'),
  },
} as const satisfies Record<string, Record<string, OptionSpec>>;

/** The plan does not depend on the rotation seed; accounting uses this placeholder. */
const ACCOUNTING_SEED = new Uint8Array(16).fill(1);

/** A command name of `privads-dp`. */
export type CliCommandName = keyof typeof COMMANDS;

type OptionValue = number | RdpConversion;

/** A parsed command line. */
export type CliInvocation =
  | { readonly command: 'help' }
  | {
      readonly command: CliCommandName;
      /** Option values by option name (without `--`), already typed. */
      readonly options: Readonly<Record<string, OptionValue>>;
    };

// Plain decimal or scientific notation only: Number() would also accept '', '0x10', 'Infinity'.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseValue(name: string, kind: Kind, raw: string): OptionValue {
  if (kind === 'conversion') {
    if (raw === 'improved' || raw === 'classic') return raw;
    throw new UsageError(`--${name} must be 'improved' or 'classic', got '${raw}'`);
  }
  if (!NUMBER.test(raw)) throw new UsageError(`--${name} must be a number, got '${raw}'`);
  const value = Number(raw);
  if (kind === 'integer' && !Number.isSafeInteger(value)) {
    throw new UsageError(`--${name} must be an integer, got '${raw}'`);
  }
  return value;
}

function isCommand(name: string): name is CliCommandName {
  return Object.hasOwn(COMMANDS, name);
}

/**
 * Parses `privads-dp` arguments (argv without the node and script paths).
 * @param argv - e.g. `['epsilon', '--delta', '1e-5', …]`
 * @returns the command and its typed options, or `{command: 'help'}` when `--help`/`-h` appears
 * @throws Error (a usage error, exit code 2 in {@link runCli}) on an unknown command or option, a
 *   missing, repeated or non-numeric value
 */
export function parseCliArgs(argv: readonly string[]): CliInvocation {
  if (argv.includes('--help') || argv.includes('-h')) return { command: 'help' };
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError('missing command (try --help)');
  if (!isCommand(name)) throw new UsageError(`unknown command '${name}' (try --help)`);
  const specs: Readonly<Record<string, OptionSpec>> = COMMANDS[name];
  const options: Record<string, OptionValue> = {};
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i] as string;
    if (!token.startsWith('--')) throw new UsageError(`unexpected argument '${token}'`);
    const eq = token.indexOf('=');
    const key = eq >= 0 ? token.slice(2, eq) : token.slice(2);
    const spec = specs[key];
    if (spec === undefined) throw new UsageError(`unknown option '--${key}' for '${name}'`);
    if (Object.hasOwn(options, key)) throw new UsageError(`option '--${key}' given twice`);
    const raw = eq >= 0 ? token.slice(eq + 1) : rest[++i];
    if (raw === undefined) throw new UsageError(`option '--${key}' needs a value`);
    options[key] = parseValue(key, spec.kind, raw);
  }
  for (const [key, spec] of Object.entries(specs)) {
    if (spec.required && !Object.hasOwn(options, key)) {
      throw new UsageError(`missing required option '--${key}' for '${name}'`);
    }
  }
  return { command: name, options };
}

function num(options: Readonly<Record<string, OptionValue>>, key: string): number {
  return options[key] as number;
}

function execute(command: CliCommandName, o: Readonly<Record<string, OptionValue>>): object {
  const conversion = (o.conversion as RdpConversion | undefined) ?? 'improved';
  switch (command) {
    case 'epsilon':
      return new RdpAccountant()
        .step(num(o, 'noise-multiplier'), num(o, 'sample-rate'), num(o, 'steps'))
        .getEpsilon(num(o, 'delta'), conversion);
    case 'sigma': {
      const sensitivity = (o.sensitivity as number | undefined) ?? 1;
      return {
        sigma: analyticGaussianSigma(num(o, 'epsilon'), num(o, 'delta'), sensitivity),
        classicSigma: classicGaussianSigma(num(o, 'epsilon'), num(o, 'delta'), sensitivity),
      };
    }
    case 'zcdp':
      return {
        epsilon: zcdpToEpsilon(num(o, 'rho'), num(o, 'delta')),
        epsilonStandard: zcdpToEpsilonStandard(num(o, 'rho'), num(o, 'delta')),
      };
    case 'gaussian': {
      // P Gaussian releases of multiplier z are one of multiplier z/√P (Gaussian DP, exact), and
      // P·1/(2z²)-zCDP (the bound the server's ledger uses for the discrete Gaussian it samples).
      const z = num(o, 'noise-multiplier');
      const p = num(o, 'participations');
      const delta = num(o, 'delta');
      return {
        epsilon: gaussianEpsilon(composedNoiseMultiplier(Array<number>(p).fill(z)), delta),
        epsilonZcdp: zcdpToEpsilon(p * gaussianZcdp(z), delta),
      };
    }
    case 'noise-multiplier':
      return {
        noiseMultiplier: findNoiseMultiplier({
          targetEpsilon: num(o, 'epsilon'),
          delta: num(o, 'delta'),
          sampleRate: num(o, 'sample-rate'),
          steps: num(o, 'steps'),
          conversion,
          ...(o.tolerance === undefined ? {} : { tolerance: o.tolerance as number }),
        }),
      };
    case 'distributed': {
      const encoding = planSecureSumEncoding({
        clipNorm: num(o, 'clip'),
        dimension: num(o, 'dimension'),
        bits: num(o, 'bits'),
        noiseMultiplier: num(o, 'noise-multiplier'),
        minDevices: num(o, 'min-devices'),
        maxDevices: num(o, 'max-devices'),
        rotationSeed: ACCOUNTING_SEED,
        ...(o.beta === undefined ? {} : { beta: o.beta as number }),
        ...(o['tail-std-devs'] === undefined ? {} : { tailStdDevs: o['tail-std-devs'] as number }),
      });
      const query = {
        encoding,
        devices: num(o, 'min-devices'),
        maxDevices: num(o, 'max-devices'),
      };
      return {
        paddedDimension: encoding.paddedDimension,
        granularity: encoding.granularity,
        deviceSigma: encoding.deviceSigma,
        roundedNormBound: roundedNormBound(encoding),
        rho: distributedGaussianRho(query),
        epsilon: distributedGaussianEpsilon({
          ...query,
          participations: num(o, 'participations'),
          delta: num(o, 'delta'),
        }),
      };
    }
  }
}

/**
 * Runs `privads-dp`.
 * @param argv - arguments after the script path
 * @param io - output sinks
 * @returns the exit code: 0 success (one JSON line on stdout), 2 usage or parameter error (one line
 *   on stderr), 1 unexpected failure
 */
export function runCli(argv: readonly string[], io: CliIo): number {
  try {
    const invocation = parseCliArgs(argv);
    if (invocation.command === 'help') {
      CLI_USAGE.split('\n').forEach((line) => io.stdout(line));
      return 0;
    }
    io.stdout(JSON.stringify(execute(invocation.command, invocation.options)));
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Option values are always numbers here, so a TypeError can only be a bug: exit code 1.
    const isUsage =
      error instanceof UsageError ||
      error instanceof RangeError ||
      error instanceof PrivacyParameterError;
    io.stderr(`privads-dp: ${isUsage ? '' : 'internal error: '}${message.replace(/\n/g, ' ')}`);
    return isUsage ? 2 : 1;
  }
}
