/**
 * The `privads-server` command line, as a function (so tests can run it in-process):
 *
 * - `start --port P --data DIR [--store postgres://…] [--host H] [--config FILE] [--token-file F]`
 * - `catalog import FILE --data DIR [--store postgres://…] [--config FILE] [--pq-index |
 *   --no-pq-index] [--pq-stages 32,32,8] [--pq-partitions auto] [--content-encoding auto]
 *   [--content-subspaces auto]`
 * - `pull --url URL --token T --since N --out DIR`
 *
 * The operator token comes from `PRIVADS_OPERATOR_TOKEN` or `--token-file`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import type { ContentBuildOptions } from './catalog/content-codes.js';
import { importCatalog } from './catalog/import.js';
import {
  CONTENT_ENCODING_SETTINGS,
  loadConfigFile,
  resolveConfig,
  type ServerConfig,
} from './config.js';
import { createJsonLogger } from './log.js';
import { createProgressBar, type ProgressSink } from './progress.js';
import { pullReleases } from './pull.js';
import { createPrivAdsServer, type PrivAdsServer } from './server.js';
import { parseStoreLocation, type StoreLocation } from './store/open-store.js';

/** Usage of each command, printed by `privads-server <command> --help`. */
export const SERVER_COMMAND_USAGE = {
  start: `usage: privads-server start --port P --data DIR [options]

Starts the aggregation server (HTTP API, rounds, catalogs, privacy ledger).

options:
  --port P            TCP port; 0 picks a free one [8080]
  --host H            interface to listen on [127.0.0.1]
  --data DIR          embedded store in DIR (created if absent)
  --store URL         postgres://… store instead of --data (several instances can share it)
  --config FILE       server configuration JSON (docs/server.md) [built-in defaults]
  --token-file FILE   operator bearer token [PRIVADS_OPERATOR_TOKEN]
  -h, --help          this text`,
  'catalog import': `usage: privads-server catalog import FILE.jsonl --data DIR [options]

Encodes the ads of FILE.jsonl (one JSON object per line: id, title, text, …) with the content
encoder, projects them with the current projector and publishes a new catalog version, with its
PQ index (kept with the version, served at /v1/catalog/{version}/pq-index) when the catalog has at
least catalog.pqIndex.minAds ads (100000 by default) or --pq-index is given.

options:
  --data DIR          embedded store
  --store URL         postgres://… store instead of --data
  --config FILE       server configuration JSON (docs/server.md) [built-in defaults]
  --pq-index          build the PQ index whatever the catalog's size
  --no-pq-index       never build it
  --pq-stages LIST    sub-spaces per stage [catalog.pqIndex.stages: 32,32,8]
  --pq-partitions N   k-means partitions of the index, or auto [catalog.pqIndex.partitions: auto]
  --content-encoding E  auto, f16 or pq8: content vectors as f16 rows or as one-byte codes per
                      sub-space; auto codes them only when f16 rows would not fit the readers'
                      512 MiB limit (about 500,000 ads) [catalog.contentEncoding: auto]
  --content-subspaces N  bytes per ad of pq8 content, or auto: the most that fit, at most one per
                      2 dimensions (192 at 384) [catalog.contentSubspaces: auto]
  -h, --help          this text`,
  pull: `usage: privads-server pull --url URL --token TOKEN --out DIR [--since N]

Downloads the aggregate releases (safetensors + JSON metadata) of closed rounds.

options:
  --url URL           the server's base URL
  --token TOKEN       operator bearer token [PRIVADS_OPERATOR_TOKEN]
  --out DIR           where the files are written
  --since N           only rounds after N [0]
  -h, --help          this text`,
} as const;

/** Usage text. */
export const SERVER_CLI_USAGE = `usage:
  privads-server start --port P --data DIR [--store postgres://…] [--host 127.0.0.1] [--config FILE] [--token-file FILE]
  privads-server catalog import FILE.jsonl --data DIR [--store postgres://…] [--config FILE]
                 [--pq-index | --no-pq-index] [--pq-stages 32,32,8] [--pq-partitions auto]
  privads-server pull --url URL --token TOKEN [--since N] --out DIR
The operator token is read from PRIVADS_OPERATOR_TOKEN or --token-file.
privads-server <command> --help describes a command.`;

/**
 * The usage text `--help` asks for, if it does.
 * @param argv - arguments after the program name
 * @returns the command's usage (the general one for no or an unknown command), or `undefined`
 */
function helpFor(argv: readonly string[]): string | undefined {
  if (!argv.includes('--help') && !argv.includes('-h')) return undefined;
  const [command, sub] = argv;
  if (command === 'start' || command === 'pull') return SERVER_COMMAND_USAGE[command];
  if (command === 'catalog' && sub === 'import') return SERVER_COMMAND_USAGE['catalog import'];
  return SERVER_CLI_USAGE;
}

/** Where the CLI writes. */
export interface ServerCliIo {
  /** Standard output line sink. */
  out: (line: string) => void;
  /** Standard error line sink. */
  err: (line: string) => void;
  /** Environment. */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Where progress bars are drawn (redrawn in place on a terminal).
   * @defaultValue one line per tenth, through `err`
   */
  progress?: ProgressSink;
}

/** `--pq-stages 32,32,8` → `[32, 32, 8]`. */
function stagesOf(text: string): number[] {
  const stages = text.split(',').map(Number);
  if (stages.some((m) => !Number.isInteger(m) || m < 2)) {
    throw new RangeError(`--pq-stages must be comma-separated even integers, got ${text}`);
  }
  return stages;
}

/** `auto` or an integer, e.g. `--pq-partitions 256`, `--content-subspaces 96`. */
function autoOrInteger(flag: string, text: string): number | 'auto' {
  if (text === 'auto') return 'auto';
  if (!/^\d+$/.test(text)) {
    throw new RangeError(`${flag} must be auto or an integer >= 0, got ${text}`);
  }
  return Number(text);
}

function contentOptionsOf(
  encoding: string | undefined,
  subspaces: string | undefined,
): ContentBuildOptions {
  const settings: readonly string[] = CONTENT_ENCODING_SETTINGS;
  if (encoding !== undefined && !settings.includes(encoding)) {
    throw new RangeError(`--content-encoding must be auto, f16 or pq8, got ${encoding}`);
  }
  return {
    ...(encoding === undefined
      ? {}
      : { contentEncoding: encoding as ContentBuildOptions['contentEncoding'] }),
    ...(subspaces === undefined
      ? {}
      : { contentSubspaces: autoOrInteger('--content-subspaces', subspaces) }),
  };
}

function storeOf(values: { data?: string; store?: string }): StoreLocation {
  if (values.store !== undefined) return parseStoreLocation(values.store);
  if (values.data !== undefined) return { kind: 'embedded', dataDir: values.data };
  throw new TypeError('--data DIR or --store postgres://… is required');
}

async function configOf(path: string | undefined): Promise<ServerConfig> {
  return path === undefined ? resolveConfig() : loadConfigFile(path);
}

async function start(args: string[], io: ServerCliIo): Promise<PrivAdsServer> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string' },
      store: { type: 'string' },
      config: { type: 'string' },
      'token-file': { type: 'string' },
    },
  });
  const port = Number(values.port ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`--port must be 0..65535, got ${values.port}`);
  const token =
    values['token-file'] !== undefined
      ? (await readFile(values['token-file'], 'utf8')).trim()
      : io.env.PRIVADS_OPERATOR_TOKEN;
  const config = await configOf(values.config);
  const server = await createPrivAdsServer({
    store: storeOf(values),
    config,
    ...(token ? { operatorToken: token } : {}),
    logger: createJsonLogger({ write: (line) => io.err(line.trimEnd()) }),
  });
  const { url } = await server.listen(port, values.host);
  io.out(`privads-server listening on ${url}`);
  return server;
}

/**
 * Runs one command.
 * @param argv - arguments after the program name
 * @param io - output sinks and environment
 * @returns exit code (0 ok, 1 failure, 2 usage) and, for `start`, the running server
 */
export async function runServerCli(
  argv: readonly string[],
  io: ServerCliIo,
): Promise<{ code: number; server?: PrivAdsServer }> {
  const help = helpFor(argv);
  if (help !== undefined) {
    io.out(help);
    return { code: 0 };
  }
  const [command, ...rest] = argv;
  try {
    if (command === 'start') return { code: 0, server: await start(rest, io) };
    if (command === 'catalog' && rest[0] === 'import') {
      const { values, positionals } = parseArgs({
        args: rest.slice(1),
        allowPositionals: true,
        options: {
          data: { type: 'string' },
          store: { type: 'string' },
          config: { type: 'string' },
          'pq-index': { type: 'boolean' },
          'no-pq-index': { type: 'boolean' },
          'pq-stages': { type: 'string' },
          'pq-partitions': { type: 'string' },
          'content-encoding': { type: 'string' },
          'content-subspaces': { type: 'string' },
        },
      });
      const file = positionals[0];
      if (file === undefined || positionals.length > 1)
        throw new TypeError('catalog import needs exactly one FILE');
      const config = await configOf(values.config);
      if (values['pq-index'] && values['no-pq-index'])
        throw new TypeError('--pq-index and --no-pq-index exclude each other');
      const stages = values['pq-stages'] === undefined ? undefined : stagesOf(values['pq-stages']);
      const partitions =
        values['pq-partitions'] === undefined
          ? undefined
          : autoOrInteger('--pq-partitions', values['pq-partitions']);
      const content = contentOptionsOf(values['content-encoding'], values['content-subspaces']);
      const bar = createProgressBar(
        io.progress ?? { tty: false, write: (text) => io.err(text.trimEnd()) },
      );
      const info = await importCatalog({
        file,
        store: storeOf(values),
        config,
        pqIndex: {
          when: values['no-pq-index'] ? 'never' : values['pq-index'] ? 'always' : 'auto',
          ...(stages === undefined ? {} : { stages }),
          ...(partitions === undefined ? {} : { partitions }),
          onProgress: (done, total) => bar.update('pq index', done / total),
        },
        content: {
          ...content,
          onProgress: (done, total) => bar.update('content codes', done / total),
        },
      });
      bar.done();
      io.out(JSON.stringify(info));
      return { code: 0 };
    }
    if (command === 'pull') {
      const { values } = parseArgs({
        args: rest,
        options: {
          url: { type: 'string' },
          token: { type: 'string' },
          since: { type: 'string', default: '0' },
          out: { type: 'string' },
        },
      });
      const token = values.token ?? io.env.PRIVADS_OPERATOR_TOKEN;
      if (values.url === undefined || values.out === undefined || token === undefined) {
        throw new TypeError('pull needs --url, --token (or PRIVADS_OPERATOR_TOKEN) and --out');
      }
      const since = Number(values.since);
      if (!Number.isSafeInteger(since) || since < 0)
        throw new RangeError(`--since must be an integer >= 0, got ${values.since}`);
      const written = await pullReleases({ url: values.url, token, since, out: values.out });
      for (const w of written) io.out(`round ${w.roundId}: ${w.safetensors} ${w.json}`);
      io.out(`${written.length} release(s) written`);
      return { code: 0 };
    }
    io.err(SERVER_CLI_USAGE);
    return { code: 2 };
  } catch (error) {
    const usage =
      error instanceof TypeError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    io.err(`privads-server: ${error instanceof Error ? error.message : String(error)}`);
    if (usage) io.err(SERVER_CLI_USAGE);
    return { code: usage ? 2 : 1 };
  }
}
