// A practitioner's calendar: a day or a week as a grid (a column per day, a row per half hour),
// each Slot as a cell: free (book it), busy with the appointment that holds it (the patient's name
// when it is known), or unavailable. Fires `slot-pick` {slot, busy} when a cell is chosen.
import { css, html, LitElement } from 'lit';
import type { Appointment, Slot } from '@medplum/fhirtypes';
import { baseStyles } from '../shared/ui.js';

export type CalendarView = 'day' | 'week';

const DAY_MS = 86_400_000;
const dayKey = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });

/** Midnight (local time) of the day of `d`. */
export const startOfDay = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate());
/** Monday of the week of `d`. */
export const startOfWeek = (d: Date) => {
  const day = startOfDay(d);
  return new Date(day.getTime() - ((day.getDay() + 6) % 7) * DAY_MS);
};
export const addDays = (d: Date, n: number) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);

export class ScheduleCalendar extends LitElement {
  static properties = {
    slots: { attribute: false },
    appointments: { attribute: false },
    start: { attribute: false },
    view: {},
    practitioner: {},
    highlight: {},
  };
  slots: Slot[] = [];
  appointments: Appointment[] = [];
  /** The first day shown (midnight, local time). */
  start = startOfDay(new Date());
  view: CalendarView = 'week';
  practitioner = '';
  /** An Appointment id to mark (the one being moved). */
  highlight = '';

  static styles = [
    baseStyles,
    css`
      .grid { display: grid; gap: 0.4rem; grid-template-columns: repeat(var(--days), minmax(0, 1fr)); }
      .day h4 { margin: 0 0 0.3rem; font-size: 0.85rem; text-align: center; padding: 0.25rem; background: var(--m-bg); border-radius: var(--m-radius); }
      .day h4.today { background: var(--m-info-bg); color: var(--m-info); }
      .day ol { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.25rem; }
      .cell { box-sizing: border-box; width: 100%; min-height: 2.25rem; text-align: left; font-size: 0.82rem; padding: 0.25rem 0.4rem; border-radius: var(--m-radius); line-height: 1.2; }
      button.cell.free { border-color: var(--m-success); color: var(--m-success); background: var(--m-success-bg); }
      button.cell.busy { border: 1px solid var(--m-border); color: var(--m-text); background: var(--m-surface); }
      button.cell.mine { border: 2px solid var(--m-primary); background: var(--m-info-bg); color: var(--m-info); }
      .cell.unavailable { border: 1px dashed var(--m-border); color: var(--m-muted); background: var(--m-bg); display: block; }
      .cell strong { display: block; }
      .cell .who { display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      .empty { color: var(--m-muted); font-size: 0.82rem; text-align: center; padding: 0.5rem 0; }
      @media (max-width: 700px) { .grid { grid-template-columns: 1fr; } }
    `,
  ];

  render() {
    const days = this.view === 'day' ? [this.start] : Array.from({ length: 7 }, (_, i) => addDays(this.start, i));
    const byDay = new Map<string, Slot[]>();
    for (const s of [...this.slots].sort((a, b) => (a.start < b.start ? -1 : 1))) {
      const key = dayKey(new Date(s.start));
      byDay.set(key, [...(byDay.get(key) ?? []), s]);
    }
    // a week without weekend clinics shows the working days only
    const shown = this.view === 'week' ? days.filter((d, i) => i < 5 || byDay.has(dayKey(d))) : days;
    const today = dayKey(new Date());
    return html`<div class="grid" style="--days:${shown.length}" role="group" aria-label="Calendar of ${this.practitioner}">
      ${shown.map((d) => {
        const list = byDay.get(dayKey(d)) ?? [];
        return html`<section class="day" aria-label=${dayFormat.format(d)}>
          <h4 class=${dayKey(d) === today ? 'today' : ''}>${dayFormat.format(d)}</h4>
          ${list.length ? html`<ol>${list.map((s) => html`<li>${this.cell(s)}</li>`)}</ol>` : html`<p class="empty">No slots</p>`}
        </section>`;
      })}
    </div>`;
  }

  private holder(slot: Slot): Appointment | undefined {
    return this.appointments.find((a) => a.status !== 'cancelled' && a.status !== 'entered-in-error' && (a.slot ?? []).some((r) => r.reference === `Slot/${slot.id}`));
  }

  private cell(slot: Slot) {
    const time = timeFormat.format(new Date(slot.start));
    const past = Date.parse(slot.end) < Date.now();
    if (slot.status === 'busy-unavailable' || (past && slot.status === 'free')) {
      return html`<span class="cell unavailable"><strong>${time}</strong>${past ? 'Past' : 'Unavailable'}</span>`;
    }
    if (slot.status === 'free') {
      return html`<button class="cell free" data-slot=${slot.id!} @click=${() => this.pick(slot, false)}><strong>${time}</strong>Free<span class="visually-hidden">: book</span></button>`;
    }
    const a = this.holder(slot);
    const who = a?.participant?.find((p) => p.actor?.reference?.startsWith('Patient/'))?.actor?.display ?? 'Booked';
    const mine = Boolean(a?.id && a.id === this.highlight);
    if (past) return html`<span class="cell unavailable"><strong>${time}</strong><span class="who">${who}</span></span>`;
    return html`<button class="cell busy ${mine ? 'mine' : ''}" data-slot=${slot.id!} @click=${() => this.pick(slot, true)}>
      <strong>${time}</strong><span class="who">${who}</span><span class="visually-hidden">: booked; double-book</span></button>`;
  }

  private pick(slot: Slot, busy: boolean) {
    this.dispatchEvent(new CustomEvent('slot-pick', { detail: { slot, busy }, bubbles: true, composed: true }));
  }
}
customElements.define('m-schedule-calendar', ScheduleCalendar);

