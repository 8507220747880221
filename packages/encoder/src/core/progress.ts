/** Progress of a batched or streaming encode. */
export interface EncodeProgress {
  /** Texts encoded so far. */
  readonly done: number;
  /** Total number of texts, when known in advance. */
  readonly total?: number;
  /** Input bytes consumed so far (streaming input). */
  readonly bytes?: number;
  /** Total input bytes, when known (e.g. a file's size). */
  readonly totalBytes?: number;
  /** Milliseconds since the encode started. */
  readonly elapsedMs: number;
}

/** Called after every batch. */
export type ProgressCallback = (progress: EncodeProgress) => void;

/** Options of {@link createProgressBar}. */
export interface ProgressBarOptions {
  /** Writes a chunk of output (e.g. `s => process.stderr.write(s)`). */
  readonly write: (chunk: string) => void;
  /** A terminal: redraw one line in place. Otherwise print a plain line now and then (logs, CI). */
  readonly interactive: boolean;
  /** Leading label. @defaultValue `'encoding'` */
  readonly label?: string;
  /** Bar width in characters. @defaultValue 30 */
  readonly width?: number;
  /** Minimum time between two redraws. @defaultValue 100 ms interactive, 5000 ms otherwise */
  readonly minIntervalMs?: number;
  /** Clock. @defaultValue `performance.now` */
  readonly now?: () => number;
}

/** A progress display fed with {@link EncodeProgress} values. */
export interface ProgressBar {
  /** Shows `progress` (throttled). */
  update(progress: EncodeProgress): void;
  /** Shows the final state and ends the line. */
  finish(progress: EncodeProgress): void;
}

/**
 * One line describing `progress`: a bar and percentage when the total (texts or bytes) is known,
 * the count, the rate and the remaining time.
 * @param progress - current progress
 * @param label - leading label
 * @param width - bar width
 * @returns e.g. `encoding [#########-----] 64% 6,400/10,000 texts  1,820 texts/s  ETA 0:02`
 */
export function formatProgress(progress: EncodeProgress, label = 'encoding', width = 30): string {
  const { done, total, bytes, totalBytes, elapsedMs } = progress;
  const fraction =
    total !== undefined && total > 0
      ? done / total
      : totalBytes !== undefined && totalBytes > 0 && bytes !== undefined
        ? bytes / totalBytes
        : undefined;
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const parts = [label];
  if (fraction !== undefined) {
    const f = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(f * width);
    parts.push(
      `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`,
      `${Math.floor(f * 100)}%`.padStart(4),
    );
  }
  parts.push(
    `${done.toLocaleString('en-US')}${total !== undefined ? `/${total.toLocaleString('en-US')}` : ''} texts`,
  );
  parts.push(` ${Math.round(rate).toLocaleString('en-US')} texts/s`);
  if (fraction !== undefined && fraction > 0 && fraction < 1) {
    parts.push(` ETA ${formatDuration((elapsedMs * (1 - fraction)) / fraction)}`);
  }
  return parts.join(' ');
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * A progress bar for the catalog CLI (or any long encode): redraws one line in a terminal, prints
 * a line every few seconds otherwise.
 * @param options - output sink and display settings
 * @returns the bar
 */
export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const { write, interactive } = options;
  const label = options.label ?? 'encoding';
  const width = options.width ?? 30;
  const interval = options.minIntervalMs ?? (interactive ? 100 : 5000);
  const now = options.now ?? (() => performance.now());
  let last = -Infinity;
  let previousLength = 0;
  const draw = (progress: EncodeProgress, final: boolean) => {
    const line = formatProgress(progress, label, width);
    if (interactive) {
      write(
        `\r${line}${' '.repeat(Math.max(0, previousLength - line.length))}${final ? '\n' : ''}`,
      );
      previousLength = line.length;
    } else {
      write(`${line}\n`);
    }
  };
  return {
    update(progress) {
      const t = now();
      if (t - last < interval) return;
      last = t;
      draw(progress, false);
    },
    finish(progress) {
      draw(progress, true);
    },
  };
}
