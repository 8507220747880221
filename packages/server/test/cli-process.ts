/**
 * Runs the real `privads-server` bin (built `dist/cli.js`) as a child process.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Builds the server package and its references (incremental: fast when up to date). */
export async function buildServer(): Promise<void> {
  await promisify(execFile)(
    process.execPath,
    [
      fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url)),
      '-b',
      'packages/server',
    ],
    { cwd: ROOT },
  );
}

/** A started server process. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** stderr so far (JSON log lines). */
  log: () => string;
}

/**
 * Starts `privads-server start` and waits for its "listening on" line.
 * @param args - arguments after `start`
 * @param env - extra environment
 * @returns the process and its URL
 */
export function startServerProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI, 'start', '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] as string, log: () => stderr });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
}

/**
 * SIGKILLs a process and waits for it to be gone.
 * @param child - the process
 */
export async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}
