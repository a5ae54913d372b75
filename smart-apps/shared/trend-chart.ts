// <m-trend-chart>: one or more series over time drawn by uPlot (canvas) in the component's shadow root,
// with uPlot's own stylesheet bundled in (no CDN). Each series has its own time points (systolic and
// diastolic share theirs; a lab has its own); they are aligned on the union of the times with gaps
// spanned. An optional reference band (low/high) is drawn as two dashed lines. The chart resizes to
// its container. For assistive technology: the canvas is role=img with a summary, and the values are
// in a table under a <details>.
import { css, html, LitElement, nothing, unsafeCSS, type PropertyValues } from 'lit';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css' with { type: 'text' };
import { baseStyles } from './ui.js';

export interface TrendPoint {
  /** ISO date or date-time */
  when: string;
  value: number;
  /** e.g. H, L, HH, LL: drawn as a red point */
  flag?: string;
}

export interface TrendSeries {
  label: string;
  points: TrendPoint[];
  color?: string;
}

const COLORS = ['#0b5cad', '#9c4221', '#276749', '#553c9a'];
const FLAG_COLOR = '#9b1c1c';

export class TrendChart extends LitElement {
  static properties = { heading: {}, unit: {}, series: { attribute: false }, low: { type: Number }, high: { type: Number } };
  heading = '';
  unit = '';
  series: TrendSeries[] = [];
  low?: number;
  high?: number;
  private plot?: uPlot;
  private resize?: ResizeObserver;

  static styles = [
    unsafeCSS(uplotCss),
    baseStyles,
    css`
      :host { display: block; min-width: 0; }
      figure { margin: 0; }
      figcaption { display: flex; justify-content: space-between; gap: 0.5rem; flex-wrap: wrap; align-items: baseline; }
      .plot { width: 100%; min-height: 180px; }
      .latest { font-size: 0.95rem; }
      .u-legend { font-size: 0.8rem; text-align: left; }
      .u-legend th { text-transform: none; letter-spacing: 0; font-weight: 500; color: var(--m-text); padding: 0 0.5rem 0 0; border: 0; }
      .u-legend td { border: 0; padding: 0; }
      .u-legend .u-series { padding: 0; }
      details { margin-top: 0.25rem; font-size: 0.9rem; }
      summary { cursor: pointer; color: var(--m-primary); }
      table { font-size: 0.85rem; }
    `,
  ];

  render() {
    const points = this.series.reduce((n, s) => n + s.points.length, 0);
    const latest = this.series.map((s) => s.points.at(-1)).filter((p): p is TrendPoint => !!p);
    const summary = `${this.heading}: ${points} values${latest.length ? `; latest ${latest.map((p) => p.value).join('/')} ${this.unit}` : ''}`;
    return html`<figure>
      <figcaption>
        <h3>${this.heading}</h3>
        ${latest.length ? html`<span class="latest">Latest <strong>${latest.map((p) => p.value).join('/')}</strong> ${this.unit}</span>` : nothing}
      </figcaption>
      <div class="plot" role="img" aria-label=${summary}></div>
      <details>
        <summary>Values of ${this.heading}</summary>
        <table>
          <caption class="visually-hidden">${this.heading} values</caption>
          <thead><tr><th scope="col">Date</th>${this.series.map((s) => html`<th scope="col">${s.label}</th>`)}</tr></thead>
          <tbody>${this.rows().map(([when, values]) => html`<tr><td>${when.slice(0, 10)}</td>${values.map((v) => html`<td>${v ?? ''}</td>`)}</tr>`)}</tbody>
        </table>
      </details>
    </figure>`;
  }

  /** One row per time, newest first, a value (with its flag) per series. */
  private rows(): [string, (string | undefined)[]][] {
    const times = [...new Set(this.series.flatMap((s) => s.points.map((p) => p.when)))].sort().reverse();
    return times.map((t) => [t, this.series.map((s) => {
      const p = s.points.find((x) => x.when === t);
      return p ? `${p.value}${p.flag && p.flag !== 'N' ? ` (${p.flag})` : ''}` : undefined;
    })]);
  }

  /** uPlot's aligned data: x in seconds, one y array per series (nulls where it has no value), then flagged points. */
  private data(): uPlot.AlignedData {
    const times = [...new Set(this.series.flatMap((s) => s.points.map((p) => Date.parse(p.when) / 1000)))].filter(Number.isFinite).sort((a, b) => a - b);
    const index = new Map(times.map((t, i) => [t, i]));
    const ys = this.series.map(() => times.map((): number | null => null));
    const flagged = times.map((): number | null => null);
    this.series.forEach((s, k) => {
      for (const p of s.points) {
        const i = index.get(Date.parse(p.when) / 1000);
        if (i === undefined) continue;
        ys[k][i] = p.value;
        if (p.flag && p.flag !== 'N') flagged[i] = p.value;
      }
    });
    const band = (v?: number) => (v === undefined ? [] : [times.map(() => v)]);
    return [times, ...ys, ...(this.hasFlags() ? [flagged] : []), ...band(this.low), ...band(this.high)] as uPlot.AlignedData;
  }

  private hasFlags(): boolean {
    return this.series.some((s) => s.points.some((p) => p.flag && p.flag !== 'N'));
  }

  protected updated(changed: PropertyValues): void {
    if (!changed.has('series') && !changed.has('low') && !changed.has('high') && this.plot) return;
    this.plot?.destroy();
    const target = this.renderRoot.querySelector('.plot') as HTMLElement;
    const width = Math.max(240, target.clientWidth || 480);
    const dashed = (label: string): uPlot.Series => ({ label, stroke: '#718096', dash: [6, 4], width: 1, points: { show: false } });
    const series: uPlot.Series[] = [
      {},
      ...this.series.map((s, i): uPlot.Series => ({ label: s.label, stroke: s.color ?? COLORS[i % COLORS.length], width: 2, spanGaps: true, points: { show: true, size: 5 } })),
      ...(this.hasFlags() ? [{ label: 'Out of range', stroke: FLAG_COLOR, width: 0, points: { show: true, size: 8, fill: FLAG_COLOR, stroke: FLAG_COLOR } }] : []),
      ...(this.low !== undefined ? [dashed('Low limit')] : []),
      ...(this.high !== undefined ? [dashed('High limit')] : []),
    ];
    this.plot = new uPlot(
      {
        width,
        height: 180,
        series,
        scales: { x: { time: true } },
        axes: [{ stroke: '#4a5568', grid: { stroke: '#e2e8f0' } }, { stroke: '#4a5568', grid: { stroke: '#e2e8f0' }, size: 48 }],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      this.data(),
      target,
    );
    if (!this.resize) {
      this.resize = new ResizeObserver(() => {
        const w = Math.max(240, target.clientWidth);
        if (this.plot && Math.abs(this.plot.width - w) > 4) this.plot.setSize({ width: w, height: 180 });
      });
      this.resize.observe(target);
    }
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize?.disconnect();
    this.resize = undefined;
    this.plot?.destroy();
    this.plot = undefined;
  }
}
customElements.define('m-trend-chart', TrendChart);
