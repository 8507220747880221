#!/usr/bin/env node
/**
 * Entry point of the `privads-dp` binary (Node only; the rest of the package is isomorphic).
 * Everything but the process plumbing lives in `run-cli.ts`.
 */
import { runCli } from './run-cli.js';

process.exitCode = runCli(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
});
