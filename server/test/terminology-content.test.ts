// The curated terminology content in terminology/ (CodeSystems, ValueSets, ConceptMaps): every file is a
// valid R4 resource; every code the seed emits, and every vital-sign rule code, is in its CodeSystem with
// the same display; hierarchies point inside their file and have no cycle; ValueSets and ConceptMaps name
// only codes that exist; RxNorm clinical drugs have ingredients. No server, no database.
import type { CodeSystem, CodeSystemConcept, ConceptMap, Resource, ValueSet } from '@medplum/fhirtypes';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as seedCodes from '../../seed/codes.js';
import { LABS, MEDICATIONS, VITALS, codeSystemContents } from '../../seed/codes.js';
import { loadDefinitions } from '../src/fhir/definitions.js';
import { validationIssues } from '../src/fhir/validate.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'terminology');
const VITAL_RULES = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'subscriptions', 'vital-sign-rules.json');

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const CPT = 'http://www.ama-assn.org/go/cpt';
const HCPCS = 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets';
const UCUM = 'http://unitsofmeasure.org';
const DRUG_CLASS = 'https://meridian.dev/fhir/CodeSystem/drug-class';

function readFolder<T extends Resource>(folder: string): { file: string; resource: T }[] {
  return readdirSync(join(ROOT, folder))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: `${folder}/${f}`, resource: JSON.parse(readFileSync(join(ROOT, folder, f), 'utf8')) as T }));
}

const codeSystems = readFolder<CodeSystem>('codesystems');
const valueSets = readFolder<ValueSet>('valuesets');
const conceptMaps = readFolder<ConceptMap>('conceptmaps');
const all = [...codeSystems, ...valueSets, ...conceptMaps];

/** system URL -> code -> concept */
const bySystem = new Map<string, Map<string, CodeSystemConcept>>();
for (const { resource } of codeSystems) bySystem.set(resource.url!, new Map((resource.concept ?? []).map((c) => [c.code!, c])));
const conceptOf = (system: string, code: string) => bySystem.get(system)?.get(code);
const props = (c: CodeSystemConcept | undefined, code: string) => (c?.property ?? []).filter((p) => p.code === code);
const parentsOf = (c: CodeSystemConcept) => props(c, 'parent').map((p) => p.valueCode!);

beforeAll(() => {
  loadDefinitions();
});

describe('terminology content: files', () => {
  it('every file is a valid R4 resource with the id its file name says', () => {
    expect(all.length).toBeGreaterThan(15);
    const problems: string[] = [];
    for (const { file, resource } of all) {
      for (const i of validationIssues(resource)) {
        if (i.severity === 'error' || i.severity === 'fatal') problems.push(`${file}: ${i.diagnostics} at ${i.expression?.join(', ')}`);
      }
      if (`${resource.id}.json` !== file.split('/')[1]) problems.push(`${file}: id ${resource.id}`);
    }
    expect(problems).toEqual([]);
  });

  it('CodeSystems are honest fragments with the official system URLs, one file per system', () => {
    const urls = codeSystems.map(({ resource }) => resource.url);
    expect(new Set(urls).size).toBe(urls.length);
    for (const url of [LOINC, SNOMED, ICD10CM, RXNORM, CPT, HCPCS, UCUM, DRUG_CLASS]) expect(urls).toContain(url);
    for (const { file, resource } of codeSystems) {
      expect(resource.status, file).toBe('active');
      expect(resource.version, file).toBeTruthy();
      expect(resource.name && resource.title, file).toBeTruthy();
      if (resource.url !== DRUG_CLASS) {
        expect(resource.content, file).toBe('fragment');
        expect(resource.copyright, file).toBeTruthy();
      }
      expect(resource.count, file).toBe(resource.concept?.length);
      const codes = (resource.concept ?? []).map((c) => c.code);
      expect(new Set(codes).size, `${file}: duplicate codes`).toBe(codes.length);
      // Every property a concept uses is declared, with a value of the declared type.
      const declared = new Map((resource.property ?? []).map((p) => [p.code!, p.type!]));
      for (const c of resource.concept ?? []) {
        expect(c.display, `${file}|${c.code}`).toBeTruthy();
        expect(c.concept, `${file}|${c.code}: concepts are a flat list`).toBeUndefined();
        for (const p of c.property ?? []) {
          const type = declared.get(p.code!);
          expect(type, `${file}|${c.code}: property ${p.code} is not declared`).toBeDefined();
          const key = `value${type![0]!.toUpperCase()}${type!.slice(1)}`;
          expect(key in p, `${file}|${c.code}: property ${p.code} is not a ${type}`).toBe(true);
        }
      }
    }
  });

  it('ValueSets and ConceptMaps have Meridian canonical URLs; the ids profiles bind to exist', () => {
    for (const { file, resource } of valueSets) {
      expect(resource.url, file).toBe(`https://meridian.dev/fhir/ValueSet/${resource.id}`);
      expect(resource.status, file).toBe('active');
      expect(resource.name && resource.title, file).toBeTruthy();
    }
    for (const { file, resource } of conceptMaps) expect(resource.url, file).toBe(`https://meridian.dev/fhir/ConceptMap/${resource.id}`);
    const ids = valueSets.map(({ resource }) => resource.id);
    for (const id of ['vital-signs', 'lab-tests', 'conditions', 'icd-10-cm', 'medications', 'medication-ingredients', 'allergy-substances', 'procedures', 'vital-units', 'encounter-types', 'specialties']) {
      expect(ids).toContain(id);
    }
    expect(conceptMaps.map(({ resource }) => resource.id).sort()).toEqual(['icd-10-cm-to-snomed', 'snomed-to-icd-10-cm']);
  });
});

describe('terminology content: the seed and the rules', () => {
  it('every code of codeSystemContents() is in its CodeSystem with the same display', () => {
    const missing: string[] = [];
    for (const shipped of codeSystemContents()) {
      for (const c of shipped.concepts) {
        const found = conceptOf(shipped.url, c.code);
        if (!found) missing.push(`${shipped.url}|${c.code} missing`);
        else if (found.display !== c.display) missing.push(`${shipped.url}|${c.code}: "${found.display}" is not the seed's "${c.display}"`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every coding exported by seed/codes.ts with an external system is in its CodeSystem with the same display', () => {
    const external = new Set([LOINC, SNOMED, ICD10CM, RXNORM, CPT, UCUM]);
    const found: { system: string; code: string; display: string }[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        if (typeof o.system === 'string' && typeof o.code === 'string' && typeof o.display === 'string') found.push(o as { system: string; code: string; display: string });
        Object.values(o).forEach(walk);
      }
    };
    walk(Object.values(seedCodes));
    const checked = found.filter((c) => external.has(c.system));
    expect(checked.length).toBeGreaterThanOrEqual(25);
    const problems = checked.filter((c) => conceptOf(c.system, c.code)?.display !== c.display).map((c) => `${c.system}|${c.code} ${c.display}`);
    expect(problems).toEqual([]);
  });

  it('every UCUM unit the seed writes is in the UCUM CodeSystem', () => {
    const units = new Set<string>(['d']); // durations in MedicationRequest (seed/patient.ts)
    for (const v of Object.values(VITALS)) units.add(v.unit);
    for (const l of Object.values(LABS)) units.add(l.unit);
    for (const m of Object.values(MEDICATIONS)) units.add(m.dose.unit).add(m.dispense.unit);
    expect([...units].filter((u) => !conceptOf(UCUM, u))).toEqual([]);
  });

  it('every LOINC code and unit of the vital-sign alert rules is shipped (and in the vital-signs ValueSet)', () => {
    const rules = (JSON.parse(readFileSync(VITAL_RULES, 'utf8')) as { rules: { code: string; unit: string }[] }).rules;
    expect(rules.length).toBeGreaterThan(0);
    const vitalSigns = valueSets.find(({ resource }) => resource.id === 'vital-signs')!.resource;
    const enumerated = new Set(vitalSigns.compose!.include.flatMap((i) => (i.concept ?? []).map((c) => c.code)));
    for (const r of rules) {
      expect(conceptOf(LOINC, r.code), r.code).toBeDefined();
      expect(enumerated.has(r.code), r.code).toBe(true);
      expect(conceptOf(UCUM, r.unit), r.unit).toBeDefined();
    }
  });

  it('the vital-signs ValueSet has every FHIR R4 vital-signs profile code and every seed vital', () => {
    const vitalSigns = valueSets.find(({ resource }) => resource.id === 'vital-signs')!.resource;
    const enumerated = new Set(vitalSigns.compose!.include.flatMap((i) => (i.concept ?? []).map((c) => c.code)));
    const profileCodes = ['85353-1', '9279-1', '8867-4', '2708-6', '59408-5', '8310-5', '8302-2', '9843-4', '29463-7', '39156-5', '85354-9', '8480-6', '8462-4'];
    for (const code of [...profileCodes, ...Object.values(VITALS).map((v) => v.loinc)]) expect(enumerated.has(code), code).toBe(true);
  });

  it('decision-support codes are present: creatinine, eGFR, potassium, HbA1c, LDL, INR, urine albumin/creatinine, body weight', () => {
    for (const code of ['2160-0', '33914-3', '62238-1', '98979-8', '2823-3', '4548-4', '18262-6', '13457-7', '6301-6', '14959-1', '9318-7', '29463-7']) {
      expect(conceptOf(LOINC, code), code).toBeDefined();
    }
    // MDRD eGFR is deprecated: inactive, so activeOnly expansions leave it out.
    expect(props(conceptOf(LOINC, '33914-3'), 'inactive')[0]?.valueBoolean).toBe(true);
  });
});

describe('terminology content: hierarchies and properties', () => {
  it('every parent points to a code in the same file and no hierarchy has a cycle', () => {
    for (const { file, resource } of codeSystems) {
      const concepts = new Map((resource.concept ?? []).map((c) => [c.code!, c]));
      const hasParents = [...concepts.values()].some((c) => parentsOf(c).length > 0);
      if (hasParents) expect(resource.hierarchyMeaning, file).toBe('is-a');
      for (const c of concepts.values()) {
        for (const p of parentsOf(c)) {
          expect(concepts.has(p), `${file}: parent ${p} of ${c.code}`).toBe(true);
          expect(p, `${file}: ${c.code} is its own parent`).not.toBe(c.code);
        }
      }
      // Depth-first search with colours: grey twice on one path is a cycle.
      const colour = new Map<string, 'grey' | 'black'>();
      const visit = (code: string, path: string[]) => {
        if (colour.get(code) === 'black') return;
        if (colour.get(code) === 'grey') throw new Error(`${file}: cycle ${[...path, code].join(' -> ')}`);
        colour.set(code, 'grey');
        for (const p of parentsOf(concepts.get(code)!)) visit(p, [...path, code]);
        colour.set(code, 'black');
      };
      for (const code of concepts.keys()) visit(code, []);
    }
  });

  it('SNOMED CT subsumption the rules rely on holds', () => {
    const ancestors = (code: string): Set<string> => {
      const out = new Set<string>();
      const stack = [code];
      while (stack.length) for (const p of parentsOf(conceptOf(SNOMED, stack.pop()!)!)) if (!out.has(p)) out.add(p), stack.push(p);
      return out;
    };
    const subsumes = (a: string, b: string) => ancestors(b).has(a);
    expect(subsumes('73211009', '44054006')).toBe(true); // diabetes mellitus > type 2
    for (const ckd of ['431855005', '431856006', '433144002', '431857002', '433146000']) expect(subsumes('709044004', ckd)).toBe(true);
    expect(subsumes('50043002', '195967001')).toBe(true); // respiratory disorder > asthma
    expect(subsumes('105590001', '764146007')).toBe(true); // substance > penicillin
    expect(subsumes('255620007', '256349002')).toBe(true); // food > peanut
    expect(subsumes('71388002', '50849002')).toBe(true);
    for (const c of Object.values(seedCodes.CONDITIONS)) expect(subsumes('404684003', c.snomed), c.snomed).toBe(true);
    // Every concept but the root reaches the root.
    for (const code of bySystem.get(SNOMED)!.keys()) if (code !== '138875005') expect(ancestors(code).has('138875005'), code).toBe(true);
  });

  it('every ICD-10-CM code reaches a chapter, and headers are notSelectable', () => {
    const icd = bySystem.get(ICD10CM)!;
    for (const c of icd.values()) {
      let cur = c;
      while (parentsOf(cur).length) cur = icd.get(parentsOf(cur)[0]!)!;
      expect(cur.code, c.code).toMatch(/^[A-Z]\d\d-[A-Z]\d[\dA-Z]$/);
    }
    const headers = new Set([...icd.values()].flatMap(parentsOf));
    for (const c of icd.values()) expect(props(c, 'notSelectable')[0]?.valueBoolean === true, c.code).toBe(headers.has(c.code!));
  });

  it('RxNorm: every SCD has ingredients that exist with tty IN, and every drug_class exists', () => {
    const rx = bySystem.get(RXNORM)!;
    const classes = bySystem.get(DRUG_CLASS)!;
    const scds = [...rx.values()].filter((c) => props(c, 'tty')[0]?.valueCode === 'SCD');
    expect(scds.length).toBeGreaterThanOrEqual(Object.keys(MEDICATIONS).length);
    for (const c of rx.values()) {
      expect(props(c, 'tty').length, c.code).toBe(1);
      for (const k of props(c, 'drug_class')) expect(classes.has(k.valueCode!), `${c.code} class ${k.valueCode}`).toBe(true);
      expect(props(c, 'drug_class').length, `${c.code} has a class`).toBeGreaterThan(0);
    }
    for (const c of scds) {
      const ingredients = props(c, 'has_ingredient').map((p) => p.valueCode!);
      expect(ingredients.length, c.code).toBeGreaterThan(0);
      for (const i of ingredients) expect(props(rx.get(i), 'tty')[0]?.valueCode, `${c.code} ingredient ${i}`).toBe('IN');
    }
    // The seed's ingredient and drug class of each of its drugs.
    for (const m of Object.values(MEDICATIONS)) {
      const c = rx.get(m.rxnorm)!;
      expect(props(c, 'has_ingredient').map((p) => p.valueCode)).toContain(m.ingredient.rxnorm);
      expect(classes.get(props(c, 'drug_class')[0]!.valueCode!)?.display, m.rxnorm).toBe(m.drugClass);
    }
  });

  it('LOINC panel members exist', () => {
    for (const c of bySystem.get(LOINC)!.values()) {
      for (const m of props(c, 'has-member')) expect(conceptOf(LOINC, m.valueCode!), `${c.code} member ${m.valueCode}`).toBeDefined();
    }
  });

  it('some concepts are inactive, so activeOnly can be tested', () => {
    const inactive = [...bySystem.values()].flatMap((m) => [...m.values()]).filter((c) => props(c, 'inactive')[0]?.valueBoolean === true);
    expect(inactive.length).toBeGreaterThan(0);
  });
});

describe('terminology content: ValueSets and ConceptMaps', () => {
  it('every enumerated concept exists in its CodeSystem with the same display; every filter names a declared property and, for is-a, a shipped code', () => {
    const problems: string[] = [];
    for (const { file, resource } of valueSets) {
      const parts = [...(resource.compose?.include ?? []), ...(resource.compose?.exclude ?? [])];
      expect(resource.compose?.include.length, file).toBeGreaterThan(0);
      for (const inc of parts) {
        const system = bySystem.get(inc.system!);
        if (!system) {
          problems.push(`${file}: system ${inc.system} is not shipped`);
          continue;
        }
        for (const c of inc.concept ?? []) {
          const found = system.get(c.code!);
          if (!found) problems.push(`${file}: ${inc.system}|${c.code} missing`);
          else if (c.display !== undefined && c.display !== found.display) problems.push(`${file}: ${inc.system}|${c.code} display "${c.display}"`);
        }
        const cs = codeSystems.find(({ resource: r }) => r.url === inc.system)!.resource;
        for (const f of inc.filter ?? []) {
          const known = f.property === 'concept' || (cs.property ?? []).some((p) => p.code === f.property);
          if (!known) problems.push(`${file}: filter property ${f.property} is not a property of ${inc.system}`);
          if (['is-a', 'descendent-of', 'is-not-a'].includes(f.op!) && !system.has(f.value!)) problems.push(`${file}: filter value ${f.value} missing`);
          if (f.op === '=' && ![...system.values()].some((c) => props(c, f.property!).some((p) => (p.valueCode ?? p.valueString) === f.value))) {
            problems.push(`${file}: no concept has ${f.property} = ${f.value}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(valueSets.some(({ resource }) => (resource.compose?.exclude ?? []).length > 0)).toBe(true);
  });

  it('every ConceptMap source and target code exists in its CodeSystem with the same display', () => {
    for (const { file, resource } of conceptMaps) {
      for (const g of resource.group ?? []) {
        expect(bySystem.has(g.source!) && bySystem.has(g.target!), file).toBe(true);
        for (const e of g.element ?? []) {
          expect(conceptOf(g.source!, e.code!)?.display, `${file}: ${e.code}`).toBe(e.display);
          for (const t of e.target ?? []) {
            expect(conceptOf(g.target!, t.code!)?.display, `${file}: ${e.code} -> ${t.code}`).toBe(t.display);
            expect(t.equivalence, `${file}: ${e.code}`).toBeTruthy();
          }
        }
      }
    }
  });

  it('the ConceptMaps cover every seed condition, both ways, and agree with each other', () => {
    const [toIcd] = conceptMaps.find(({ resource }) => resource.id === 'snomed-to-icd-10-cm')!.resource.group!;
    const [toSnomed] = conceptMaps.find(({ resource }) => resource.id === 'icd-10-cm-to-snomed')!.resource.group!;
    const inverse: Record<string, string> = { equivalent: 'equivalent', wider: 'narrower', narrower: 'wider', inexact: 'inexact' };
    for (const c of Object.values(seedCodes.CONDITIONS)) {
      const forward = toIcd!.element!.find((e) => e.code === c.snomed)?.target?.[0];
      expect(forward?.code, c.snomed).toBe(c.icd10);
      const back = toSnomed!.element!.find((e) => e.code === c.icd10)?.target?.find((t) => t.code === c.snomed);
      expect(back, c.icd10).toBeDefined();
      expect(back!.equivalence).toBe(inverse[forward!.equivalence!]);
    }
  });
});
