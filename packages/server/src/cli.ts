#!/usr/bin/env node
/**
 * `privads-server` bin entry: runs {@link runServerCli} with the process's arguments and stops a
 * started server cleanly on SIGINT/SIGTERM.
 */
import { runServerCli } from './cli-main.js';

const { code, server } = await runServerCli(process.argv.slice(2), {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  progress: {
    tty: process.stderr.isTTY,
    write: (text) => void process.stderr.write(text),
  },
  env: process.env,
});
if (server) {
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} else {
  process.exitCode = code;
}
