// Meridian's SMART apps: what each is, how it is launched and which scopes it asks for. Plain data,
// read by the build (one bundle per app), by the server (a public client per app, its launch URL)
// and by the launcher (what a user may open). No DOM, no Node APIs.

export type LaunchKind = 'ehr' | 'standalone';

export interface AppDescriptor {
  /** Folder under smart-apps/ and the path under /apps/. */
  id: string;
  name: string;
  description: string;
  /** ehr: opened by an EHR with a patient in context; standalone: signs in on its own. */
  launch: LaunchKind;
  /** Asked for at authorization; the user's role narrows it (server/src/auth/roles.ts). */
  scope: string;
  /** Roles the launcher offers it to (the server enforces scopes whatever the launcher shows). */
  roles: string[];
}

export const APPS: AppDescriptor[] = [
  {
    id: 'launcher',
    name: 'Launcher',
    description: 'Sign in, pick a patient and open an app.',
    launch: 'standalone',
    scope: 'openid fhirUser user/Patient.rs user/Encounter.rs user/Practitioner.rs',
    roles: [],
  },
  {
    id: 'chart',
    name: 'Chart',
    description: 'Problems, medications, allergies, encounters, trends and care gaps.',
    launch: 'ehr',
    // reads the record; applying a CDS suggestion writes what it proposes (an order, a vaccine, a visit)
    scope: 'launch openid fhirUser patient/*.rs patient/ServiceRequest.cud patient/MedicationRequest.cud patient/Appointment.cu',
    roles: ['doctor', 'nurse'],
  },
  {
    id: 'monitor',
    name: 'Vitals monitor',
    description: 'A ward of patients, their vital signs live.',
    launch: 'standalone',
    scope: 'openid fhirUser user/Patient.rs user/Observation.rs user/Subscription.cruds',
    roles: ['doctor', 'nurse'],
  },
  {
    id: 'scheduling',
    name: 'Scheduling',
    description: 'Find a practitioner and a free slot; book, move and cancel appointments.',
    launch: 'ehr',
    scope: 'launch openid fhirUser user/Patient.rs user/Practitioner.rs user/PractitionerRole.rs user/Location.rs user/Schedule.rs user/Slot.rus user/Appointment.cruds',
    roles: ['receptionist', 'doctor', 'nurse'],
  },
  {
    id: 'prescribing',
    name: 'Prescribing',
    description: 'Compose and sign medication orders with decision support.',
    launch: 'ehr',
    scope: 'launch openid fhirUser patient/*.rs patient/MedicationRequest.cruds',
    roles: ['doctor'],
  },
  {
    id: 'billing',
    name: 'Billing',
    description: 'Claims from encounters: build, validate, submit, track.',
    launch: 'ehr',
    scope: 'launch openid fhirUser user/Patient.rs user/Encounter.rs user/Condition.rs user/Procedure.rs user/Coverage.rs user/Organization.rs user/Practitioner.rs user/Claim.crus user/ClaimResponse.rs user/ValueSet.rs user/CodeSystem.rs',
    roles: ['billing'],
  },
  {
    id: 'portal',
    name: 'Patient portal',
    description: 'Your record, results, appointments and medications.',
    launch: 'standalone',
    scope: 'launch/patient openid fhirUser patient/*.rs patient/Appointment.cru',
    roles: ['patient'],
  },
  {
    id: 'admin',
    name: 'Admin',
    description: 'Users and roles, registered clients, the audit log.',
    launch: 'standalone',
    scope: 'openid fhirUser user/AuditEvent.rs user/Patient.rs user/Practitioner.rs',
    roles: ['admin'],
  },
];

/** What the launcher offers (GET /apps/registry.json): built-in apps and registered launchable clients. */
export interface LaunchableApp {
  /** The client_id. */
  id: string;
  name: string;
  description: string;
  /** ehr: opened with a launch (POST /launch); standalone: opened as is, it signs in itself. */
  launch: LaunchKind;
  launchUrl: string;
  /** Roles it is meant for (empty: any). */
  roles: string[];
}

/** The client_id Meridian registers for one of its own apps. */
export const appClientId = (id: string) => `meridian-${id}`;

export const findApp = (id: string) => APPS.find((a) => a.id === id);
