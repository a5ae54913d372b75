// OperationOutcome: the body of every error, and FhirError, the one error type that carries a status.
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export type IssueCode = OperationOutcomeIssue['code'];

export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
    readonly headers: Record<string, string> = {},
  ) {
    super(outcome.issue?.[0]?.diagnostics ?? outcome.issue?.[0]?.details?.text ?? `HTTP ${status}`);
  }

  /** The same error with response headers (e.g. Retry-After). */
  withHeaders(headers: Record<string, string>): FhirError {
    return new FhirError(this.status, this.outcome, { ...this.headers, ...headers });
  }
}

export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

export function issue(severity: OperationOutcomeIssue['severity'], code: IssueCode, text: string, expression?: string): OperationOutcomeIssue {
  return { severity, code, diagnostics: text, ...(expression ? { expression: [expression] } : {}) };
}

export function fhirError(status: number, code: IssueCode, text: string, expression?: string): FhirError {
  return new FhirError(status, outcome([issue('error', code, text, expression)]));
}

export const badRequest = (text: string, expression?: string) => fhirError(400, 'invalid', text, expression);
export const notFound = (text: string) => fhirError(404, 'not-found', text);
export const gone = (text: string) => fhirError(410, 'deleted', text);
export const preconditionFailed = (text: string) => fhirError(412, 'conflict', text);
export const conflict = (text: string) => fhirError(409, 'conflict', text);
export const notSupported = (status: number, text: string) => fhirError(status, 'not-supported', text);

export function informational(text: string): OperationOutcome {
  return outcome([issue('information', 'informational', text)]);
}
