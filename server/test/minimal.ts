// Builds a small valid instance of any resource type from its StructureDefinition: every required
// element filled with a value of its type (the first code of a required binding for codes).
import { core } from '../src/fhir/definitions.js';

const SAMPLE: Record<string, unknown> = {
  string: 'sample',
  markdown: 'sample',
  code: 'sample',
  id: 'sample',
  uri: 'urn:sample',
  url: 'http://example.org/sample',
  canonical: 'http://example.org/sample',
  oid: 'urn:oid:1.2.3',
  uuid: 'urn:uuid:5f6a1c1e-7b3e-4a9a-9a43-2c1f0e0d9b11',
  boolean: true,
  integer: 1,
  positiveInt: 1,
  unsignedInt: 1,
  decimal: 1.5,
  date: '2024-01-02',
  dateTime: '2024-01-02T03:04:05Z',
  instant: '2024-01-02T03:04:05Z',
  time: '03:04:05',
  base64Binary: 'AAAA',
  xhtml: '<div xmlns="http://www.w3.org/1999/xhtml">sample</div>',
  Reference: { display: 'sample' },
  CodeableConcept: { text: 'sample' },
  Coding: { system: 'http://example.org', code: 'sample' },
  Quantity: { value: 1, unit: 'mg' },
  Period: { start: '2024-01-02' },
  Identifier: { system: 'http://example.org', value: 'sample' },
  Attachment: { contentType: 'text/plain', data: 'AAAA' },
  Money: { value: 1, currency: 'USD' },
  HumanName: { family: 'Sample' },
  Narrative: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">sample</div>' },
  Timing: { code: { text: 'sample' } },
  Signature: undefined,
};

/** What the types with invariants (beyond cardinality) need on top of their required elements. */
const INVARIANT_EXTRAS: Record<string, Record<string, unknown>> = {
  AllergyIntolerance: { clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] } },
  Appointment: { participant: [{ actor: { display: 'sample' }, status: 'accepted' }] },
  AppointmentResponse: { actor: { display: 'sample' } },
  Bundle: { type: 'collection' },
  CapabilityStatement: { rest: [{ mode: 'server' }], description: 'sample', kind: 'requirements' },
  Consent: { policyRule: { text: 'sample' } },
  ImmunizationRecommendation: { recommendation: [{ vaccineCode: [{ text: 'sample' }], forecastStatus: { text: 'due' } }] },
  InsurancePlan: { name: 'sample' },
  Linkage: { item: [{ type: 'source', resource: { display: 'a' } }, { type: 'alternate', resource: { display: 'b' } }] },
  // a subscription Meridian can deliver (it refuses others at create); off, so the server does not activate it
  Subscription: { status: 'off', criteria: 'Patient', channel: { type: 'websocket' } },
  StructureDefinition: { differential: { element: [{ id: 'Patient', path: 'Patient' }] }, type: 'Patient', baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient', derivation: 'constraint' },
  TerminologyCapabilities: { description: 'sample', kind: 'requirements' },
};

export function minimalResource(type: string): Record<string, unknown> {
  return { resourceType: type, ...requiredElements(type, 0), ...INVARIANT_EXTRAS[type] };
}

function requiredElements(typeName: string, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const elements = core.tryGetDataType(typeName)?.elements ?? {};
  for (const [name, element] of Object.entries(elements)) {
    if (element.min < 1) continue;
    const type = element.type[0].code;
    const key = name.endsWith('[x]') ? name.slice(0, -3) + type[0].toUpperCase() + type.slice(1) : name;
    let value = sampleFor(type, element.binding, depth);
    if (value === undefined) continue;
    if (element.isArray) value = [value];
    out[key] = value;
  }
  return out;
}

function sampleFor(type: string, binding: { strength?: string; valueSet?: string } | undefined, depth: number): unknown {
  if (binding?.strength === 'required' && binding.valueSet && (type === 'code' || type === 'CodeableConcept' || type === 'Coding')) {
    const code = firstCode(binding.valueSet);
    if (code) {
      if (type === 'code') return code.code;
      if (type === 'Coding') return code;
      return { coding: [code] };
    }
  }
  if (type in SAMPLE) return SAMPLE[type];
  if (depth > 4) return undefined;
  return requiredElements(type, depth + 1);
}

import { readJson } from '../src/fhir/definitions.js';
let valueSets: Map<string, any> | undefined;
let codeSystems: Map<string, any> | undefined;
function firstCode(url: string): { system: string; code: string } | undefined {
  if (!valueSets) {
    valueSets = new Map();
    codeSystems = new Map();
    for (const e of readJson('fhir/r4/valuesets.json').entry) {
      if (e.resource.resourceType === 'ValueSet') valueSets.set(e.resource.url, e.resource);
      if (e.resource.resourceType === 'CodeSystem') codeSystems.set(e.resource.url, e.resource);
    }
  }
  const include = valueSets.get(url.split('|')[0])?.compose?.include?.[0];
  if (!include) return undefined;
  if (include.concept?.[0]) return { system: include.system, code: include.concept[0].code };
  const concept = codeSystems!.get(include.system)?.concept?.[0];
  return concept ? { system: include.system, code: concept.code } : undefined;
}
