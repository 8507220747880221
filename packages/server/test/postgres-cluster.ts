/**
 * A throwaway PostgreSQL cluster for tests: `initdb` into a temporary directory and `pg_ctl start`
 * on a free loopback port with trust authentication. initdb refuses to run as root, so as root the
 * cluster is created and run as the `postgres` system user (via `runuser`), which owns the directory.
 * Resolves to a skip reason when no PostgreSQL binaries are installed.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A running cluster. */
export interface PostgresCluster {
  /** Connection string of a fresh database. */
  url: string;
  /** Stops the cluster and deletes its files. */
  stop(): Promise<void>;
}

function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (process.env.PRIVADS_PG_BIN) return process.env.PRIVADS_PG_BIN;
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'initdb')));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function systemUser(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Starts a cluster, or explains why it cannot.
 * @returns the cluster, or a skip reason
 */
export async function startPostgres(): Promise<PostgresCluster | { skip: string }> {
  if (process.env.PRIVADS_TEST_POSTGRES_URL) {
    return { url: process.env.PRIVADS_TEST_POSTGRES_URL, stop: async () => undefined };
  }
  const bin = findBinDir();
  if (bin === undefined)
    return {
      skip: 'no PostgreSQL binaries (initdb) under /usr/lib/postgresql/*/bin; set PRIVADS_PG_BIN or PRIVADS_TEST_POSTGRES_URL',
    };
  const dir = await mkdtemp(join(tmpdir(), 'privads-pg-'));
  const asRoot = process.getuid?.() === 0;
  let prefix: string[] = [];
  if (asRoot) {
    const user = await systemUser('postgres');
    if (user === undefined) {
      await rm(dir, { recursive: true, force: true });
      return { skip: 'running as root and there is no postgres system user to run initdb as' };
    }
    await chown(dir, user.uid, user.gid);
    prefix = ['runuser', '-u', 'postgres', '--'];
  }
  const exec = (cmd: string, args: string[]): Promise<unknown> =>
    asRoot ? run(prefix[0] as string, [...prefix.slice(1), cmd, ...args]) : run(cmd, args);
  const data = join(dir, 'data');
  const port = await freePort();
  try {
    await exec(join(bin, 'initdb'), [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'privads',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    await exec(join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      'start',
    ]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    return { skip: `could not start PostgreSQL: ${String(error)}` };
  }
  return {
    url: `postgres://privads@127.0.0.1:${port}/postgres`,
    async stop() {
      await exec(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(
        () => undefined,
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Creates a fresh database in the cluster.
 * @param url - the cluster's connection string
 * @param name - database name
 * @returns its connection string
 */
export async function createDatabase(url: string, name: string): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
