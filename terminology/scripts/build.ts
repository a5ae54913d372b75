// One-off generator of Meridian's curated terminology content (terminology/codesystems, valuesets,
// conceptmaps). The committed JSON is the product; this script only keeps it consistent.
// Run: npx tsx terminology/scripts/build.ts
// Seed codes (displays and ICD-10-CM maps) are read from seed/codes.ts so that they stay identical;
// everything else is written out below. It imports no server code.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ALLERGENS, BP_PANEL, CONDITIONS, ENCOUNTER_TYPES, ICD10_VISIT, LABS, MEDICATIONS, PROCEDURES, PULSE_OXIMETRY,
  REACTIONS, ROUTES, SMOKING, SMOKING_STATUS, SPECIALTIES, VITALS, codeSystemContents,
} from '../../seed/codes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const VS = (id: string) => `https://meridian.dev/fhir/ValueSet/${id}`;
const CM = (id: string) => `https://meridian.dev/fhir/ConceptMap/${id}`;
const DATE = '2026-12-02';
const PUBLISHER = 'Meridian';

const URL = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  cpt: 'http://www.ama-assn.org/go/cpt',
  hcpcs: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  ucum: 'http://unitsofmeasure.org',
  drugClass: 'https://meridian.dev/fhir/CodeSystem/drug-class',
};

const shipped = new Map(codeSystemContents().map((s) => [s.url, s]));
const copyrightOf = (url: string) => shipped.get(url)!.copyright;

type Prop = { code: string; valueCode?: string; valueString?: string; valueBoolean?: boolean; valueDecimal?: number };
type Designation = { language?: string; use?: { system: string; code: string; display?: string }; value: string };
interface Concept { code: string; display: string; definition?: string; designation?: Designation[]; property?: Prop[] }

const PROPERTY_URI = {
  parent: 'http://hl7.org/fhir/concept-properties#parent',
  inactive: 'http://hl7.org/fhir/concept-properties#inactive',
  notSelectable: 'http://hl7.org/fhir/concept-properties#notSelectable',
  status: 'http://hl7.org/fhir/concept-properties#status',
};

const SYNONYM = { system: URL.snomed, code: '900000000000013009', display: 'Synonym' };

function write(kind: string, id: string, resource: unknown): void {
  const file = join(root, kind, `${id}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(resource, null, 2) + '\n');
}

function concept(code: string, display: string, props: Prop[] = [], designation?: Designation[]): Concept {
  const c: Concept = { code, display };
  if (designation?.length) c.designation = designation;
  if (props.length) c.property = props;
  return c;
}
const parents = (...codes: string[]): Prop[] => codes.map((valueCode) => ({ code: 'parent', valueCode }));

// ---------------------------------------------------------------------------------------------------
// LOINC

const loincConcepts: Concept[] = [];
const loincSeen = new Set<string>();
function loinc(code: string, display: string, cls: 'vital-signs' | 'laboratory' | 'social-history', opts: { unit?: string; members?: string[]; shortName?: string; inactive?: boolean; status?: string } = {}): void {
  if (loincSeen.has(code)) throw new Error(`duplicate LOINC ${code}`);
  loincSeen.add(code);
  const props: Prop[] = [{ code: 'class', valueString: cls }];
  if (opts.unit) props.push({ code: 'unit', valueString: opts.unit });
  for (const m of opts.members ?? []) props.push({ code: 'has-member', valueCode: m });
  if (opts.status) props.push({ code: 'status', valueCode: opts.status });
  if (opts.inactive) props.push({ code: 'inactive', valueBoolean: true });
  loincConcepts.push(concept(code, display, props, opts.shortName ? [{ language: 'en', use: SYNONYM, value: opts.shortName }] : undefined));
}
const SHORT: Record<string, string> = {
  '8867-4': 'Heart rate', '9279-1': 'Resp rate', '8310-5': 'Body temperature', '29463-7': 'Weight', '8302-2': 'Body height',
  '39156-5': 'BMI', '8480-6': 'BP sys', '8462-4': 'BP dias',
  '4548-4': 'Hgb A1c MFr Bld', '2339-0': 'Glucose Bld-mCnc', '3094-0': 'BUN SerPl-mCnc', '2160-0': 'Creat SerPl-mCnc',
  '2951-2': 'Sodium SerPl-sCnc', '2823-3': 'Potassium SerPl-sCnc', '2093-3': 'Cholest SerPl-mCnc', '13457-7': 'LDLc SerPl Calc-mCnc',
  '2085-9': 'HDLc SerPl-mCnc', '2571-8': 'Trigl SerPl-mCnc', '718-7': 'Hgb Bld-mCnc', '6690-2': 'WBC # Bld Auto',
  '777-3': 'Platelet # Bld Auto', '3016-3': 'TSH SerPl-aCnc', '6301-6': 'INR PPP',
};
// Vital signs of the seed (FHIR R4 vital-signs profile codes) and the BP panel members.
loinc('85353-1', 'Vital signs, weight, height, head circumference, oxygen saturation and BMI panel', 'vital-signs', {
  members: ['9279-1', '8867-4', '2708-6', '8310-5', '8302-2', '9843-4', '29463-7', '39156-5', '85354-9'],
});
loinc(BP_PANEL.code, BP_PANEL.display, 'vital-signs', { members: ['8480-6', '8462-4'] });
for (const v of Object.values(VITALS)) loinc(v.loinc, v.display, 'vital-signs', { unit: v.unit, shortName: SHORT[v.loinc] });
loinc(PULSE_OXIMETRY.code, PULSE_OXIMETRY.display, 'vital-signs', { unit: '%' });
loinc('8478-0', 'Mean blood pressure', 'vital-signs', { unit: 'mm[Hg]' });
loinc('9843-4', 'Head Occipital-frontal circumference', 'vital-signs', { unit: 'cm' });
loinc('8306-3', 'Body height --lying', 'vital-signs', { unit: 'cm' });
loinc('3150-0', 'Inhaled oxygen concentration', 'vital-signs', { unit: '%' });
loinc('3151-8', 'Inhaled oxygen flow rate', 'vital-signs', { unit: 'L/min' });
// Laboratory: every seed lab, then panels and what decision support needs.
for (const l of Object.values(LABS)) loinc(l.loinc, l.display, 'laboratory', { unit: l.unit, shortName: SHORT[l.loinc] });
loinc('2345-7', 'Glucose [Mass/volume] in Serum or Plasma', 'laboratory', { unit: 'mg/dL' });
loinc('2075-0', 'Chloride [Moles/volume] in Serum or Plasma', 'laboratory', { unit: 'mmol/L' });
loinc('2028-9', 'Carbon dioxide, total [Moles/volume] in Serum or Plasma', 'laboratory', { unit: 'mmol/L' });
loinc('17861-6', 'Calcium [Mass/volume] in Serum or Plasma', 'laboratory', { unit: 'mg/dL' });
loinc('2885-2', 'Protein [Mass/volume] in Serum or Plasma', 'laboratory', { unit: 'g/dL' });
loinc('1751-7', 'Albumin [Mass/volume] in Serum or Plasma', 'laboratory', { unit: 'g/dL' });
loinc('1975-2', 'Bilirubin.total [Mass/volume] in Serum or Plasma', 'laboratory', { unit: 'mg/dL' });
loinc('6768-6', 'Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma', 'laboratory', { unit: 'U/L' });
loinc('1742-6', 'Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma', 'laboratory', { unit: 'U/L' });
loinc('1920-8', 'Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma', 'laboratory', { unit: 'U/L' });
loinc('33914-3', 'Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by Creatinine-based formula (MDRD)', 'laboratory', { unit: 'mL/min/{1.73_m2}', status: 'DEPRECATED', inactive: true });
loinc('98979-8', 'Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)', 'laboratory', { unit: 'mL/min/{1.73_m2}' });
loinc('18262-6', 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay', 'laboratory', { unit: 'mg/dL' });
loinc('9318-7', 'Albumin/Creatinine [Mass Ratio] in Urine', 'laboratory', { unit: 'mg/g' });
loinc('789-8', 'Erythrocytes [#/volume] in Blood by Automated count', 'laboratory', { unit: '10*6/uL' });
loinc('4544-3', 'Hematocrit [Volume Fraction] of Blood by Automated count', 'laboratory', { unit: '%' });
loinc('5902-2', 'Prothrombin time (PT)', 'laboratory', { unit: 's' });
loinc('3024-7', 'Thyroxine (T4) free [Mass/volume] in Serum or Plasma', 'laboratory', { unit: 'ng/dL' });
loinc('24331-1', 'Lipid 1996 panel - Serum or Plasma', 'laboratory', { members: ['2093-3', '2571-8', '2085-9', '13457-7'] });
loinc('57698-3', 'Lipid panel with direct LDL - Serum or Plasma', 'laboratory', { members: ['2093-3', '2571-8', '2085-9', '18262-6'] });
loinc('24323-8', 'Comprehensive metabolic 2000 panel - Serum or Plasma', 'laboratory', {
  members: ['2345-7', '3094-0', '2160-0', '2951-2', '2823-3', '2075-0', '2028-9', '17861-6', '2885-2', '1751-7', '1975-2', '6768-6', '1742-6', '1920-8'],
});
// Members of the BMP (blood specimen) are blood-specimen codes not shipped here, so none is listed.
loinc('51990-0', 'Basic metabolic panel - Blood', 'laboratory');
loinc('58410-2', 'CBC panel - Blood by Automated count', 'laboratory', { members: ['6690-2', '789-8', '718-7', '4544-3', '777-3'] });
// Social history: the seed's smoking status (read by the CDS risk score).
loinc(SMOKING_STATUS.code, SMOKING_STATUS.display, 'social-history');

const SHIPPED_NOTE = 'A curated fragment: only the codes Meridian\'s seed data, alert rules and decision-support rules use (see terminology/README.md).';

write('codesystems', 'loinc', {
  resourceType: 'CodeSystem', id: 'loinc', url: URL.loinc, version: '2.80',
  name: 'LOINC', title: 'LOINC (Meridian curated fragment)', status: 'active', experimental: false, date: DATE, publisher: 'Regenstrief Institute, Inc.',
  description: `Logical Observation Identifiers Names and Codes. ${SHIPPED_NOTE} Displays are LOINC long common names; LOINC short names, where given, are designations with use Synonym. Panels list their members with has-member (a panel is not an is-a parent of its members, so no hierarchy is declared).`,
  copyright: copyrightOf(URL.loinc), caseSensitive: false, content: 'fragment', count: loincConcepts.length,
  filter: [{ code: 'class', operator: ['='], value: 'vital-signs | laboratory | social-history' }],
  property: [
    { code: 'class', description: 'Meridian grouping of the term: vital-signs, laboratory or social-history (the observation-category a result of this code carries); not LOINC\'s CLASS field', type: 'string' },
    { code: 'unit', description: 'Example UCUM unit of a result', type: 'string' },
    { code: 'has-member', description: 'A member of this panel (LOINC panel structure)', type: 'code' },
    { code: 'status', uri: PROPERTY_URI.status, description: 'LOINC status where it is not ACTIVE (e.g. DEPRECATED)', type: 'code' },
    { code: 'inactive', uri: PROPERTY_URI.inactive, description: 'True when the term is deprecated', type: 'boolean' },
  ],
  concept: loincConcepts,
});

// ---------------------------------------------------------------------------------------------------
// SNOMED CT. Parents are true is-a ancestors; where the International Edition has intermediate concepts
// that Meridian does not need, the parent given is a higher ancestor (subsumption is preserved).

const snomedConcepts: Concept[] = [];
const snomedSeen = new Set<string>();
function sct(code: string, display: string, parentCodes: string[], synonyms: string[] = []): void {
  if (snomedSeen.has(code)) throw new Error(`duplicate SNOMED ${code}`);
  snomedSeen.add(code);
  snomedConcepts.push(concept(code, display, parents(...parentCodes), synonyms.map((value) => ({ language: 'en', use: SYNONYM, value }))));
}
// Top of the hierarchy and grouping concepts.
sct('138875005', 'SNOMED CT Concept', []);
sct('404684003', 'Clinical finding', ['138875005']);
sct('64572001', 'Disease', ['404684003'], ['Disorder']);
sct('71388002', 'Procedure', ['138875005']);
sct('105590001', 'Substance', ['138875005']);
sct('410607006', 'Organism', ['138875005']);
sct('362981000', 'Qualifier value', ['138875005']);
sct('284009009', 'Route of administration value', ['362981000']);
sct('394658006', 'Clinical specialty', ['362981000']);
sct('308335008', 'Patient encounter procedure', ['71388002']);
sct('362969004', 'Disorder of endocrine system', ['64572001']);
sct('14304000', 'Disorder of thyroid gland', ['362969004']);
sct('73211009', 'Diabetes mellitus', ['362969004']);
sct('46635009', 'Diabetes mellitus type 1', ['73211009'], ['Type 1 diabetes mellitus']);
sct('370992007', 'Dyslipidemia', ['64572001']);
sct('49601007', 'Disorder of cardiovascular system', ['64572001']);
sct('698247007', 'Cardiac arrhythmia', ['49601007']);
sct('50043002', 'Disorder of respiratory system', ['64572001']);
sct('19829001', 'Disorder of lung', ['50043002']);
sct('32398004', 'Bronchitis', ['50043002']);
sct('36971009', 'Sinusitis', ['50043002']);
sct('405737000', 'Pharyngitis', ['50043002']);
sct('74732009', 'Mental disorder', ['64572001']);
sct('90708001', 'Kidney disease', ['64572001']);
sct('709044004', 'Chronic kidney disease', ['90708001']);
sct('431857002', 'Chronic kidney disease stage 4', ['709044004']);
sct('433146000', 'Chronic kidney disease stage 5', ['709044004']);
sct('396275006', 'Osteoarthritis', ['64572001']);
sct('95320005', 'Disorder of skin', ['64572001']);
sct('22253000', 'Pain', ['404684003']);
sct('255620007', 'Food', ['105590001']);
// Seed problems (displays from seed/codes.ts).
const conditionParents: Record<string, string[]> = {
  '44054006': ['73211009'], '15777000': ['404684003'], '38341003': ['49601007'], '55822004': ['370992007'],
  '195967001': ['50043002'], '13645005': ['50043002'], '35489007': ['74732009'], '197480006': ['74732009'],
  '49436004': ['698247007'], '431855005': ['709044004'], '431856006': ['709044004'], '433144002': ['709044004'],
  '40930008': ['14304000'], '414916001': ['64572001'], '239873007': ['396275006'], '61582004': ['70076002'],
  '10509002': ['32398004'], '444814009': ['36971009'], '43878008': ['405737000'], '65363002': ['64572001'],
  '233604007': ['19829001'], '29857009': ['22253000'], '44465007': ['64572001'],
};
const conditionSynonyms: Record<string, string[]> = {
  '44054006': ['Type 2 diabetes mellitus'],
  '13645005': ['Chronic obstructive pulmonary disease'],
  '49436004': ['AF - Atrial fibrillation'],
};
// Rhinitis is both a reaction manifestation and the parent of allergic rhinitis: declare it first.
sct(REACTIONS.rhinitis.code, REACTIONS.rhinitis.display, ['50043002']);
for (const d of Object.values(CONDITIONS)) {
  const p = conditionParents[d.snomed];
  if (!p) throw new Error(`no parent for condition ${d.snomed}`);
  sct(d.snomed, d.display, p, conditionSynonyms[d.snomed]);
}
// Reactions.
const reactionParents: Record<string, string[]> = {
  '39579001': ['64572001'], '126485001': ['95320005'], '271807003': ['95320005'], '41291007': ['64572001'],
  '267036007': ['404684003'], '418290006': ['404684003'], '76067001': ['404684003'], '422587007': ['404684003'],
};
for (const r of Object.values(REACTIONS)) {
  if (r.code === REACTIONS.rhinitis.code) continue;
  sct(r.code, r.display, reactionParents[r.code]!);
}
// Allergens.
const allergenParents: Record<string, string[]> = {
  '764146007': ['105590001'], '387406002': ['105590001'], '387458008': ['105590001'],
  '256349002': ['255620007'], '102263004': ['255620007'], '227037002': ['255620007'],
  '256277009': ['105590001'], '260147004': ['410607006'], '264287008': ['105590001'], '111088007': ['105590001'],
};
for (const a of Object.values(ALLERGENS)) sct(a.snomed, a.display, allergenParents[a.snomed]!);
// Routes, encounter types, specialties.
for (const r of Object.values(ROUTES)) sct(r.code, r.display, ['284009009']);
const encounterParents: Record<string, string[]> = {
  '185349003': ['308335008'], '410620009': ['71388002'], '390906007': ['308335008'], '185345009': ['308335008'],
  '11429006': ['71388002'], '32485007': ['71388002'], '50849002': ['71388002'],
};
for (const e of Object.values(ENCOUNTER_TYPES)) sct(e.code, e.display, encounterParents[e.code]!);
for (const s of Object.values(SPECIALTIES)) sct(s.code, s.display, ['394658006']);
// Smoking status answers of the seed (US Core smoking-status codes), under the tobacco use findings.
sct('365980008', 'Finding of tobacco use and exposure', ['404684003']);
for (const s of Object.values(SMOKING)) sct(s.code, s.display, ['365980008']);

write('codesystems', 'snomed-ct', {
  resourceType: 'CodeSystem', id: 'snomed-ct', url: URL.snomed, version: 'http://snomed.info/sct/731000124108',
  name: 'SNOMED_CT', title: 'SNOMED CT (Meridian curated fragment)', status: 'active', experimental: false, date: DATE, publisher: 'SNOMED International',
  description: `SNOMED CT concepts (US Edition content). ${SHIPPED_NOTE} Each concept carries its preferred term as display and one or more is-a parents; where the International Edition has intermediate concepts Meridian does not need, the parent is a higher true ancestor, so subsumption between the shipped concepts is preserved but the tree is shallower than SNOMED's.`,
  copyright: copyrightOf(URL.snomed), caseSensitive: true, hierarchyMeaning: 'is-a', compositional: false, content: 'fragment', count: snomedConcepts.length,
  filter: [{ code: 'concept', operator: ['is-a', 'descendent-of', 'is-not-a'], value: 'A SNOMED CT code' }],
  property: [
    { code: 'parent', uri: PROPERTY_URI.parent, description: 'An is-a parent (SNOMED may have several)', type: 'code' },
    { code: 'inactive', uri: PROPERTY_URI.inactive, description: 'True when the concept is inactive', type: 'boolean' },
  ],
  concept: snomedConcepts,
});

// ---------------------------------------------------------------------------------------------------
// ICD-10-CM: chapters, blocks, categories and codes, each with its parent.

const icdConcepts: Concept[] = [];
const icdParent = new Map<string, string | undefined>();
function icd(code: string, display: string, parent?: string): void {
  if (icdParent.has(code)) throw new Error(`duplicate ICD ${code}`);
  icdParent.set(code, parent);
  icdConcepts.push(concept(code, display, parent ? parents(parent) : []));
}
const seedIcd = new Map<string, string>();
for (const d of Object.values(CONDITIONS)) seedIcd.set(d.icd10, d.icd10Display);
for (const v of Object.values(ICD10_VISIT)) seedIcd.set(v.code, v.display);
const icdLeaf = (code: string, parent: string, display?: string) => icd(code, seedIcd.get(code) ?? display ?? (() => { throw new Error(`display for ${code}`); })(), parent);

icd('E00-E89', 'Endocrine, nutritional and metabolic diseases');
icd('E00-E07', 'Disorders of thyroid gland', 'E00-E89');
icd('E03', 'Other hypothyroidism', 'E00-E07');
icdLeaf('E03.9', 'E03');
icd('E08-E13', 'Diabetes mellitus', 'E00-E89');
icd('E10', 'Type 1 diabetes mellitus', 'E08-E13');
icdLeaf('E10.9', 'E10', 'Type 1 diabetes mellitus without complications');
icd('E11', 'Type 2 diabetes mellitus', 'E08-E13');
icd('E11.2', 'Type 2 diabetes mellitus with kidney complications', 'E11');
icdLeaf('E11.21', 'E11.2', 'Type 2 diabetes mellitus with diabetic nephropathy');
icdLeaf('E11.22', 'E11.2', 'Type 2 diabetes mellitus with diabetic chronic kidney disease');
icd('E11.6', 'Type 2 diabetes mellitus with other specified complications', 'E11');
icd('E11.65', 'Type 2 diabetes mellitus with hyperglycemia', 'E11.6');
icdLeaf('E11.9', 'E11');
icd('E65-E68', 'Overweight, obesity and other hyperalimentation', 'E00-E89');
icd('E66', 'Overweight and obesity', 'E65-E68');
icdLeaf('E66.9', 'E66');
icd('E70-E88', 'Metabolic disorders', 'E00-E89');
icd('E78', 'Disorders of lipoprotein metabolism and other lipidemias', 'E70-E88');
icdLeaf('E78.5', 'E78');
icd('F01-F99', 'Mental, Behavioral and Neurodevelopmental disorders');
icd('F30-F39', 'Mood [affective] disorders', 'F01-F99');
icd('F32', 'Depressive episode', 'F30-F39');
icdLeaf('F32.9', 'F32', 'Major depressive disorder, single episode, unspecified');
icdLeaf('F32.A', 'F32');
icd('F40-F48', 'Anxiety, dissociative, stress-related, somatoform and other nonpsychotic mental disorders', 'F01-F99');
icd('F41', 'Other anxiety disorders', 'F40-F48');
icdLeaf('F41.1', 'F41', 'Generalized anxiety disorder');
icdLeaf('F41.9', 'F41');
icd('H60-H95', 'Diseases of the ear and mastoid process');
icd('H65-H75', 'Diseases of middle ear and mastoid', 'H60-H95');
icd('H66', 'Suppurative and unspecified otitis media', 'H65-H75');
icd('H66.9', 'Otitis media, unspecified', 'H66');
icdLeaf('H66.90', 'H66.9');
icd('I00-I99', 'Diseases of the circulatory system');
icd('I10-I1A', 'Hypertensive diseases', 'I00-I99');
icdLeaf('I10', 'I10-I1A');
icd('I30-I5A', 'Other forms of heart disease', 'I00-I99');
icd('I48', 'Atrial fibrillation and flutter', 'I30-I5A');
icdLeaf('I48.0', 'I48', 'Paroxysmal atrial fibrillation');
icd('I48.9', 'Unspecified atrial fibrillation and atrial flutter', 'I48');
icdLeaf('I48.91', 'I48.9');
icd('J00-J99', 'Diseases of the respiratory system');
icd('J00-J06', 'Acute upper respiratory infections', 'J00-J99');
icd('J01', 'Acute sinusitis', 'J00-J06');
icd('J01.9', 'Acute sinusitis, unspecified', 'J01');
icdLeaf('J01.90', 'J01.9');
icd('J02', 'Acute pharyngitis', 'J00-J06');
icdLeaf('J02.0', 'J02');
icdLeaf('J02.9', 'J02', 'Acute pharyngitis, unspecified');
icd('J09-J18', 'Influenza and pneumonia', 'J00-J99');
icd('J18', 'Pneumonia, unspecified organism', 'J09-J18');
icdLeaf('J18.9', 'J18');
icd('J20-J22', 'Other acute lower respiratory infections', 'J00-J99');
icd('J20', 'Acute bronchitis', 'J20-J22');
icdLeaf('J20.9', 'J20');
icd('J30-J39', 'Other diseases of upper respiratory tract', 'J00-J99');
icd('J30', 'Vasomotor and allergic rhinitis', 'J30-J39');
icdLeaf('J30.9', 'J30');
icd('J40-J4A', 'Chronic lower respiratory diseases', 'J00-J99');
icd('J44', 'Other chronic obstructive pulmonary disease', 'J40-J4A');
icdLeaf('J44.9', 'J44');
icd('J45', 'Asthma', 'J40-J4A');
icd('J45.9', 'Other and unspecified asthma', 'J45');
icd('J45.90', 'Unspecified asthma', 'J45.9');
icdLeaf('J45.901', 'J45.90', 'Unspecified asthma with (acute) exacerbation');
icdLeaf('J45.909', 'J45.90');
icd('M00-M99', 'Diseases of the musculoskeletal system and connective tissue');
icd('M15-M19', 'Osteoarthritis', 'M00-M99');
icd('M17', 'Osteoarthritis of knee', 'M15-M19');
icdLeaf('M17.9', 'M17');
icd('N00-N99', 'Diseases of the genitourinary system');
icd('N17-N19', 'Acute kidney failure and chronic kidney disease', 'N00-N99');
icd('N18', 'Chronic kidney disease (CKD)', 'N17-N19');
icdLeaf('N18.1', 'N18');
icdLeaf('N18.2', 'N18');
icd('N18.3', 'Chronic kidney disease, stage 3 (moderate)', 'N18');
icdLeaf('N18.30', 'N18.3');
icdLeaf('N18.31', 'N18.3', 'Chronic kidney disease, stage 3a');
icdLeaf('N18.32', 'N18.3', 'Chronic kidney disease, stage 3b');
icdLeaf('N18.4', 'N18', 'Chronic kidney disease, stage 4 (severe)');
icdLeaf('N18.5', 'N18', 'Chronic kidney disease, stage 5');
icdLeaf('N18.6', 'N18', 'End stage renal disease');
icdLeaf('N18.9', 'N18', 'Chronic kidney disease, unspecified');
icd('R00-R99', 'Symptoms, signs and abnormal clinical and laboratory findings, not elsewhere classified');
icd('R00-R09', 'Symptoms and signs involving the circulatory and respiratory systems', 'R00-R99');
icd('R07', 'Pain in throat and chest', 'R00-R09');
icdLeaf('R07.9', 'R07');
icd('R70-R79', 'Abnormal findings on examination of blood, without diagnosis', 'R00-R99');
icd('R73', 'Elevated blood glucose level', 'R70-R79');
icd('R73.0', 'Abnormal glucose', 'R73');
icdLeaf('R73.01', 'R73.0', 'Impaired fasting glucose');
icdLeaf('R73.02', 'R73.0', 'Impaired glucose tolerance (oral)');
icdLeaf('R73.03', 'R73.0');
icd('S00-T88', 'Injury, poisoning and certain other consequences of external causes');
icd('S90-S99', 'Injuries to the ankle and foot', 'S00-T88');
icd('S93', 'Dislocation and sprain of joints and ligaments at ankle, foot and toe level', 'S90-S99');
icd('S93.4', 'Sprain of ankle', 'S93');
icd('S93.40', 'Sprain of unspecified ligament of ankle', 'S93.4');
icd('S93.409', 'Sprain of unspecified ligament of unspecified ankle', 'S93.40');
icdLeaf('S93.409A', 'S93.409');
icd('Z00-Z99', 'Factors influencing health status and contact with health services');
icd('Z00-Z13', 'Persons encountering health services for examinations', 'Z00-Z99');
icd('Z00', 'Encounter for general examination without complaint, suspected or reported diagnosis', 'Z00-Z13');
icd('Z00.0', 'Encounter for general adult medical examination', 'Z00');
icdLeaf('Z00.00', 'Z00.0');
icdLeaf('Z00.01', 'Z00.0', 'Encounter for general adult medical examination with abnormal findings');
icd('Z00.1', 'Encounter for newborn, infant and child health examinations', 'Z00');
icd('Z00.12', 'Encounter for routine child health examination', 'Z00.1');
icdLeaf('Z00.121', 'Z00.12', 'Encounter for routine child health examination with abnormal findings');
icdLeaf('Z00.129', 'Z00.12');
for (const code of seedIcd.keys()) if (!icdParent.has(code)) throw new Error(`seed ICD-10-CM ${code} not placed`);
// Chapters, blocks and categories with subdivisions are headers, not codes to record.
const hasChildren = new Set([...icdParent.values()].filter((p): p is string => !!p));
for (const c of icdConcepts) if (hasChildren.has(c.code)) (c.property ??= []).push({ code: 'notSelectable', valueBoolean: true });

write('codesystems', 'icd-10-cm', {
  resourceType: 'CodeSystem', id: 'icd-10-cm', url: URL.icd10cm, version: '2025',
  name: 'ICD10CM', title: 'ICD-10-CM (Meridian curated fragment)', status: 'active', experimental: false, date: DATE, publisher: 'National Center for Health Statistics (NCHS)',
  description: `International Classification of Diseases, Tenth Revision, Clinical Modification, FY2025 code set. ${SHIPPED_NOTE} Chapters and blocks are coded by their range (e.g. E00-E89, E08-E13); chapters, blocks and subdivided categories are notSelectable (not valid for recording).`,
  copyright: copyrightOf(URL.icd10cm), caseSensitive: true, hierarchyMeaning: 'is-a', content: 'fragment', count: icdConcepts.length,
  property: [
    { code: 'parent', uri: PROPERTY_URI.parent, description: 'The enclosing chapter, block, category or subcategory', type: 'code' },
    { code: 'notSelectable', uri: PROPERTY_URI.notSelectable, description: 'A header (chapter, block or subdivided code), not a billable code', type: 'boolean' },
    { code: 'inactive', uri: PROPERTY_URI.inactive, description: 'True when the code is no longer in the code set', type: 'boolean' },
  ],
  concept: icdConcepts,
});

// ---------------------------------------------------------------------------------------------------
// Meridian drug classes (Meridian's own; MED-RT and ATC are not redistributed).

const classConcepts: Concept[] = [];
const classDisplay = new Map<string, string>();
function drugClass(code: string, display: string, parentCodes: string[] = []): void {
  if (classDisplay.has(code)) throw new Error(`duplicate class ${code}`);
  classDisplay.set(code, display);
  classConcepts.push(concept(code, display, parents(...parentCodes)));
}
drugClass('antibacterial', 'Antibacterial');
drugClass('beta-lactam', 'Beta-lactam antibacterial', ['antibacterial']);
drugClass('penicillin', 'Penicillin antibacterial', ['beta-lactam']);
drugClass('aminopenicillin', 'Aminopenicillin antibacterial', ['penicillin']);
drugClass('cephalosporin', 'Cephalosporin antibacterial', ['beta-lactam']);
drugClass('macrolide', 'Macrolide antibacterial', ['antibacterial']);
drugClass('sulfonamide-antibacterial', 'Sulfonamide antibacterial', ['antibacterial']);
drugClass('dhfr-inhibitor', 'Dihydrofolate reductase inhibitor antibacterial', ['antibacterial']);
drugClass('antithrombotic', 'Antithrombotic agent');
drugClass('anticoagulant', 'Anticoagulant', ['antithrombotic']);
drugClass('vitamin-k-antagonist', 'Vitamin K antagonist anticoagulant', ['anticoagulant']);
drugClass('factor-xa-inhibitor', 'Direct factor Xa inhibitor anticoagulant', ['anticoagulant']);
drugClass('antiplatelet', 'Antiplatelet agent', ['antithrombotic']);
drugClass('p2y12-inhibitor', 'P2Y12 inhibitor antiplatelet', ['antiplatelet']);
drugClass('nsaid', 'Nonsteroidal anti-inflammatory drug');
drugClass('raas-agent', 'Renin-angiotensin system agent');
drugClass('ace-inhibitor', 'Angiotensin-converting enzyme inhibitor', ['raas-agent']);
drugClass('arb', 'Angiotensin II receptor blocker', ['raas-agent']);
drugClass('diuretic', 'Diuretic');
drugClass('thiazide-diuretic', 'Thiazide diuretic', ['diuretic']);
drugClass('potassium-sparing-diuretic', 'Potassium-sparing diuretic', ['diuretic']);
drugClass('calcium-channel-blocker', 'Calcium channel blocker');
drugClass('dihydropyridine-ccb', 'Dihydropyridine calcium channel blocker', ['calcium-channel-blocker']);
drugClass('lipid-lowering', 'Lipid-lowering agent');
drugClass('statin', 'HMG-CoA reductase inhibitor (statin)', ['lipid-lowering']);
drugClass('antidiabetic', 'Antidiabetic agent');
drugClass('biguanide', 'Biguanide', ['antidiabetic']);
drugClass('serotonergic', 'Serotonergic agent');
drugClass('antidepressant', 'Antidepressant');
drugClass('ssri', 'Selective serotonin reuptake inhibitor', ['antidepressant', 'serotonergic']);
drugClass('opioid-analgesic', 'Opioid analgesic');
drugClass('bronchodilator', 'Bronchodilator');
drugClass('saba', 'Short-acting beta-2 adrenergic agonist', ['bronchodilator']);
drugClass('corticosteroid', 'Corticosteroid');
drugClass('inhaled-corticosteroid', 'Inhaled corticosteroid', ['corticosteroid']);
drugClass('thyroid-hormone', 'Thyroid hormone');
drugClass('potassium-supplement', 'Potassium supplement');

write('codesystems', 'meridian-drug-class', {
  resourceType: 'CodeSystem', id: 'meridian-drug-class', url: URL.drugClass, version: 'meridian-1',
  name: 'MeridianDrugClass', title: 'Meridian drug classes', status: 'active', experimental: false, date: DATE, publisher: PUBLISHER,
  description: 'Drug classes written for Meridian\'s decision support (drug-interaction, allergy cross-reactivity and duplicate-therapy rules). They are Meridian\'s own: MED-RT (VA) and ATC (WHO) classifications are not redistributed. RxNorm concepts point here with their drug_class property.',
  caseSensitive: true, hierarchyMeaning: 'is-a', content: 'complete', count: classConcepts.length,
  property: [{ code: 'parent', uri: PROPERTY_URI.parent, description: 'A broader class', type: 'code' }],
  concept: classConcepts,
});

// ---------------------------------------------------------------------------------------------------
// RxNorm: ingredients (IN), one multiple-ingredient concept (MIN) and clinical drugs (SCD).

const rxConcepts: Concept[] = [];
const rxSeen = new Set<string>();
function rx(code: string, display: string, tty: 'IN' | 'MIN' | 'SCD', ingredients: string[], classes: string[]): void {
  if (rxSeen.has(code)) throw new Error(`duplicate RxNorm ${code}`);
  rxSeen.add(code);
  for (const k of classes) if (!classDisplay.has(k)) throw new Error(`unknown class ${k}`);
  rxConcepts.push(concept(code, display, [
    { code: 'tty', valueCode: tty },
    ...ingredients.map((valueCode) => ({ code: 'has_ingredient', valueCode })),
    ...classes.map((valueCode) => ({ code: 'drug_class', valueCode })),
  ]));
}
const seedClass: Record<string, string> = {
  Biguanide: 'biguanide', 'Angiotensin-converting enzyme inhibitor': 'ace-inhibitor', 'Dihydropyridine calcium channel blocker': 'dihydropyridine-ccb',
  'Thiazide diuretic': 'thiazide-diuretic', 'HMG-CoA reductase inhibitor (statin)': 'statin', 'Short-acting beta-2 adrenergic agonist': 'saba',
  'Inhaled corticosteroid': 'inhaled-corticosteroid', 'Vitamin K antagonist anticoagulant': 'vitamin-k-antagonist',
  'Selective serotonin reuptake inhibitor': 'ssri', 'Thyroid hormone': 'thyroid-hormone', 'Aminopenicillin antibacterial': 'aminopenicillin',
  'Macrolide antibacterial': 'macrolide',
};
const ingredientClass: Record<string, string[]> = {
  '6809': ['biguanide'], '29046': ['ace-inhibitor'], '17767': ['dihydropyridine-ccb'], '5487': ['thiazide-diuretic'], '83367': ['statin'],
  '435': ['saba'], '41126': ['corticosteroid'], '11289': ['vitamin-k-antagonist'], '36437': ['ssri'], '10582': ['thyroid-hormone'],
  '723': ['aminopenicillin'], '18631': ['macrolide'],
};
const ins = new Map<string, string>();
for (const m of Object.values(MEDICATIONS)) ins.set(m.ingredient.rxnorm, m.ingredient.display);
for (const [code, display] of ins) rx(code, display, 'IN', [], ingredientClass[code]!);
// Ingredients the decision-support rules need (RXCUIs of RxNorm's IN concepts).
rx('1191', 'aspirin', 'IN', [], ['nsaid', 'antiplatelet']);
rx('5640', 'ibuprofen', 'IN', [], ['nsaid']);
rx('7258', 'naproxen', 'IN', [], ['nsaid']);
rx('32968', 'clopidogrel', 'IN', [], ['p2y12-inhibitor']);
rx('1364430', 'apixaban', 'IN', [], ['factor-xa-inhibitor']);
rx('36567', 'simvastatin', 'IN', [], ['statin']);
rx('21212', 'clarithromycin', 'IN', [], ['macrolide']);
rx('9997', 'spironolactone', 'IN', [], ['potassium-sparing-diuretic']);
rx('8591', 'potassium chloride', 'IN', [], ['potassium-supplement']);
rx('2231', 'cephalexin', 'IN', [], ['cephalosporin']);
rx('7984', 'penicillin V', 'IN', [], ['penicillin']);
rx('3827', 'enalapril', 'IN', [], ['ace-inhibitor']);
rx('52175', 'losartan', 'IN', [], ['arb']);
rx('4493', 'fluoxetine', 'IN', [], ['ssri']);
rx('10689', 'tramadol', 'IN', [], ['opioid-analgesic', 'serotonergic']);
rx('10180', 'sulfamethoxazole', 'IN', [], ['sulfonamide-antibacterial']);
rx('10829', 'trimethoprim', 'IN', [], ['dhfr-inhibitor']);
rx('10831', 'sulfamethoxazole / trimethoprim', 'MIN', ['10180', '10829'], ['sulfonamide-antibacterial', 'dhfr-inhibitor']);
// Seed clinical drugs: the seed's class first, then the ingredient's other classes.
for (const m of Object.values(MEDICATIONS)) {
  const first = seedClass[m.drugClass];
  if (!first) throw new Error(`no class for ${m.drugClass}`);
  rx(m.rxnorm, m.display, 'SCD', [m.ingredient.rxnorm], [...new Set([first, ...ingredientClass[m.ingredient.rxnorm]!])]);
}
rx('243670', 'aspirin 81 MG Oral Tablet', 'SCD', ['1191'], ['nsaid', 'antiplatelet']);
rx('198014', 'naproxen 500 MG Oral Tablet', 'SCD', ['7258'], ['nsaid']);
rx('309362', 'clopidogrel 75 MG Oral Tablet', 'SCD', ['32968'], ['p2y12-inhibitor']);
rx('1364445', 'apixaban 5 MG Oral Tablet', 'SCD', ['1364430'], ['factor-xa-inhibitor']);
rx('312961', 'simvastatin 20 MG Oral Tablet', 'SCD', ['36567'], ['statin']);
rx('313096', 'spironolactone 25 MG Oral Tablet', 'SCD', ['9997'], ['potassium-sparing-diuretic']);
rx('197517', 'clarithromycin 500 MG Oral Tablet', 'SCD', ['21212'], ['macrolide']);
rx('858817', 'enalapril maleate 10 MG Oral Tablet', 'SCD', ['3827'], ['ace-inhibitor']);
rx('979492', 'losartan potassium 50 MG Oral Tablet', 'SCD', ['52175'], ['arb']);
rx('310385', 'fluoxetine 20 MG Oral Capsule', 'SCD', ['4493'], ['ssri']);
rx('309114', 'cephalexin 500 MG Oral Capsule', 'SCD', ['2231'], ['cephalosporin']);
rx('834102', 'penicillin V potassium 500 MG Oral Tablet', 'SCD', ['7984'], ['penicillin']);
rx('835603', 'tramadol hydrochloride 50 MG Oral Tablet', 'SCD', ['10689'], ['opioid-analgesic', 'serotonergic']);
rx('198335', 'sulfamethoxazole 800 MG / trimethoprim 160 MG Oral Tablet', 'SCD', ['10180', '10829'], ['sulfonamide-antibacterial', 'dhfr-inhibitor']);

write('codesystems', 'rxnorm', {
  resourceType: 'CodeSystem', id: 'rxnorm', url: URL.rxnorm, version: 'meridian-1',
  name: 'RxNorm', title: 'RxNorm (Meridian curated fragment)', status: 'active', experimental: false, date: DATE, publisher: 'National Library of Medicine',
  description: `RxNorm normalized names and RXCUIs (SAB=RXNORM only). ${SHIPPED_NOTE} tty, has_ingredient and the RXCUIs follow RxNorm; drug_class points into Meridian's own drug-class CodeSystem (${URL.drugClass}), not MED-RT or ATC.`,
  copyright: copyrightOf(URL.rxnorm), caseSensitive: false, content: 'fragment', count: rxConcepts.length,
  filter: [{ code: 'tty', operator: ['=', 'in'], value: 'An RxNorm term type (IN, MIN, SCD)' }],
  property: [
    { code: 'tty', description: 'RxNorm term type: IN (ingredient), MIN (multiple ingredients), SCD (semantic clinical drug)', type: 'code' },
    { code: 'has_ingredient', description: 'RXCUI of an ingredient (IN) of this drug', type: 'code' },
    { code: 'drug_class', description: `A class in ${URL.drugClass}`, type: 'code' },
    { code: 'inactive', uri: PROPERTY_URI.inactive, description: 'True when the RXCUI is obsolete', type: 'boolean' },
  ],
  concept: rxConcepts,
});

// ---------------------------------------------------------------------------------------------------
// CPT (the seed's codes only) and HCPCS Level II.

const cptConcepts = Object.values(PROCEDURES).map((p) => concept(p.code, p.display));
write('codesystems', 'cpt', {
  resourceType: 'CodeSystem', id: 'cpt', url: URL.cpt, version: 'meridian-1',
  name: 'CPT', title: 'CPT code numbers used by Meridian (with Meridian descriptions)', status: 'active', experimental: false, date: DATE, publisher: 'American Medical Association (code numbers); Meridian (descriptions)',
  description: 'The CPT code numbers the seed bills. The descriptions are short descriptions written for Meridian, not the AMA\'s CPT descriptors; no other CPT content is shipped.',
  copyright: copyrightOf(URL.cpt), caseSensitive: true, content: 'fragment', count: cptConcepts.length,
  concept: cptConcepts,
});

const hcpcs: [string, string][] = [
  ['G0438', 'Annual wellness visit; includes a personalized prevention plan of service (pps), initial visit'],
  ['G0439', 'Annual wellness visit, includes a personalized prevention plan of service (pps), subsequent visit'],
  ['G0008', 'Administration of influenza virus vaccine'],
  ['G0009', 'Administration of pneumococcal vaccine'],
  ['J0696', 'Injection, ceftriaxone sodium, per 250 mg'],
  ['J1100', 'Injection, dexamethasone sodium phosphate, 1 mg'],
  ['A4253', 'Blood glucose test or reagent strips for home blood glucose monitor, per 50 strips'],
];
write('codesystems', 'hcpcs', {
  resourceType: 'CodeSystem', id: 'hcpcs', url: URL.hcpcs, version: '2025',
  name: 'HCPCSLevelII', title: 'HCPCS Level II (Meridian curated fragment)', status: 'active', experimental: false, date: DATE, publisher: 'Centers for Medicare & Medicaid Services (CMS)',
  description: `Healthcare Common Procedure Coding System, Level II. ${SHIPPED_NOTE} Displays are the CMS long descriptors.`,
  copyright: 'HCPCS Level II codes and descriptors are maintained by the US Centers for Medicare & Medicaid Services and are in the public domain.',
  caseSensitive: true, content: 'fragment', count: hcpcs.length,
  concept: hcpcs.map(([code, display]) => concept(code, display)),
});

// ---------------------------------------------------------------------------------------------------
// UCUM: the units Meridian's seed, vital-sign rules and dose quantities use.

const ucum: [string, string][] = [
  ['mm[Hg]', 'millimeter of mercury'], ['/min', 'per minute'], ['Cel', 'degree Celsius'], ['[degF]', 'degree Fahrenheit'],
  ['kg', 'kilogram'], ['g', 'gram'], ['[lb_av]', 'pound (US and British)'], ['cm', 'centimeter'], ['[in_i]', 'inch (international)'],
  ['%', 'percent'], ['kg/m2', 'kilogram per square meter'], ['L/min', 'liter per minute'],
  ['mg/dL', 'milligram per deciliter'], ['mmol/L', 'millimole per liter'], ['g/dL', 'gram per deciliter'],
  ['10*3/uL', 'thousand per microliter'], ['10*6/uL', 'million per microliter'], ['mL/min/{1.73_m2}', 'milliliter per minute per 1.73 square meter'],
  ['m[IU]/L', 'milli international unit per liter'], ['U/L', 'unit per liter'], ['{INR}', 'international normalized ratio'],
  ['mg/g', 'milligram per gram'], ['ng/dL', 'nanogram per deciliter'], ['s', 'second'],
  ['min', 'minute'], ['h', 'hour'], ['d', 'day'], ['wk', 'week'], ['mo', 'month'], ['a', 'year'],
  ['mg', 'milligram'], ['mL', 'milliliter'],
  ['{tbl}', 'tablet'], ['{capsule}', 'capsule'], ['{puff}', 'puff'], ['{inhaler}', 'inhaler'],
];
write('codesystems', 'ucum', {
  resourceType: 'CodeSystem', id: 'ucum', url: URL.ucum, version: '2.1',
  name: 'UCUM', title: 'UCUM units used by Meridian', status: 'active', experimental: false, date: DATE, publisher: 'Regenstrief Institute, Inc.',
  description: 'Unified Code for Units of Measure. UCUM is a grammar, not a list: this fragment lists only the unit expressions Meridian\'s seed data, vital-sign rules and dose quantities use, so that ValueSets (vital-units) can enumerate them. Displays are descriptive names, not UCUM print symbols.',
  copyright: 'UCUM is copyright Regenstrief Institute, Inc. and The UCUM Organization, available at no cost under the license at https://ucum.org/license.',
  caseSensitive: true, content: 'fragment', count: ucum.length,
  concept: ucum.map(([code, display]) => concept(code, display)),
});

// ---------------------------------------------------------------------------------------------------
// ValueSets

interface Include { system: string; concept?: { code: string; display?: string }[]; filter?: { property: string; op: string; value: string }[] }
function valueSet(id: string, name: string, title: string, description: string, include: Include[], exclude?: Include[], extra: Record<string, unknown> = {}): void {
  write('valuesets', id, {
    resourceType: 'ValueSet', id, url: VS(id), version: 'meridian-1', name, title, status: 'active', experimental: false, date: DATE, publisher: PUBLISHER,
    description, ...extra,
    compose: { include, ...(exclude ? { exclude } : {}) },
  });
}
const display = new Map<string, Map<string, string>>();
for (const [sys, list] of [[URL.loinc, loincConcepts], [URL.snomed, snomedConcepts], [URL.ucum, ucum.map(([code, d]) => ({ code, display: d }))]] as const) {
  display.set(sys, new Map(list.map((c) => [c.code, c.display])));
}
const enumerate = (system: string, codes: string[]): Include => ({
  system, concept: codes.map((code) => {
    const d = display.get(system)!.get(code);
    if (!d) throw new Error(`${system}|${code} not in its CodeSystem`);
    return { code, display: d };
  }),
});

const vitalCodes = ['85353-1', '85354-9', '8480-6', '8462-4', '8478-0', '8867-4', '9279-1', '8310-5', '2708-6', '59408-5', '3150-0', '3151-8', '8302-2', '8306-3', '29463-7', '39156-5', '9843-4'];
valueSet('vital-signs', 'MeridianVitalSigns', 'Vital signs (LOINC)',
  'LOINC codes of vital-sign observations: the FHIR R4 vital-signs profile codes (panel, blood pressure panel and components, heart and respiratory rate, body temperature, oxygen saturation incl. pulse oximetry 59408-5 and inspired oxygen, height, length, weight, BMI, head circumference) and mean blood pressure.',
  [enumerate(URL.loinc, vitalCodes)]);
valueSet('lab-tests', 'MeridianLabTests', 'Laboratory tests (LOINC)',
  'LOINC laboratory tests and panels Meridian knows (class = laboratory). Deprecated LOINC terms are excluded, so new results cannot be coded with them (33914-3, MDRD eGFR: use 62238-1 or the race-free 98979-8).',
  [{ system: URL.loinc, filter: [{ property: 'class', op: '=', value: 'laboratory' }] }],
  [enumerate(URL.loinc, ['33914-3'])]);
valueSet('conditions', 'MeridianConditions', 'Conditions (SNOMED CT clinical findings)',
  'SNOMED CT clinical findings (descendants of 404684003 Clinical finding, itself included) for Condition.code.',
  [{ system: URL.snomed, filter: [{ property: 'concept', op: 'is-a', value: '404684003' }] }]);
valueSet('icd-10-cm', 'MeridianICD10CM', 'ICD-10-CM (all codes)', 'Every code of ICD-10-CM.', [{ system: URL.icd10cm }]);
valueSet('medications', 'MeridianMedications', 'Medications (RxNorm clinical drugs)', 'RxNorm semantic clinical drugs (tty = SCD) for MedicationRequest.medicationCodeableConcept.',
  [{ system: URL.rxnorm, filter: [{ property: 'tty', op: '=', value: 'SCD' }] }]);
valueSet('medication-ingredients', 'MeridianMedicationIngredients', 'Medication ingredients (RxNorm ingredients)', 'RxNorm ingredients (tty = IN).',
  [{ system: URL.rxnorm, filter: [{ property: 'tty', op: '=', value: 'IN' }] }]);
valueSet('allergy-substances', 'MeridianAllergySubstances', 'Allergy and intolerance substances',
  'What an AllergyIntolerance.code may name: SNOMED CT substances (descendants of 105590001 Substance, e.g. penicillin, sulfonamide, aspirin, foods, pollen, latex), the house dust mite organism the seed records, and RxNorm ingredients (tty = IN), which decision support matches against a prescription\'s ingredients. The grouping concept Food is excluded (and Substance itself, by descendent-of): an allergy names a substance, not a whole hierarchy.',
  [
    { system: URL.snomed, filter: [{ property: 'concept', op: 'descendent-of', value: '105590001' }] },
    enumerate(URL.snomed, ['260147004']),
    { system: URL.rxnorm, filter: [{ property: 'tty', op: '=', value: 'IN' }] },
  ],
  [enumerate(URL.snomed, ['255620007'])]);
valueSet('procedures', 'MeridianProcedures', 'Procedures and billing codes (CPT and HCPCS Level II)', 'Every shipped CPT code number and HCPCS Level II code.',
  [{ system: URL.cpt }, { system: URL.hcpcs }]);
valueSet('vital-units', 'MeridianVitalUnits', 'Units of vital signs (UCUM)', 'UCUM units of vital-sign quantities.',
  [enumerate(URL.ucum, ['mm[Hg]', '/min', 'Cel', '[degF]', 'kg', 'g', '[lb_av]', 'cm', '[in_i]', '%', 'kg/m2', 'L/min'])]);
valueSet('encounter-types', 'MeridianEncounterTypes', 'Encounter types (SNOMED CT)', 'SNOMED CT procedures used as Encounter.type.',
  [enumerate(URL.snomed, Object.values(ENCOUNTER_TYPES).map((e) => e.code))]);
valueSet('specialties', 'MeridianSpecialties', 'Practice specialties (SNOMED CT)', 'SNOMED CT clinical specialties (practice setting codes) for PractitionerRole.specialty and HealthcareService.specialty.',
  [enumerate(URL.snomed, Object.values(SPECIALTIES).map((s) => s.code))]);

// ---------------------------------------------------------------------------------------------------
// ConceptMaps between the seed's SNOMED CT problems and ICD-10-CM.

type Equivalence = 'equivalent' | 'wider' | 'narrower' | 'inexact';
const mapNotes: Record<string, { eq: Equivalence; comment?: string }> = {
  '44054006': { eq: 'narrower', comment: 'E11.9 is type 2 diabetes without complications; a complication is coded elsewhere in E11.' },
  '38341003': { eq: 'narrower', comment: 'I10 is essential (primary) hypertension; secondary hypertension is coded in I15.' },
  '195967001': { eq: 'narrower', comment: 'J45.909 is unspecified asthma without exacerbation or status asthmaticus.' },
  '444814009': { eq: 'inexact', comment: 'J01.90 is acute sinusitis of unspecified cause: wider in cause, narrower in acuity.' },
  '44465007': { eq: 'narrower', comment: 'S93.409A is the initial encounter for a sprain of an unspecified ligament of an unspecified ankle.' },
};
const inverse: Record<Equivalence, Equivalence> = { equivalent: 'equivalent', wider: 'narrower', narrower: 'wider', inexact: 'inexact' };
const pairs = Object.values(CONDITIONS).map((d) => ({ snomed: d.snomed, snomedDisplay: d.display, icd: d.icd10, icdDisplay: d.icd10Display, ...(mapNotes[d.snomed] ?? { eq: 'equivalent' as Equivalence }) }));
pairs.push(
  { snomed: '431857002', snomedDisplay: 'Chronic kidney disease stage 4', icd: 'N18.4', icdDisplay: 'Chronic kidney disease, stage 4 (severe)', eq: 'equivalent' },
  { snomed: '433146000', snomedDisplay: 'Chronic kidney disease stage 5', icd: 'N18.5', icdDisplay: 'Chronic kidney disease, stage 5', eq: 'equivalent' },
  { snomed: '46635009', snomedDisplay: 'Diabetes mellitus type 1', icd: 'E10.9', icdDisplay: 'Type 1 diabetes mellitus without complications', eq: 'narrower', comment: 'E10.9 is type 1 diabetes without complications.' },
);
const target = (code: string, display: string, equivalence: Equivalence, comment?: string) => ({ code, display, equivalence, ...(comment ? { comment } : {}) });
write('conceptmaps', 'snomed-to-icd-10-cm', {
  resourceType: 'ConceptMap', id: 'snomed-to-icd-10-cm', url: CM('snomed-to-icd-10-cm'), version: 'meridian-1',
  name: 'MeridianSnomedToIcd10cm', title: 'SNOMED CT problems to ICD-10-CM', status: 'active', experimental: false, date: DATE, publisher: PUBLISHER,
  description: 'Maps each SNOMED CT problem Meridian\'s seed records to the ICD-10-CM code it bills. Curated by Meridian (not the NLM SNOMED CT to ICD-10-CM map); equivalence says how the ICD-10-CM code relates to the SNOMED CT concept.',
  copyright: copyrightOf(URL.snomed),
  sourceCanonical: VS('conditions'), targetCanonical: VS('icd-10-cm'),
  group: [{ source: URL.snomed, target: URL.icd10cm, element: pairs.map((p) => ({ code: p.snomed, display: p.snomedDisplay, target: [target(p.icd, p.icdDisplay, p.eq, p.comment)] })) }],
});
write('conceptmaps', 'icd-10-cm-to-snomed', {
  resourceType: 'ConceptMap', id: 'icd-10-cm-to-snomed', url: CM('icd-10-cm-to-snomed'), version: 'meridian-1',
  name: 'MeridianIcd10cmToSnomed', title: 'ICD-10-CM to SNOMED CT problems', status: 'active', experimental: false, date: DATE, publisher: PUBLISHER,
  description: 'The inverse of snomed-to-icd-10-cm: each ICD-10-CM code Meridian\'s seed bills, mapped to its SNOMED CT problem. Equivalence says how the SNOMED CT concept relates to the ICD-10-CM code.',
  copyright: copyrightOf(URL.snomed),
  sourceCanonical: VS('icd-10-cm'), targetCanonical: VS('conditions'),
  group: [{ source: URL.icd10cm, target: URL.snomed, element: pairs.map((p) => ({ code: p.icd, display: p.icdDisplay, target: [target(p.snomed, p.snomedDisplay, inverse[p.eq], p.comment)] })) }],
});

console.log(`LOINC ${loincConcepts.length}, SNOMED ${snomedConcepts.length}, ICD-10-CM ${icdConcepts.length}, RxNorm ${rxConcepts.length}, drug classes ${classConcepts.length}, CPT ${cptConcepts.length}, HCPCS ${hcpcs.length}, UCUM ${ucum.length}`);
