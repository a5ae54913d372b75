// Compiled search paths select exactly what FHIRPath selects.
import { describe, expect, it } from 'vitest';
import { resourceTypes } from '../src/fhir/definitions.js';
import { extractIndex, typedValues } from '../src/search/extract.js';
import { indexedParams } from '../src/search/registry.js';
import { minimalResource } from './minimal.js';

const observation = {
  resourceType: 'Observation',
  status: 'final',
  identifier: [{ system: 'urn:dev', value: 'abc' }],
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
  component: [
    { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120 } },
    { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueCodeableConcept: { text: 'x', coding: [{ code: 'y' }] } },
  ],
  meta: { tag: [{ system: 'urn:t', code: 't1' }], security: [{ code: 'R' }] },
  subject: { reference: 'Patient/123' },
  performer: [{ reference: 'Practitioner/p1' }, { reference: 'http://localhost/fhir/Organization/o1' }, { identifier: { system: 'urn:npi', value: '99' } }],
  effectivePeriod: { start: '2024-01-02', end: '2024-01-03T10:00:00Z' },
  valueQuantity: { value: 72.5, system: 'http://unitsofmeasure.org', code: '/min', unit: 'beats/minute' },
};
const patient = {
  resourceType: 'Patient',
  active: true,
  gender: 'female',
  identifier: [{ system: 'urn:mrn', value: '1' }, { value: '2' }],
  telecom: [{ system: 'email', value: 'a@example.org' }, { system: 'phone', value: '555' }],
  deceasedBoolean: false,
  language: 'en',
  communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en' }] } }],
};

describe('search index extraction', () => {
  it('compiled paths give the same values as FHIRPath, for every indexed parameter of every type', () => {
    const samples = [observation, patient, ...resourceTypes().map((t) => minimalResource(t))];
    let compared = 0;
    for (const resource of samples) {
      for (const param of indexedParams(resource.resourceType as string)) {
        if (!param.paths) continue;
        const viaPaths = typedValues(resource as never, param);
        const viaFhirPath = typedValues(resource as never, { ...param, paths: undefined });
        expect(viaPaths.map((v) => [v.type, v.value]), `${resource.resourceType}.${param.code}`).toEqual(viaFhirPath.map((v) => [v.type, v.value]));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('compiled composite components give the same rows as FHIRPath', () => {
    const samples = [observation, { ...observation, valueQuantity: undefined, valueCodeableConcept: { coding: [{ code: 'pos' }] } }, ...resourceTypes().map((t) => minimalResource(t))];
    for (const resource of samples) {
      const compiled = extractIndex(resource as never, 'http://localhost/fhir').composite;
      const components = indexedParams(resource.resourceType as string).flatMap((p) => p.components ?? []);
      const saved = components.map((c) => c.compiled);
      for (const c of components) {
        c.compiled = new Map();
        c.compiled.has = () => true; // every element type "compiled" to undefined: evaluate FHIRPath
      }
      try {
        expect(compiled, resource.resourceType as string).toEqual(extractIndex(resource as never, 'http://localhost/fhir').composite);
      } finally {
        components.forEach((c, i) => (c.compiled = saved[i]));
      }
    }
    expect(extractIndex(observation as never, 'http://localhost/fhir').composite.param).toEqual(
      expect.arrayContaining(['code-value-quantity', 'component-code-value-quantity', 'combo-code-value-quantity']),
    );
  });

  it('indexes codings, identifiers, codes and booleans as (param, system, code) rows', () => {
    const rows = extractIndex(observation as never, 'http://localhost/fhir').token;
    const triples = rows.param.map((p, i) => `${p}|${rows.system[i] ?? ''}|${rows.code[i]}`);
    expect(triples).toEqual(
      expect.arrayContaining([
        'status||final',
        'code|http://loinc.org|85354-9',
        'combo-code|http://loinc.org|8480-6',
        'component-code|http://loinc.org|8462-4',
        'combo-value-concept||y',
        'performer:identifier|urn:npi|99',
        'identifier|urn:dev|abc',
        '_tag|urn:t|t1',
        '_security||R',
      ]),
    );
    const all = extractIndex(observation as never, 'http://localhost/fhir');
    const refs = all.reference.param.map((x, i) => `${x}|${all.reference.targetType[i]}|${all.reference.targetId[i]}`);
    expect(refs).toEqual(expect.arrayContaining(['subject|Patient|123', 'patient|Patient|123', 'performer|Practitioner|p1', 'performer|Organization|o1']));
    expect(refs.filter((r) => r.startsWith('patient|'))).toEqual(['patient|Patient|123']);
    const dates = all.date.param.map((x, i) => `${x}|${all.date.low[i]}|${all.date.high[i]}`);
    expect(dates).toEqual(['date|2024-01-02T00:00:00.000Z|2024-01-03T10:00:01.000Z']);
    const numbers = all.number.param.map((x, i) => `${x}|${all.number.value[i]}|${all.number.system[i]}|${all.number.code[i]}`);
    expect(numbers).toEqual(expect.arrayContaining(['value-quantity|72.5|http://unitsofmeasure.org|/min', 'component-value-quantity|120|null|null']));
    const p = extractIndex(patient as never, 'http://localhost/fhir').token;
    const pt = p.param.map((x, i) => `${x}|${p.system[i] ?? ''}|${p.code[i]}`);
    expect(pt).toEqual(expect.arrayContaining(['active||true', 'gender||female', 'identifier||2', 'email|email|a@example.org', 'phone|phone|555', 'deceased||false']));
    expect(pt).not.toContain('_project');
  });
});
