// A sparkline drawn by uPlot (canvas), in its own shadow root with uPlot's stylesheet: the trend of
// one vital sign, the out-of-range readings as red points. Its text alternative is the label.
import { css, html, LitElement, unsafeCSS, type PropertyValues } from 'lit';
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css' with { type: 'text' };

export class Sparkline extends LitElement {
  static properties = { times: { attribute: false }, values: { attribute: false }, flagged: { attribute: false }, label: {} };
  /** seconds since the epoch */
  times: number[] = [];
  values: number[] = [];
  /** out of range, per point */
  flagged: boolean[] = [];
  label = '';
  private plot?: uPlot;

  static styles = [
    unsafeCSS(uplotCss),
    css`:host { display: block; width: 110px; height: 36px; } .u-legend { display: none; }`,
  ];

  render() {
    return html`<div class="plot" role="img" aria-label=${this.label}></div>`;
  }

  protected updated(_changed: PropertyValues): void {
    const flaggedValues = this.values.map((v, i) => (this.flagged[i] ? v : null));
    const data: uPlot.AlignedData = [this.times, this.values, flaggedValues];
    if (this.plot) {
      this.plot.setData(data);
      return;
    }
    const target = this.renderRoot.querySelector('.plot') as HTMLElement;
    this.plot = new uPlot(
      {
        width: 110,
        height: 36,
        legend: { show: false },
        cursor: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: true }, y: { range: (_u, min, max) => (min === max ? [min - 1, max + 1] : [min - (max - min) * 0.15, max + (max - min) * 0.15]) } },
        padding: [4, 4, 4, 4],
        series: [
          {},
          { stroke: '#0b5cad', width: 1.5, points: { show: false } },
          { stroke: 'transparent', points: { show: true, size: 6, fill: '#9b1c1c', stroke: '#9b1c1c' } },
        ],
      },
      data,
      target,
    );
  }

  connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated) this.requestUpdate(); // moved in the page: draw again
  }

  disconnectedCallback(): void {
    super.disconnectedCallback();
    this.plot?.destroy();
    this.plot = undefined;
  }
}
customElements.define('m-sparkline', Sparkline);
