#!/usr/bin/env node
// Runs every suite (Vitest unit suites of all packages, the Playwright end-to-end suite, then the
// bundler suite: fresh Vite, webpack and esbuild apps built from the packed client),
// streams their output, and ends with one line `N passed, N failed` summed over all
// suites — the line CI reads. A suite that dies without writing its report counts as one failure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const reports = `${root}.reports`;
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

/** @typedef {{ name: string, passed: number, failed: number, skipped: number }} SuiteResult */

/** @returns {SuiteResult} */
function runSuite(name, command, args, env, readCounts) {
  console.log(`\n=== ${name}: ${command} ${args.join(' ')}`);
  const run = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  try {
    const counts = readCounts();
    // A runner that exits non-zero with every test passing (e.g. an error outside a test) still fails.
    const crashed = run.status !== 0 && counts.failed === 0 ? 1 : 0;
    return { name, ...counts, failed: counts.failed + crashed };
  } catch (error) {
    console.error(`${name}: no report (${error instanceof Error ? error.message : String(error)})`);
    return { name, passed: 0, failed: 1, skipped: 0 };
  }
}

const readJson = (file) => JSON.parse(readFileSync(`${reports}/${file}`, 'utf8'));

const results = [
  runSuite(
    'unit (vitest)',
    process.execPath,
    [
      'node_modules/vitest/vitest.mjs',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${reports}/vitest.json`,
    ],
    {},
    () => {
      const report = readJson('vitest.json');
      // A test file that fails to load has no test results of its own: count it as one failure.
      const brokenFiles = report.testResults.filter(
        (file) => file.status === 'failed' && file.assertionResults.length === 0,
      ).length;
      return {
        passed: report.numPassedTests,
        failed: report.numFailedTests + brokenFiles,
        skipped: report.numPendingTests + report.numTodoTests,
      };
    },
  ),
  ...[
    ['end-to-end (playwright)', 'test/playwright.config.ts', 'playwright.json'],
    ['bundlers (playwright)', 'test/bundlers/playwright.config.ts', 'bundlers.json'],
  ].map(([name, config, report]) =>
    runSuite(
      name,
      process.execPath,
      ['node_modules/@playwright/test/cli.js', 'test', '-c', config, '--reporter=list,json'],
      { PLAYWRIGHT_JSON_OUTPUT_NAME: `${reports}/${report}` },
      () => {
        const { stats } = readJson(report);
        return {
          passed: stats.expected + stats.flaky,
          failed: stats.unexpected,
          skipped: stats.skipped,
        };
      },
    ),
  ),
];

console.log('');
for (const r of results)
  console.log(`${r.name}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
const total = results.reduce(
  (sum, r) => ({
    passed: sum.passed + r.passed,
    failed: sum.failed + r.failed,
    skipped: sum.skipped + r.skipped,
  }),
  { passed: 0, failed: 0, skipped: 0 },
);
if (total.skipped > 0) console.log(`${total.skipped} skipped`);
// The last line is the one CI reads: exactly `N passed, N failed`.
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exit(total.failed === 0 ? 0 : 1);
