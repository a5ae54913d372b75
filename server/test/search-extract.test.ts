// Compiled search paths select exactly what FHIRPath selects.
import { describe, expect, it } from 'vitest';
import { resourceTypes } from '../src/fhir/definitions.js';
import { extractTokens, typedValues } from '../src/search/extract.js';
import { indexedTokenParams } from '../src/search/registry.js';
import { minimalResource } from './minimal.js';

const observation = {
  resourceType: 'Observation',
  status: 'final',
  identifier: [{ system: 'urn:dev', value: 'abc' }],
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
  valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '1234' }] },
  component: [
    { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120 } },
    { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueCodeableConcept: { text: 'x', coding: [{ code: 'y' }] } },
  ],
  meta: { tag: [{ system: 'urn:t', code: 't1' }], security: [{ code: 'R' }] },
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
  it('compiled paths give the same values as FHIRPath, for every token parameter of every type', () => {
    const samples = [observation, patient, ...resourceTypes().map((t) => minimalResource(t))];
    let compared = 0;
    for (const resource of samples) {
      for (const param of indexedTokenParams(resource.resourceType as string)) {
        if (!param.paths) continue;
        const viaPaths = typedValues(resource as never, param);
        const viaFhirPath = typedValues(resource as never, { ...param, paths: undefined });
        expect(viaPaths.map((v) => [v.type, v.value]), `${resource.resourceType}.${param.code}`).toEqual(viaFhirPath.map((v) => [v.type, v.value]));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(500);
  });

  it('indexes codings, identifiers, codes and booleans as (param, system, code) rows', () => {
    const rows = extractTokens(observation as never);
    const triples = rows.param.map((p, i) => `${p}|${rows.system[i] ?? ''}|${rows.code[i]}`);
    expect(triples).toEqual(
      expect.arrayContaining([
        'status||final',
        'code|http://loinc.org|85354-9',
        'combo-code|http://loinc.org|8480-6',
        'component-code|http://loinc.org|8462-4',
        'value-concept|http://snomed.info/sct|1234',
        'combo-value-concept||y',
        'identifier|urn:dev|abc',
        '_tag|urn:t|t1',
        '_security||R',
      ]),
    );
    const p = extractTokens(patient as never);
    const pt = p.param.map((x, i) => `${x}|${p.system[i] ?? ''}|${p.code[i]}`);
    expect(pt).toEqual(expect.arrayContaining(['active||true', 'gender||female', 'identifier||2', 'email|email|a@example.org', 'phone|phone|555', 'deceased||false']));
    expect(pt).not.toContain('_project');
  });
});
