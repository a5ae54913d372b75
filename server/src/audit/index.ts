// The audit trail: AuditEvents (IHE BALP) for every access to patient data and every sign-in.
export { AuditLog } from './log.js';
export { auditAccess, noteAccess, requestQuery, seen, seenJson, actor, type Access, type Seen } from './access.js';
export { loginAuditEvent, restAuditEvent, CLIENT_SYSTEM, USERNAME_SYSTEM, type Actor, type Interaction } from './events.js';
export { refuseAuditWrites } from './read-only.js';
