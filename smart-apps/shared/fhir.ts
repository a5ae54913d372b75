// FHIR helpers the apps share: errors as sentences, names, codings, dates, Bundle entries.
import type { Bundle, CodeableConcept, HumanName, OperationOutcome, Resource } from '@medplum/fhirtypes';

export class FhirError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

const STATUS_WORDS: Record<number, string> = {
  400: 'The request was not accepted',
  401: 'Your sign-in has ended; sign in again',
  403: 'You are not allowed to do this',
  404: 'Not found',
  409: 'Someone else changed this at the same time; reload and try again',
  410: 'This has been deleted',
  412: 'This changed since you opened it; reload and try again',
  422: 'The data was not accepted',
  429: 'The server is busy; try again shortly',
};

/** An OperationOutcome (or any error body) as one sentence a user can read. */
export function readableError(status: number, body: unknown): string {
  const lead = STATUS_WORDS[status] ?? (status >= 500 ? 'The server had a problem' : `The request failed (HTTP ${status})`);
  const outcome = body as OperationOutcome | undefined;
  if (outcome?.resourceType === 'OperationOutcome' && outcome.issue?.length) {
    const details = outcome.issue
      .filter((i) => i.severity === 'error' || i.severity === 'fatal')
      .map((i) => i.details?.text ?? i.diagnostics ?? i.code)
      .filter(Boolean);
    if (details.length) return `${lead}: ${details.join('; ')}`;
  }
  const cds = body as { message?: string } | undefined;
  if (typeof cds?.message === 'string') return `${lead}: ${cds.message}`;
  return `${lead}.`;
}

/** Any thrown thing as a sentence. */
export const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function humanName(names?: HumanName[]): string {
  const n = names?.find((x) => x.use === 'official') ?? names?.[0];
  if (!n) return 'Unnamed';
  if (n.text) return n.text;
  return [...(n.prefix ?? []), ...(n.given ?? []), n.family].filter(Boolean).join(' ') || 'Unnamed';
}

export function conceptText(c?: CodeableConcept): string {
  if (!c) return '';
  return c.text ?? c.coding?.find((x) => x.display)?.display ?? c.coding?.[0]?.code ?? '';
}

export function entries<T extends Resource>(bundle: Bundle | undefined, type?: T['resourceType']): T[] {
  return (bundle?.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is T => Boolean(r) && (!type || r!.resourceType === type)) as T[];
}

// a FHIR date (no time) is a calendar day, not an instant: formatted as such in any time zone
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(value?: string): string {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return value.length <= 10 ? dateFormat.format(d) : dateTimeFormat.format(d);
}

export function ageOf(birthDate?: string, at = new Date()): number | undefined {
  if (!birthDate) return undefined;
  const [year, month = 1, day = 1] = birthDate.slice(0, 10).split('-').map(Number);
  if (!year) return undefined;
  let age = at.getFullYear() - year;
  if (at.getMonth() + 1 < month || (at.getMonth() + 1 === month && at.getDate() < day)) age--;
  return age;
}
