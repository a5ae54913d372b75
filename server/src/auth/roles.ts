// Roles from Meridian's world and the resource scopes each may be granted. At consent the scopes an
// app asks for are narrowed to what the user's role allows (SMART lets a server grant less than
// asked: the token response says what was granted).
import { parseResourceScope, type Action, type ResourceScope, type ScopeContext } from './scopes.js';

export const ROLES = ['doctor', 'nurse', 'receptionist', 'billing', 'admin', 'patient'] as const;
export type Role = (typeof ROLES)[number];

interface Rule {
  contexts: ScopeContext[];
  /** Resource types, or '*' for every type. */
  types: '*' | string[];
  actions: Action[];
}

const CLINICIAN: ScopeContext[] = ['user', 'patient'];
const SCHEDULING = ['Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'Location', 'HealthcareService', 'Schedule', 'Slot', 'Appointment', 'AppointmentResponse', 'Coverage'];
const BILLING = ['Claim', 'ClaimResponse', 'Coverage', 'CoverageEligibilityRequest', 'CoverageEligibilityResponse', 'ExplanationOfBenefit', 'Invoice', 'Account', 'ChargeItem', 'PaymentNotice', 'PaymentReconciliation'];
const BILLING_READS = ['Patient', 'Encounter', 'Condition', 'Procedure', 'Practitioner', 'PractitionerRole', 'Organization', 'Location', 'MedicationRequest', 'CodeSystem', 'ValueSet']; // (terminology: billing looks codes up)

const POLICIES: Record<Role, Rule[]> = {
  doctor: [{ contexts: CLINICIAN, types: '*', actions: ['c', 'r', 'u', 'd', 's'] }],
  nurse: [{ contexts: CLINICIAN, types: '*', actions: ['c', 'r', 'u', 's'] }],
  receptionist: [{ contexts: CLINICIAN, types: SCHEDULING, actions: ['c', 'r', 'u', 's'] }],
  billing: [
    { contexts: CLINICIAN, types: BILLING, actions: ['c', 'r', 'u', 's'] },
    { contexts: CLINICIAN, types: BILLING_READS, actions: ['r', 's'] },
  ],
  admin: [{ contexts: ['user', 'patient', 'system'], types: '*', actions: ['c', 'r', 'u', 'd', 's'] }],
  // a patient sees their own record and books their own appointments
  patient: [
    { contexts: ['patient'], types: '*', actions: ['r', 's'] },
    { contexts: ['patient'], types: ['Appointment'], actions: ['c', 'u'] },
  ],
};

/** Types only admins are granted by name (a wildcard scope never covers them: see permissions.ts). */
const ADMIN_ONLY = new Set(['AuditEvent']);

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/**
 * The resource scopes a user of this role is granted when these are asked for: each asked scope
 * narrowed to the role's types and actions (a wildcard may become several typed scopes), the rest
 * dropped. Scopes other than resource scopes are left to the caller.
 */
export function grantableScopes(role: Role, asked: string[]): string[] {
  const granted: string[] = [];
  for (const text of asked) {
    const scope = parseResourceScope(text);
    if (!scope) continue;
    for (const rule of POLICIES[role]) {
      if (!rule.contexts.includes(scope.context)) continue;
      const actions = [...scope.actions].filter((a) => rule.actions.includes(a));
      if (!actions.length) continue;
      const types = rule.types === '*' ? [scope.type] : scope.type === '*' ? rule.types : rule.types.filter((t) => t === scope.type);
      for (const type of types) {
        if (ADMIN_ONLY.has(type) && role !== 'admin') continue;
        granted.push(actions.length === scope.actions.size && type === scope.type ? scope.text : render(scope, type, actions));
      }
    }
  }
  return [...new Set(granted)];
}

/** A scope in v2 form (actions in cruds order), keeping its query. */
function render(scope: ResourceScope, type: string, actions: Action[]): string {
  const letters = (['c', 'r', 'u', 'd', 's'] as Action[]).filter((a) => actions.includes(a)).join('');
  return `${scope.context}/${type}.${letters}${scope.query ? `?${scope.query}` : ''}`;
}

