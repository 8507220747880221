import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { CLI_USAGE, parseCliArgs, runCli } from '@privads/dp/run-cli';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const builtCli = `${packageDir}dist/cli.js`;

/** Runs the CLI in-process and captures what it writes. */
function run(...argv: string[]): { code: number; stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = runCli(argv, { stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l) });
  return { code, stdout, stderr };
}

/** Runs a successful command and parses its single JSON line. */
function json(...argv: string[]): Record<string, number> {
  const { code, stdout, stderr } = run(...argv);
  expect(stderr).toEqual([]);
  expect(code).toBe(0);
  expect(stdout).toHaveLength(1);
  return JSON.parse(stdout[0] as string) as Record<string, number>;
}

describe('privads-dp (in-process)', () => {
  it('epsilon: z = 1.5, q = 0.04, T = 2250, δ = 1e-5 → ε ≈ 7.3291 at order 3.9', () => {
    const out = json(
      'epsilon',
      '--noise-multiplier',
      '1.5',
      '--sample-rate',
      '0.04',
      '--steps',
      '2250',
      '--delta',
      '1e-5',
    );
    expect(Object.keys(out).sort()).toEqual(['epsilon', 'order']);
    expect(Math.abs((out.epsilon as number) - 7.3291)).toBeLessThan(0.001);
    expect(out.order).toBe(3.9);
  });

  it('epsilon: z = 1.2, q = 120/3383, T = 100, δ = 1e-5 → ε ≈ 1.986; --name=value works', () => {
    const out = json(
      'epsilon',
      '--noise-multiplier=1.2',
      `--sample-rate=${120 / 3383}`,
      '--steps=100',
      '--delta=1e-5',
    );
    expect(Math.abs((out.epsilon as number) - 1.986)).toBeLessThan(0.005);
  });

  it('epsilon --conversion classic is larger', () => {
    const args = [
      '--noise-multiplier',
      '1.5',
      '--sample-rate',
      '0.04',
      '--steps',
      '2250',
      '--delta',
      '1e-5',
    ];
    expect(json('epsilon', ...args, '--conversion', 'classic').epsilon).toBeGreaterThan(
      json('epsilon', ...args).epsilon as number,
    );
  });

  it('sigma: ε = 1, δ = 1e-5, Δ = 1 → σ = 3.730632, classic 4.844805', () => {
    const out = json('sigma', '--epsilon', '1', '--delta', '1e-5', '--sensitivity', '1');
    expect(Object.keys(out).sort()).toEqual(['classicSigma', 'sigma']);
    expect(Math.abs((out.sigma as number) - 3.730632)).toBeLessThan(1e-5);
    expect(Math.abs((out.classicSigma as number) - 4.844805)).toBeLessThan(1e-6);
    expect(json('sigma', '--epsilon', '1', '--delta', '1e-5').sigma).toBe(out.sigma);
  });

  it('zcdp: ρ = 0.025, δ = 1e-6 → ε = 1.0140743 (tight), 1.2003940 (standard)', () => {
    const out = json('zcdp', '--rho', '0.025', '--delta', '1e-6');
    expect(Math.abs((out.epsilon as number) - 1.0140743)).toBeLessThan(1e-7);
    expect(Math.abs((out.epsilonStandard as number) - 1.200394)).toBeLessThan(1e-6);
  });

  it('gaussian: z = 1, δ = 1e-6 → ε = 4.8866 for one participation and 31.599 for 21 (no amplification)', () => {
    const one = json(
      'gaussian',
      '--noise-multiplier',
      '1',
      '--participations',
      '1',
      '--delta',
      '1e-6',
    );
    expect(Math.abs((one.epsilon as number) - 4.8866)).toBeLessThan(1e-3);
    const many = json(
      'gaussian',
      '--noise-multiplier',
      '1',
      '--participations',
      '21',
      '--delta',
      '1e-6',
    );
    expect(Math.abs((many.epsilon as number) - 31.599)).toBeLessThan(1e-3);
    // The zCDP bound the ledger uses for the discrete Gaussian is never below the exact figure.
    expect(many.epsilonZcdp as number).toBeGreaterThan(many.epsilon as number);
  });

  it('noise-multiplier inverts epsilon', () => {
    const out = json(
      'noise-multiplier',
      '--epsilon',
      '7.3291',
      '--delta',
      '1e-5',
      '--sample-rate',
      '0.04',
      '--steps',
      '2250',
    );
    expect(Object.keys(out)).toEqual(['noiseMultiplier']);
    expect(Math.abs((out.noiseMultiplier as number) - 1.5)).toBeLessThan(1.5e-3);
  });

  it('distributed: the contract example (C = 1, d = 49 280, b = 20, z = 1, 100–300 devices, 21 participations)', () => {
    const out = json(
      'distributed',
      '--clip',
      '1',
      '--dimension',
      '49280',
      '--bits',
      '20',
      '--noise-multiplier',
      '1',
      '--min-devices',
      '100',
      '--max-devices',
      '300',
      '--participations',
      '21',
      '--delta',
      '1e-6',
    );
    expect(Object.keys(out).sort()).toEqual([
      'deviceSigma',
      'epsilon',
      'granularity',
      'paddedDimension',
      'rho',
      'roundedNormBound',
    ]);
    // Python reference values (see distributed-gaussian.test.ts).
    expect(out.paddedDimension).toBe(65_536);
    expect(out.granularity).toBeCloseTo(1.983686546809255e-5, 18);
    expect(out.deviceSigma).toBeCloseTo(5041.119029659663, 8);
    expect(out.roundedNormBound).toBeCloseTo(50411.85406538799, 7);
    expect(out.rho).toBeCloseTo(0.5000131671789023, 10);
    expect(out.epsilon).toBeCloseTo(33.28667627816516, 6);
  });

  it('distributed: a bad plan is a usage error quoting the value', () => {
    const { code, stderr } = run(
      'distributed',
      '--clip=1',
      '--dimension=10',
      '--bits=32',
      '--noise-multiplier=1',
      '--min-devices=2',
      '--max-devices=3',
      '--participations=1',
      '--delta=1e-6',
    );
    expect(code).toBe(2);
    expect(stderr[0]).toMatch(/bits must be an integer in \[8, 20\], got 32/);
  });

  it('--help prints the usage on stdout and exits 0', () => {
    const { code, stdout, stderr } = run('epsilon', '--help');
    expect(code).toBe(0);
    expect(stderr).toEqual([]);
    expect(stdout.join('\n')).toBe(CLI_USAGE);
    expect(parseCliArgs(['-h'])).toEqual({ command: 'help' });
  });

  it.each([
    [[], /missing command/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['sigma', '--epsilon', '1'], /missing required option '--delta'/],
    [['sigma', '--epsilon', 'one', '--delta', '1e-5'], /--epsilon must be a number, got 'one'/],
    [['sigma', '--epsilon', '0x10', '--delta', '1e-5'], /must be a number, got '0x10'/],
    [['sigma', '--epsilon', '1', '--delta'], /'--delta' needs a value/],
    [['sigma', '--epsilon', '1', '--delta', '1e-5', '--epsilon', '2'], /given twice/],
    [['sigma', '--epsilon', '1', '--delta', '1e-5', '--rho', '2'], /unknown option '--rho'/],
    [['sigma', 'stray', '--epsilon', '1', '--delta', '1e-5'], /unexpected argument 'stray'/],
    [
      [
        'epsilon',
        '--noise-multiplier',
        '1',
        '--sample-rate',
        '0.1',
        '--steps',
        '2.5',
        '--delta',
        '1e-5',
      ],
      /must be an integer/,
    ],
    [
      [
        'epsilon',
        '--noise-multiplier',
        '1',
        '--sample-rate',
        '0.1',
        '--steps',
        '10',
        '--delta',
        '1e-5',
        '--conversion',
        'best',
      ],
      /'improved' or 'classic'/,
    ],
    [
      ['sigma', '--epsilon', '-1', '--delta', '1e-5'],
      /epsilon must be a finite number > 0, got -1/,
    ],
    [['zcdp', '--rho', '0.1', '--delta', '1'], /delta must be in \(0, 1\), got 1/],
    [
      [
        'noise-multiplier',
        '--epsilon',
        '1e-4',
        '--delta',
        '1e-5',
        '--sample-rate',
        '0.1',
        '--steps',
        '10',
      ],
      /no noise multiplier/,
    ],
  ])('%j → one line on stderr, exit code 2', (argv, message) => {
    const { code, stdout, stderr } = run(...argv);
    expect(code).toBe(2);
    expect(stdout).toEqual([]);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(message);
    expect(stderr[0]).toMatch(/^privads-dp: /);
  });
});

describe('privads-dp (built binary)', () => {
  // CI builds (`npx tsc -b`) before running the unit tests; a bare checkout has no dist/.
  it.skipIf(!existsSync(builtCli))(
    'runs from dist/cli.js with node (skipped when dist/ is absent: run `npx tsc -b packages/dp`)',
    () => {
      const ok = spawnSync(
        process.execPath,
        [builtCli, 'sigma', '--epsilon', '1', '--delta', '1e-5'],
        { encoding: 'utf8' },
      );
      expect(ok.status).toBe(0);
      expect(ok.stderr).toBe('');
      const lines = ok.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(
        Math.abs((JSON.parse(lines[0] as string) as { sigma: number }).sigma - 3.730632),
      ).toBeLessThan(1e-5);

      const bad = spawnSync(process.execPath, [builtCli, 'sigma', '--epsilon', 'x'], {
        encoding: 'utf8',
      });
      expect(bad.status).toBe(2);
      expect(bad.stdout).toBe('');
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    },
  );

  it('has a shebang and its dist file is what the package bin runs', () => {
    expect(
      readFileSync(`${packageDir}src/cli.ts`, 'utf8').startsWith('#!/usr/bin/env node\n'),
    ).toBe(true);
    const pkg = JSON.parse(readFileSync(`${packageDir}package.json`, 'utf8')) as {
      bin: Record<string, string>;
    };
    expect(pkg.bin).toEqual({ 'privads-dp': './bin/privads-dp.js' });
    expect(readFileSync(`${packageDir}bin/privads-dp.js`, 'utf8')).toContain(
      "import '../dist/cli.js';",
    );
  });
});

describe('package boundary', () => {
  it('no source file but src/cli.ts uses Node modules or globals (the library is isomorphic)', () => {
    const srcDir = `${packageDir}src/`;
    const offenders = readdirSync(srcDir)
      .filter((f) => f.endsWith('.ts') && f !== 'cli.ts')
      .filter((f) =>
        /from ['"]node:|\brequire\(|\bprocess\.|\bBuffer\b/.test(readFileSync(srcDir + f, 'utf8')),
      );
    expect(offenders).toEqual([]);
  });
});
