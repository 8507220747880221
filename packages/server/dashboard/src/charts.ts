/**
 * uPlot charts with the dashboard's look: one {@link Chart} per card, created on first data and
 * updated in place afterwards (uPlot redraws a few hundred points in well under a millisecond).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Series colours, in order. */
export const PALETTE = [
  '#2563eb',
  '#d97706',
  '#059669',
  '#dc2626',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#65a30d',
];

/** How one series is drawn. */
export interface SeriesSpec {
  readonly label: string;
  readonly color?: string;
  readonly kind?: 'line' | 'bars' | 'step' | 'dashed';
  readonly fill?: boolean;
  /** Dashed stroke (a series that often coincides with another). */
  readonly dash?: boolean;
}

/** What a chart shows. */
export interface ChartSpec {
  readonly x: 'time' | 'round' | 'value';
  readonly xLabel?: string;
  readonly yLabel?: string;
  readonly series: readonly SeriesSpec[];
  readonly height?: number;
}

const bars = uPlot.paths.bars?.({ size: [0.7, 48], align: 0 });
const stepped = uPlot.paths.stepped?.({ align: 1 });

function seriesOptions(spec: SeriesSpec, index: number): uPlot.Series {
  const color = spec.color ?? PALETTE[index % PALETTE.length] ?? '#2563eb';
  const base: uPlot.Series = {
    label: spec.label,
    stroke: color,
    width: 2,
    points: { show: false },
    ...(spec.dash ? { dash: [6, 4] } : {}),
  };
  switch (spec.kind) {
    case 'bars':
      return { ...base, fill: `${color}cc`, width: 0, ...(bars ? { paths: bars } : {}) };
    case 'step':
      return {
        ...base,
        ...(stepped ? { paths: stepped } : {}),
        fill: spec.fill ? `${color}22` : undefined,
      };
    case 'dashed':
      return { ...base, dash: [6, 4], width: 1.5 };
    default:
      return {
        ...base,
        fill: spec.fill ? `${color}1f` : undefined,
        points: { show: true, size: 4 },
      };
  }
}

const axis = (label: string | undefined, integer = false): uPlot.Axis => ({
  label,
  ...(integer
    ? {
        incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
        values: (_u: uPlot, ticks: number[]) => ticks.map(String),
      }
    : {}),
  stroke: '#475569',
  grid: { stroke: '#e2e8f0', width: 1 },
  ticks: { stroke: '#cbd5e1', width: 1 },
  font: '11px system-ui, sans-serif',
  labelFont: '11px system-ui, sans-serif',
});

/** A chart in a container; `set` replaces its data. */
export class Chart {
  readonly #container: HTMLElement;
  readonly #spec: ChartSpec;
  #plot: uPlot | undefined;

  /**
   * @param container - element the chart fills (its width; the height from the spec)
   * @param spec - axes and series
   */
  constructor(container: HTMLElement, spec: ChartSpec) {
    this.#container = container;
    this.#spec = spec;
    new ResizeObserver(() => this.#plot?.setSize(this.#size())).observe(container);
  }

  #size(): { width: number; height: number } {
    return { width: Math.max(240, this.#container.clientWidth), height: this.#spec.height ?? 220 };
  }

  /**
   * @param x - x values (seconds since the epoch for time charts)
   * @param ys - one array per series, same length as `x` (`null` for gaps)
   */
  set(x: readonly number[], ys: ReadonlyArray<ReadonlyArray<number | null>>): void {
    const data = [x, ...ys] as unknown as uPlot.AlignedData;
    const empty = x.length === 0;
    this.#container.classList.toggle('empty', empty);
    if (empty) {
      this.#plot?.destroy();
      this.#plot = undefined;
      this.#container.dataset['points'] = '0';
      return;
    }
    this.#container.dataset['points'] = String(x.length);
    if (this.#plot) {
      this.#plot.setData(data);
      return;
    }
    const spec = this.#spec;
    this.#plot = new uPlot(
      {
        ...this.#size(),
        scales: {
          // Rounds are integers; half a round of margin keeps the first and last bars whole.
          x:
            spec.x === 'round'
              ? { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] }
              : { time: spec.x === 'time' },
          // Counts, ε and versions all start at zero.
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.12 : 1] },
        },
        legend: { show: spec.series.length > 1, live: false },
        cursor: { drag: { x: false, y: false } },
        axes: [axis(spec.xLabel, spec.x === 'round'), axis(spec.yLabel)],
        series: [{ label: spec.xLabel ?? 'x' }, ...spec.series.map(seriesOptions)],
      },
      data,
      this.#container,
    );
  }
}
