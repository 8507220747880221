import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { buildServer } from './cli-process.js';
import { tempDir, TOKEN } from './helpers.js';

const GLIBC = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header
  .glibcVersionRuntime;

// A child process that (maybe) starts a listening server, then allocates 4 MiB and prints by how
// much its brk heap grew: glibc serves a block that size from the heap only once its mmap
// threshold was raised, and from a mapping of its own (heap growth 0) by default.
const CHILD = `
import { readFileSync } from 'node:fs';
import { createPrivAdsServer } from './dist/index.js';
const [dir, token, mode] = process.argv.slice(1);
const heapBytes = () => {
  const line = readFileSync('/proc/self/maps', 'utf8').split('\\n').find((l) => l.endsWith('[heap]'));
  if (line === undefined) return 0;
  const [from, to] = line.split(' ')[0].split('-').map((x) => parseInt(x, 16));
  return to - from;
};
let server;
if (mode !== 'bare') {
  server = await createPrivAdsServer({ store: { kind: 'embedded', dataDir: dir }, operatorToken: token });
  await server.listen(0);
}
const before = heapBytes();
const held = Buffer.allocUnsafeSlow(4 * 2 ** 20).fill(1);
console.log(JSON.stringify({ grew: heapBytes() - before, held: held.length }));
await server?.close();
`;

async function heapGrowth(mode: 'bare' | 'listening', env: Record<string, string> = {}) {
  const { dir, cleanup } = await tempDir();
  try {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, dir, TOKEN, mode], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    return (JSON.parse(out) as { grew: number }).grew;
  } finally {
    await cleanup();
  }
}

describe.skipIf(process.platform !== 'linux' || GLIBC === undefined)('retainFreedHeap', () => {
  it('makes a listening server serve multi-MiB buffers from its heap, which glibc keeps', async () => {
    await buildServer();
    // The control: a bare process maps such a buffer apart (and unmaps it when it is freed).
    expect(await heapGrowth('bare')).toBe(0);
    // (The heap's free top may already hold part of it.)
    expect(await heapGrowth('listening')).toBeGreaterThan(3 * 2 ** 20);
  });

  it("leaves the operator's glibc settings in force", async () => {
    await buildServer();
    const env = { MALLOC_TRIM_THRESHOLD_: String(2 ** 20) };
    expect(await heapGrowth('listening', env)).toBe(0);
  });
});
