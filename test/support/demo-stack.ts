/**
 * Runs `scripts/start.mjs` (the `npm start` job) for the demo tests: the real aggregation server
 * with an embedded store in a temporary data directory, the simulated readers, and the built site
 * served by `vite preview`. Ports: PRIVADS_DEMO_SITE_PORT (5190) and PRIVADS_DEMO_SERVER_PORT (8790);
 * PRIVADS_DEMO_NO_BUILD=1 skips `tsc -b` and the dashboard build (run `npm run build` first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A running demo. */
export interface DemoStack {
  readonly siteUrl: string;
  readonly serverUrl: string;
  readonly token: string;
  /** Everything the job printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export const DEMO_SITE_PORT = Number(process.env['PRIVADS_DEMO_SITE_PORT'] ?? 5190);
export const DEMO_SERVER_PORT = Number(process.env['PRIVADS_DEMO_SERVER_PORT'] ?? 8790);

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Starts the demo and resolves once it printed its URLs.
 * @param options.simulatedUsers - population size
 * @param options.roundSeconds - round length
 * @throws Error with the job's output when it exits or does not become ready within 3 minutes
 */
export async function startDemo(options: {
  simulatedUsers: number;
  roundSeconds: number;
}): Promise<DemoStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'privads-demo-'));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'scripts/start.mjs',
      '--site-port',
      String(DEMO_SITE_PORT),
      '--server-port',
      String(DEMO_SERVER_PORT),
      '--data',
      dataDir,
      '--simulated-users',
      String(options.simulatedUsers),
      '--round-seconds',
      String(options.roundSeconds),
      // Rounds of a few seconds are too short for the four phases of the distributed mode: these
      // tests run the demo's central rounds (the site opts in to them).
      '--privacy',
      'central',
      // After `npm run build` (as in CI), skip the TypeScript and dashboard builds.
      ...(process.env['PRIVADS_DEMO_NO_BUILD'] === '1' ? ['--no-build'] : []),
    ],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PRIVADS_OPERATOR_TOKEN: '' },
    },
  );
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 180_000;
  for (;;) {
    const token = /Operator token\s+(\S+)/.exec(log)?.[1];
    if (token !== undefined && log.includes('Press Ctrl-C')) {
      return {
        siteUrl: `http://127.0.0.1:${DEMO_SITE_PORT}`,
        serverUrl: `http://127.0.0.1:${DEMO_SERVER_PORT}`,
        token,
        output: () => log,
        stop,
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`npm start did not become ready:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
