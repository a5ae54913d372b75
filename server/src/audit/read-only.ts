// AuditEvents are written by the server only: through the API they can be read and searched (with
// a scope that names AuditEvent) but never created, changed or deleted.
import { fhirError } from '../fhir/outcome.js';

export function refuseAuditWrites(type: string, method: string): void {
  if (type !== 'AuditEvent' || method === 'GET' || method === 'HEAD') return;
  throw fhirError(405, 'not-supported', 'AuditEvents are recorded by the server: they cannot be created, changed or deleted through the API').withHeaders({
    Allow: 'GET, HEAD',
  });
}
