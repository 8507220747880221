/**
 * A progress bar on stderr for long runs: redrawn in place on a terminal, one line per stage (and
 * per tenth) when stderr is a file or a pipe, so logs stay readable.
 */

/** Where progress goes. */
export interface ProgressSink {
  /** Whether the sink is a terminal (redraw in place). */
  readonly tty: boolean;
  write(text: string): void;
}

/**
 * Makes a progress callback.
 * @param sink - stderr, usually
 * @returns `(stage, fraction)` callback and `done()` to end the bar's line
 */
export function createProgressBar(sink: ProgressSink): {
  update: (stage: string, fraction: number) => void;
  done: () => void;
} {
  const width = 30;
  let lastStage = '';
  let lastTenth = -1;
  let lastDraw = 0;
  const started = Date.now();
  return {
    update(stage, fraction) {
      const f = Math.max(0, Math.min(1, fraction));
      const elapsed = ((Date.now() - started) / 1000).toFixed(0);
      if (sink.tty) {
        const now = Date.now();
        if (stage === lastStage && now - lastDraw < 100 && f < 1) return;
        lastDraw = now;
        if (stage !== lastStage && lastStage !== '') sink.write('\n');
        lastStage = stage;
        const filled = Math.round(f * width);
        sink.write(
          `\r${stage.padEnd(22)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(100 * f).toFixed(0).padStart(3)}% ${elapsed}s`,
        );
        return;
      }
      const tenth = Math.floor(f * 10);
      if (stage === lastStage && tenth === lastTenth) return;
      lastStage = stage;
      lastTenth = tenth;
      sink.write(`${stage} ${(100 * f).toFixed(0)}% (${elapsed}s)\n`);
    },
    done() {
      if (sink.tty && lastStage !== '') sink.write('\n');
    },
  };
}
