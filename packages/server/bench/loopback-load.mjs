/**
 * The load generator of `server.bench.mjs`: keep-alive connections posting upload bodies on
 * loopback, built so that its own cost is small and equal for every target it is pointed at (the
 * bare sink and each server build). Each connection owns one body and writes the next upload's
 * 22-character id (its nonce or ticket) into it in place: no copy of a 262 KB body per request.
 * That is safe because a connection posts its next body only after the answer to the previous
 * one, and every target answers only after it has read the whole body.
 *
 * Besides the rate, each phase reports what decides whether the figure can be trusted on a shared
 * machine: the CPU time of the target process and of this process per upload (`/proc`, and
 * `process.cpuUsage`), and how busy the whole machine was (`/proc/stat`, all cores): a phase where
 * the generator or the machine is saturated measures them, not the server.
 */
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** Length of a nonce or ticket (base64url of 16 bytes). */
const ID_LENGTH = 22;

/**
 * CPU seconds used so far, in user and in system (kernel) mode.
 * @param {number} pid - the process (all its threads)
 * @param {number} [tid] - only this thread of it (the main thread's id is the process id)
 * @returns {{user: number, system: number}} seconds
 */
function processCpuSeconds(pid, tid) {
  const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
  const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
  // utime and stime, in clock ticks of 100 Hz
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

/** Busy and total jiffies of all cores together (`/proc/stat`, first line). */
function machineTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
  const ticks = fields.map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

/**
 * Upload bodies that differ only in a 22-character id.
 * @typedef {object} BodySource
 * @property {Uint8Array} template - one valid body
 * @property {number} at - byte offset of the id in it
 * @property {() => string | undefined} nextId - the next upload's id; undefined when none is left
 */

/**
 * Locates `id` in `template`.
 * @param {Uint8Array} template - a body
 * @param {string} id - the id it carries (ASCII)
 * @param {() => string | undefined} nextId - ids of the following uploads
 * @returns {BodySource} the source
 */
export function bodySource(template, id, nextId) {
  if (id.length !== ID_LENGTH) throw new RangeError(`ids must be ${ID_LENGTH} characters`);
  const at = Buffer.from(template.buffer, template.byteOffset, template.length).indexOf(
    id,
    0,
    'ascii',
  );
  if (at < 0) throw new RangeError(`id ${id} is not in the template`);
  return { template, at, nextId };
}

/**
 * Posts up to `uploads` bodies from `source` to `url`, `connections` at a time.
 * @param {object} options - the phase
 * @param {URL} options.url - the upload endpoint
 * @param {BodySource} options.source - the bodies
 * @param {number} options.uploads - how many to post
 * @param {number} options.connections - keep-alive connections, one request in flight on each
 * @param {number} options.pid - the target process (its CPU time is read from `/proc`)
 * @returns {Promise<object>} `perSecond` (answers with status 202), `targetCpuMs` (of which
 *   `targetSystemMs` in the kernel) and `generatorCpuMs` per accepted upload, `machineBusy` (share of
 *   all cores busy), `mainThreadBusy` (share of the wall time the target's main thread ran: near 1,
 *   the event loop is what bounds the rate), `p50`/`p99` latency in ms, `statuses` (count per HTTP status)
 */
export async function postUploads({ url, source, uploads, connections, pid }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  const statuses = new Map();
  let left = uploads;
  const post = (body) =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream' },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - started);
            statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const machine0 = machineTicks();
  const generator0 = process.cpuUsage();
  const target0 = processCpuSeconds(pid);
  const main0 = processCpuSeconds(pid, pid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const body = Buffer.from(source.template);
      for (let id; left > 0 && (id = source.nextId()) !== undefined;) {
        left--;
        body.write(id, source.at, 'ascii');
        await post(body);
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const target1 = processCpuSeconds(pid);
  const main1 = processCpuSeconds(pid, pid);
  const generator = process.cpuUsage(generator0);
  const machine1 = machineTicks();
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const ok = statuses.get(202) ?? 0;
  const perUpload = (seconds) => (1000 * seconds) / Math.max(1, ok);
  return {
    perSecond: ok / wall,
    targetCpuMs: perUpload(target1.user + target1.system - target0.user - target0.system),
    targetSystemMs: perUpload(target1.system - target0.system),
    generatorCpuMs: perUpload((generator.user + generator.system) / 1e6),
    mainThreadBusy: (main1.user + main1.system - main0.user - main0.system) / wall,
    machineBusy: (machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    statuses: Object.fromEntries(statuses),
  };
}
