// The practice: a family-medicine clinic on two sites with a few specialists, the hospital its patients
// go to, the payers that cover them, and the schedules and slots of its clinicians — one transaction
// Bundle, loaded before any patient Bundle (patients reference these by conditional references).
import type { Address, Bundle, BundleEntry, ContactPoint, Location, Organization, Practitioner, PractitionerRole, Schedule, Slot } from '@medplum/fhirtypes';
import { type Coded, HL7, SPECIALTIES } from './codes.js';
import { addMinutes, formatMoment, localDateTime } from './dates.js';
import { type Ref, concept, createEntry, practiceReference, seedIdentifier } from './fhir.js';
import { type PracticePlan, type PractitionerPlan, FUTURE_WINDOW_DAYS, PAST_WINDOW_DAYS, SLOT_MINUTES, practiceValue } from './plan.js';
import type { PayerKey } from './profile.js';
import { Random } from './random.js';

export interface PayerDef {
  name: string;
  type: Coded;
  coverageType: Coded;
  plan: string;
  group: string;
  /** Share of the charge the payer allows, and the patient's copay on an office visit (USD). */
  allowed: number;
  copay: number;
  phone: string;
}

export const PAYERS: Record<PayerKey, PayerDef> = {
  medicare: { name: 'Medicare', type: HL7.organizationType.govt, coverageType: HL7.coverageType.PUBLICPOL, plan: 'Medicare Part B', group: 'MEDICARE-B', allowed: 0.55, copay: 0, phone: '800-555-0101' },
  medicaid: { name: 'Commonwealth Medicaid', type: HL7.organizationType.govt, coverageType: HL7.coverageType.SUBSIDIZ, plan: 'Medicaid Standard', group: 'MCD-STD', allowed: 0.45, copay: 0, phone: '800-555-0102' },
  bluewater: { name: 'Bluewater Health Plan', type: HL7.organizationType.ins, coverageType: HL7.coverageType.HIP, plan: 'Bluewater PPO 1500', group: 'BW-4410', allowed: 0.78, copay: 25, phone: '800-555-0103' },
  northstar: { name: 'Northstar Mutual Insurance', type: HL7.organizationType.ins, coverageType: HL7.coverageType.HIP, plan: 'Northstar HMO Select', group: 'NS-2200', allowed: 0.72, copay: 20, phone: '800-555-0104' },
  keystone: { name: 'Keystone Health Alliance', type: HL7.organizationType.ins, coverageType: HL7.coverageType.HIP, plan: 'Keystone Choice 3000', group: 'KH-0931', allowed: 0.7, copay: 35, phone: '800-555-0105' },
};

export const PAYER_KEYS = Object.keys(PAYERS) as PayerKey[];

export const CLINIC_NAME = 'Meridian Family Health';
export const HOSPITAL_NAME = 'Meridian General Hospital';

interface SiteDef {
  key: 'main' | 'north' | 'hospital' | 'ed';
  name: string;
  type: Coded;
  address: Address;
  phone: string;
  organization: 'clinic' | 'hospital';
}

export const SITES: SiteDef[] = [
  { key: 'main', name: `${CLINIC_NAME} - Main Street`, type: HL7.locationType.FMC, address: { use: 'work', line: ['100 Main Street'], city: 'Worcester', state: 'MA', postalCode: '01608', country: 'US' }, phone: '508-555-0110', organization: 'clinic' },
  { key: 'north', name: `${CLINIC_NAME} - North`, type: HL7.locationType.FMC, address: { use: 'work', line: ['25 Merrimack Street'], city: 'Lowell', state: 'MA', postalCode: '01852', country: 'US' }, phone: '978-555-0111', organization: 'clinic' },
  { key: 'hospital', name: HOSPITAL_NAME, type: HL7.locationType.HOSP, address: { use: 'work', line: ['1 Hospital Drive'], city: 'Worcester', state: 'MA', postalCode: '01605', country: 'US' }, phone: '508-555-0120', organization: 'hospital' },
  { key: 'ed', name: `${HOSPITAL_NAME} Emergency Department`, type: HL7.locationType.ER, address: { use: 'work', line: ['1 Hospital Drive'], city: 'Worcester', state: 'MA', postalCode: '01605', country: 'US' }, phone: '508-555-0121', organization: 'hospital' },
];

const DAY_CODES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export function specialtyCoding(p: PractitionerPlan): Coded {
  return SPECIALTIES[p.specialty];
}

export function practitionerName(p: PractitionerPlan): string {
  return `Dr. ${p.given.join(' ')} ${p.family}`;
}

// References from patient Bundles to practice resources (conditional: Type?identifier=system|value).
export const refs = {
  practitioner: (plan: PracticePlan, k: number): Ref => practiceReference('Practitioner', practiceValue(plan.tag, 'prac', k), practitionerName(plan.practitioners[k])),
  clinic: (plan: PracticePlan): Ref => practiceReference('Organization', practiceValue(plan.tag, 'org', 'clinic'), CLINIC_NAME),
  hospital: (plan: PracticePlan): Ref => practiceReference('Organization', practiceValue(plan.tag, 'org', 'hospital'), HOSPITAL_NAME),
  payer: (plan: PracticePlan, key: PayerKey): Ref => practiceReference('Organization', practiceValue(plan.tag, 'org', 'payer', key), PAYERS[key].name),
  site: (plan: PracticePlan, key: SiteDef['key']): Ref => practiceReference('Location', practiceValue(plan.tag, 'loc', key), SITES.find((s) => s.key === key)!.name),
  slot: (plan: PracticePlan, k: number, n: number): Ref => practiceReference('Slot', practiceValue(plan.tag, 'slot', k, n)),
};

export function siteOf(p: PractitionerPlan): SiteDef['key'] {
  return p.kind === 'hospitalist' ? 'hospital' : p.site === 0 ? 'main' : 'north';
}

export function buildPracticeBundle(plan: PracticePlan): Bundle {
  const uuids = Random.of(plan.options.seed, 'practice-uuids');
  const entries: BundleEntry[] = [];
  const add = (resource: Organization | Location | Practitioner | PractitionerRole | Schedule | Slot, value: string): string => {
    const fullUrl = `urn:uuid:${uuids.uuid()}`;
    (resource as { identifier?: unknown[] }).identifier = [seedIdentifier(value), ...(((resource as { identifier?: unknown[] }).identifier) ?? [])];
    entries.push(createEntry(fullUrl, reorder(resource), value));
    return fullUrl;
  };
  const phone = (value: string): ContactPoint => ({ system: 'phone', value, use: 'work' });

  const clinicUrl = add({ resourceType: 'Organization', active: true, type: [concept(HL7.organizationType.prov)], name: CLINIC_NAME, telecom: [phone('508-555-0100')], address: [SITES[0].address] }, practiceValue(plan.tag, 'org', 'clinic'));
  const hospitalUrl = add({ resourceType: 'Organization', active: true, type: [concept(HL7.organizationType.prov)], name: HOSPITAL_NAME, telecom: [phone(SITES[2].phone)], address: [SITES[2].address] }, practiceValue(plan.tag, 'org', 'hospital'));
  for (const key of Object.keys(PAYERS) as PayerKey[]) {
    const p = PAYERS[key];
    const types = p.type.code === 'govt' ? [concept(HL7.organizationType.govt), concept(HL7.organizationType.pay)] : [concept(HL7.organizationType.ins), concept(HL7.organizationType.pay)];
    add({ resourceType: 'Organization', active: true, type: types, name: p.name, telecom: [phone(p.phone)] }, practiceValue(plan.tag, 'org', 'payer', key));
  }
  const siteUrls = new Map<string, string>();
  for (const site of SITES) {
    const location: Location = {
      resourceType: 'Location',
      status: 'active',
      name: site.name,
      mode: 'instance',
      type: [concept(site.type)],
      telecom: [phone(site.phone)],
      address: site.address,
      physicalType: concept(HL7.locationPhysicalType.bu),
      managingOrganization: { reference: site.organization === 'clinic' ? clinicUrl : hospitalUrl },
    };
    if (site.key === 'ed') location.partOf = { reference: siteUrls.get('hospital')!, display: HOSPITAL_NAME };
    siteUrls.set(site.key, add(location, practiceValue(plan.tag, 'loc', site.key)));
  }

  for (const p of plan.practitioners) {
    const name = practitionerName(p);
    const email = `${p.given[0]}.${p.family}@meridian-health.example.org`.toLowerCase();
    const pracUrl = add({
      resourceType: 'Practitioner',
      active: true,
      name: [{ use: 'official', family: p.family, given: p.given, prefix: ['Dr.'], suffix: ['MD'] }],
      telecom: [phone(SITES.find((s) => s.key === siteOf(p))!.phone), { system: 'email', value: email, use: 'work' }],
      gender: p.sex,
      qualification: [{ code: { text: 'Doctor of Medicine (MD)' } }],
    }, practiceValue(plan.tag, 'prac', p.index));
    const site = siteOf(p);
    const specialty = specialtyCoding(p);
    const role: PractitionerRole = {
      resourceType: 'PractitionerRole',
      active: true,
      practitioner: { reference: pracUrl, display: name },
      organization: { reference: p.kind === 'hospitalist' ? hospitalUrl : clinicUrl, display: p.kind === 'hospitalist' ? HOSPITAL_NAME : CLINIC_NAME },
      code: [concept(HL7.practitionerRole.doctor)],
      specialty: [concept(specialty)],
      location: [{ reference: siteUrls.get(site)!, display: SITES.find((s) => s.key === site)!.name }],
      telecom: [phone(SITES.find((s) => s.key === site)!.phone)],
      availableTime: p.kind === 'hospitalist'
        ? [{ daysOfWeek: [...DAY_CODES], allDay: true }]
        : [{ daysOfWeek: p.days.map((d) => DAY_CODES[d]), availableStartTime: '09:00:00', availableEndTime: '17:00:00' }],
      availabilityExceptions: p.kind === 'hospitalist' ? 'Hospital rota' : 'Closed 12:00-13:00 and on public holidays',
    };
    add(role, practiceValue(plan.tag, 'role', p.index));
    if (p.kind === 'hospitalist') continue;

    const category = p.specialty === 'familyPractice' ? HL7.serviceCategory.generalPractice : HL7.serviceCategory.specialistMedical;
    const scheduleUrl = add({
      resourceType: 'Schedule',
      active: true,
      serviceCategory: [concept(category)],
      specialty: [concept(specialty)],
      actor: [{ reference: pracUrl, display: name }, { reference: siteUrls.get(site)!, display: SITES.find((s) => s.key === site)!.name }],
      planningHorizon: { start: localDateTime(plan.asOfDay - PAST_WINDOW_DAYS, 0), end: localDateTime(plan.asOfDay + FUTURE_WINDOW_DAYS, 0) },
      comment: `${name}: clinic on ${p.days.map((d) => DAY_CODES[d]).join(', ')}, ${SLOT_MINUTES}-minute appointments`,
    }, practiceValue(plan.tag, 'sched', p.index));
    plan.slots[p.index].forEach((s, n) => {
      const start = { day: s.day, minute: s.minute };
      add({
        resourceType: 'Slot',
        serviceCategory: [concept(category)],
        specialty: [concept(specialty)],
        appointmentType: concept(HL7.appointmentType.ROUTINE),
        schedule: { reference: scheduleUrl },
        status: s.status,
        start: formatMoment(start),
        end: formatMoment(addMinutes(start, SLOT_MINUTES)),
      }, practiceValue(plan.tag, 'slot', p.index, n));
    });
  }
  return { resourceType: 'Bundle', type: 'transaction', entry: entries };
}

/** resourceType first, then identifier, then the rest in the order written (stable output). */
export function reorder<T extends { resourceType: string }>(resource: T): T {
  const { resourceType, identifier, ...rest } = resource as T & { identifier?: unknown };
  return { resourceType, ...(identifier === undefined ? {} : { identifier }), ...rest } as unknown as T;
}
