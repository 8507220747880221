#!/usr/bin/env node
/**
 * Entry point of the `privads-sim` binary; everything but the process plumbing is in `run-cli.ts`.
 */
import { runSimCli } from './run-cli.js';

const { code } = await runSimCli(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: { tty: process.stderr.isTTY === true, write: (text) => process.stderr.write(text) },
});
process.exitCode = code;
