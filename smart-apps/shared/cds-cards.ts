// CDS Hooks cards as a clinician sees them: indicator, summary, detail, source (label, link, topic),
// suggestions to apply, override with a reason, and links (SMART app links are launched with the
// current patient). Events: `cds-accept` {card, suggestion} and `cds-override` {card, reason, comment};
// the app applies actions and sends feedback.
import { css, html, LitElement, nothing } from 'lit';
import type { Coding } from '@medplum/fhirtypes';
import type { Card, CdsSuggestion } from './cds.js';
import { baseStyles } from './ui.js';

export interface CardEvent {
  card: Card;
  serviceId?: string;
  suggestion?: CdsSuggestion;
  reason?: Coding;
  comment?: string;
}

const RANK = { critical: 0, warning: 1, info: 2 } as const;

export class CdsCards extends LitElement {
  static properties = { cards: { attribute: false }, serviceOf: { attribute: false }, launchLink: { attribute: false }, done: { state: true }, overriding: { state: true } };
  cards: Card[] = [];
  /** The service that issued each card (for feedback), by card uuid. */
  serviceOf: Record<string, string> = {};
  /** Opens a SMART link (type "smart") with a launch context; absolute links open in a new tab. */
  launchLink?: (url: string, appContext?: string) => void;
  private done: Record<string, string> = {};
  private overriding = '';

  static styles = [
    baseStyles,
    css`
      ul.plain > li { margin-bottom: 0.75rem; }
      article { border-left: 6px solid var(--m-info); }
      article.critical, article.warning, article.info { color: var(--m-text); }
      article.critical .summary { color: var(--m-critical); }
      article.warning .summary { color: var(--m-warning); }
      article.critical { border-left-color: var(--m-critical); background: var(--m-surface); }
      article.warning { border-left-color: #b7791f; background: var(--m-surface); }
      article.info { background: var(--m-surface); }
      .head { display: flex; gap: 0.5rem; align-items: baseline; flex-wrap: wrap; }
      .summary { font-weight: 700; margin: 0; font-size: 1rem; }
      .detail { margin: 0.4rem 0; }
      .detail p { margin: 0 0 0.4rem; }
      .detail ul { margin: 0 0 0.4rem; padding-left: 1.25rem; }
      .source { font-size: 0.9rem; }
      .actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-top: 0.5rem; }
      .override { margin-top: 0.5rem; display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: flex-end; }
    `,
  ];

  render() {
    if (!this.cards.length) return nothing;
    const cards = [...this.cards].sort((a, b) => RANK[a.indicator] - RANK[b.indicator]);
    return html`<ul class="plain" aria-label="Decision support">${cards.map((c) => html`<li>${this.card(c)}</li>`)}</ul>`;
  }

  private card(card: Card) {
    const id = card.uuid ?? card.summary;
    const done = this.done[id];
    return html`<article class="card ${card.indicator}" aria-label="${card.indicator}: ${card.summary}" data-card=${id}>
      <div class="head"><span class="badge ${card.indicator}">${card.indicator}</span><h3 class="summary">${card.summary}</h3></div>
      ${card.detail ? html`<div class="detail">${markdown(card.detail)}</div>` : nothing}
      <p class="source muted">Source: ${card.source.url ? html`<a href=${card.source.url} target="_blank" rel="noopener">${card.source.label}</a>` : card.source.label}${card.source.topic?.display ? html` · ${card.source.topic.display}` : nothing}</p>
      ${done
        ? html`<p role="status" class="badge success">${done}</p>`
        : html`<div class="actions">
              ${(card.suggestions ?? []).map((s) => html`<button class=${s.isRecommended ? 'primary' : ''} @click=${() => this.accept(card, s)}>${s.label}</button>`)}
              ${(card.links ?? []).map((l) => html`<button @click=${() => this.open(l.url, l.type, l.appContext)}>${l.label}</button>`)}
              ${card.overrideReasons?.length || card.suggestions?.length ? html`<button class="danger" aria-expanded=${this.overriding === id} @click=${() => (this.overriding = this.overriding === id ? '' : id)}>Override</button>` : nothing}
            </div>
            ${this.overriding === id ? this.overrideForm(card, id) : nothing}`}
    </article>`;
  }

  private overrideForm(card: Card, id: string) {
    const reasons = card.overrideReasons ?? [];
    return html`<form class="override" @submit=${(e: Event) => this.override(e, card, id)}>
      ${reasons.length
        ? html`<div class="field"><label for="reason-${id}">Reason</label><select id="reason-${id}" name="reason" required>
            <option value="">Choose a reason…</option>${reasons.map((r, i) => html`<option value=${i}>${r.display ?? r.code}</option>`)}</select></div>`
        : nothing}
      <div class="field"><label for="comment-${id}">Comment</label><input id="comment-${id}" name="comment" type="text"></div>
      <button type="submit" class="danger">Confirm override</button>
    </form>`;
  }

  private accept(card: Card, suggestion: CdsSuggestion) {
    this.done = { ...this.done, [card.uuid ?? card.summary]: `Applied: ${suggestion.label}` };
    this.emit('cds-accept', { card, suggestion });
  }

  private override(e: Event, card: Card, id: string) {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const index = form.get('reason');
    const reason = index !== null && index !== '' ? card.overrideReasons?.[Number(index)] : undefined;
    const comment = String(form.get('comment') ?? '').trim() || undefined;
    this.done = { ...this.done, [id]: `Overridden${reason ? `: ${reason.display ?? reason.code}` : ''}` };
    this.overriding = '';
    this.emit('cds-override', { card, reason, comment });
  }

  private open(url: string, type: string, appContext?: string) {
    if (type === 'smart' && this.launchLink) this.launchLink(url, appContext);
    else window.open(url, '_blank', 'noopener');
  }

  private emit(name: string, detail: CardEvent) {
    detail.serviceId = this.serviceOf[detail.card.uuid ?? ''];
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }
}
customElements.define('m-cds-cards', CdsCards);

/**
 * A card's detail is GitHub-flavoured Markdown (CDS Hooks 2.0); the subset services write, rendered as
 * lit templates (text stays text: nothing is parsed as HTML): paragraphs, "- " lists, **bold**,
 * _italic_ / *italic*, `code`, [links](https://…) (http(s) only).
 */
export function markdown(text: string) {
  return text.split(/\n{2,}/).map((block) => {
    const lines = block.split('\n').filter((l) => l.trim());
    if (lines.length && lines.every((l) => /^\s*[-*] /.test(l))) return html`<ul>${lines.map((l) => html`<li>${inline(l.replace(/^\s*[-*] /, ''))}</li>`)}</ul>`;
    return html`<p>${lines.map((l, i) => html`${i ? html`<br>` : nothing}${inline(l)}`)}</p>`;
  });
}

function inline(text: string) {
  return text.split(/(\[[^\]]+\]\(https?:\/\/[^)\s]+\)|\*\*[^*]+\*\*|`[^`]+`|(?<![\w])_[^_]+_(?![\w])|(?<![\w*])\*[^*\s][^*]*\*(?![\w*]))/).map((part) => {
    const link = /^\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)$/.exec(part);
    if (link) return html`<a href=${link[2]} target="_blank" rel="noopener">${link[1]}</a>`;
    if (part.length > 4 && part.startsWith('**') && part.endsWith('**')) return html`<strong>${part.slice(2, -2)}</strong>`;
    if (part.length > 2 && part.startsWith('`') && part.endsWith('`')) return html`<code>${part.slice(1, -1)}</code>`;
    if (part.length > 2 && ((part.startsWith('_') && part.endsWith('_')) || (part.startsWith('*') && part.endsWith('*')))) return html`<em>${part.slice(1, -1)}</em>`;
    return part;
  });
}
