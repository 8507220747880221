/**
 * Every bin of the workspace, run as `npx` runs it: through the checked-in shim in the package's
 * `bin/` (npm links a bin only if its file exists at install time, before `dist/` is built), with
 * `--help` on every command. The simulator depends on every package that has a bin.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));

/** package folder, bin name, each command's arguments before `--help`, what its usage starts with */
const BINS: [string, string, [string[], RegExp][]][] = [
  [
    'dp',
    'privads-dp',
    [
      [],
      ...['epsilon', 'sigma', 'gaussian', 'zcdp', 'noise-multiplier', 'distributed'].map((c) => [
        c,
      ]),
    ].map((args): [string[], RegExp] => [args, /^Usage: privads-dp <command>/]),
  ],
  [
    'server',
    'privads-server',
    [
      [[], /^usage:\n {2}privads-server start/],
      [['start'], /^usage: privads-server start --port P --data DIR/],
      [['catalog', 'import'], /^usage: privads-server catalog import FILE\.jsonl/],
      [['pull'], /^usage: privads-server pull --url URL/],
    ],
  ],
  [
    'sim',
    'privads-sim',
    [
      [[], /^Usage: privads-sim run --dataset/],
      [['run'], /^Usage: privads-sim run --dataset/],
    ],
  ],
  ['encoder-node', 'privads-encode', [[[], /^Usage: privads-encode --input/]]],
];

describe.each(BINS)('%s: bin %s', (pkg, name, commands) => {
  const shim = `${packagesDir}${pkg}/bin/${name}.js`;

  it('is the package bin, executable, and runs dist/cli.js', () => {
    const manifest = JSON.parse(readFileSync(`${packagesDir}${pkg}/package.json`, 'utf8')) as {
      bin: Record<string, string>;
      files: string[];
    };
    expect(manifest.bin).toEqual({ [name]: `./bin/${name}.js` });
    expect(manifest.files).toContain('bin');
    expect(() => accessSync(shim, constants.X_OK)).not.toThrow();
    expect(readFileSync(shim, 'utf8')).toMatch(
      /^#!\/usr\/bin\/env node\n[^]*import '\.\.\/dist\/cli\.js';/,
    );
  });

  it.each(commands)('%j --help prints that usage on stdout and exits 0', (args, usage) => {
    const run = spawnSync(process.execPath, [shim, ...args, '--help'], { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(usage);
  });
});

describe('published packages', () => {
  const PUBLISHED = [
    'protocol',
    'dp',
    'secagg',
    'model',
    'encoder',
    'encoder-node',
    'client',
    'server',
    'sim',
  ];

  it.each(PUBLISHED)('%s packs a README (install, example) and the LICENSE', (pkg) => {
    const manifest = JSON.parse(readFileSync(`${packagesDir}${pkg}/package.json`, 'utf8')) as {
      files: string[];
      license: string;
      scripts: Record<string, string>;
    };
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.files).toEqual(expect.arrayContaining(['README.md', 'LICENSE']));
    // The LICENSE is copied from the repository root when the package is packed.
    expect(manifest.scripts.prepack).toBe('node ../../scripts/copy-license.mjs');
    const readme = readFileSync(`${packagesDir}${pkg}/README.md`, 'utf8');
    expect(readme).toMatch(new RegExp(`^# @privads/${pkg}\\n`));
    expect(readme).toMatch(/## Install\n[^]*npm install @privads\//);
    expect(readme).toMatch(/## Example\n\n```js\n/);
  });
});
