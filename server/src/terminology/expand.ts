// ValueSet expansion: the codes a ValueSet's compose selects (include minus exclude, concept lists,
// filters, nested ValueSets), as a flat list. Paging and the text filter are the caller's (service.ts).
import type { ValueSet, ValueSetComposeInclude, ValueSetComposeIncludeFilter, ValueSetExpansionContains } from '@medplum/fhirtypes';
import { badRequest, fhirError } from '../fhir/outcome.js';
import { searchWords, type CodeSystemIndex, type Concept } from './codesystem.js';

export interface Item {
  system: string;
  version?: string;
  code: string;
  display?: string;
  inactive?: boolean;
  /** searchWords of code, display and designations (text filter). */
  words: string;
}

/** Where an expansion finds the content it names; synchronous (runtime content is fetched beforehand). */
export interface Resolver {
  codeSystem(url: string, version?: string): CodeSystemIndex | undefined;
  valueSet(url: string): ValueSet | undefined;
}

const MAX_REGEX = 200;

export const cannotExpand = (message: string) => fhirError(422, 'not-supported', message);

export const keyOf = (system: string, code: string) => `${system}|${code}`;

/** Every code of the ValueSet (inactive ones included unless compose.inactive is false). */
export function expandAll(vs: ValueSet, resolver: Resolver, seen = new Set<string>()): Item[] {
  const name = vs.url ?? vs.id ?? 'the ValueSet';
  if (seen.has(name)) throw cannotExpand(`ValueSet ${name} includes itself`);
  seen.add(name);
  if (!vs.compose) {
    if (vs.expansion?.contains) return flatten(vs.expansion.contains);
    throw cannotExpand(`ValueSet ${name} has neither a compose nor an expansion`);
  }
  const items = new Map<string, Item>();
  for (const include of vs.compose.include ?? []) {
    for (const item of selected(include, resolver, seen)) items.set(keyOf(item.system, item.code), item);
  }
  for (const exclude of vs.compose.exclude ?? []) {
    for (const item of selected(exclude, resolver, seen)) items.delete(keyOf(item.system, item.code));
  }
  seen.delete(name);
  const all = [...items.values()];
  return vs.compose.inactive === false ? all.filter((i) => !i.inactive) : all;
}

function flatten(contains: ValueSetExpansionContains[], out: Item[] = []): Item[] {
  for (const c of contains) {
    if (c.code && c.system) out.push({ system: c.system, version: c.version, code: c.code, display: c.display, inactive: c.inactive, words: searchWords(`${c.code} ${c.display ?? ''}`) });
    if (c.contains) flatten(c.contains, out);
  }
  return out;
}

/** What one include (or exclude) selects: its system's concepts through concept/filter, within its ValueSets. */
function selected(include: ValueSetComposeInclude, resolver: Resolver, seen: Set<string>): Item[] {
  let items: Item[] | undefined;
  if (include.system) {
    const cs = resolver.codeSystem(include.system, include.version);
    if (include.concept?.length) {
      items = include.concept.map((c) => {
        const known = cs?.get(c.code);
        if (cs && !known && cs.content === 'complete') throw cannotExpand(`Code "${c.code}" is not in ${include.system}`);
        return { system: include.system!, version: include.version ?? cs?.version, code: known?.code ?? c.code, display: c.display ?? known?.display, inactive: known?.inactive, words: known ? `${known.words}${c.display ? searchWords(c.display) : ''}` : searchWords(`${c.code} ${c.display ?? ''}`) };
      });
    } else {
      if (!cs) throw cannotExpand(`Code system ${include.system} is not known to this server`);
      if (cs.content === 'not-present') throw cannotExpand(`Code system ${include.system} has no content here to expand`);
      const tests = (include.filter ?? []).map((f) => filterTest(cs, f));
      items = [];
      for (const concept of cs.all()) {
        if (tests.every((t) => t(concept))) items.push(item(cs, concept));
      }
    }
  }
  for (const url of include.valueSet ?? []) {
    const nested = resolver.valueSet(url);
    if (!nested) throw cannotExpand(`ValueSet ${url} (included) is not known to this server`);
    const codes = expandAll(nested, resolver, seen);
    if (!items) items = codes;
    else {
      const keys = new Set(codes.map((c) => keyOf(c.system, c.code)));
      items = items.filter((i) => keys.has(keyOf(i.system, i.code)));
    }
  }
  return items ?? [];
}

const item = (cs: CodeSystemIndex, c: Concept): Item => ({ system: cs.url, version: cs.version, code: c.code, display: c.display, inactive: c.inactive || undefined, words: c.words });

/** A compose filter as a test on one concept of cs. */
export function filterTest(cs: CodeSystemIndex, f: ValueSetComposeIncludeFilter): (c: Concept) => boolean {
  const { property, op, value } = f;
  if (!property || !op || value === undefined) throw badRequest('A ValueSet filter needs property, op and value');
  const hierarchical = property === 'concept' || property === 'code';
  const known = (code: string) => {
    const c = cs.get(code);
    if (!c) throw cannotExpand(`Filter ${property} ${op} ${code}: code "${code}" is not in ${cs.url}`);
    return c.code;
  };
  if (hierarchical) {
    switch (op) {
      case 'is-a': {
        const root = known(value);
        const set = cs.descendants(root).add(root);
        return (c) => set.has(c.code);
      }
      case 'descendent-of': {
        const set = cs.descendants(known(value));
        return (c) => set.has(c.code);
      }
      case 'is-not-a': {
        const root = known(value);
        const set = cs.descendants(root).add(root);
        return (c) => !set.has(c.code);
      }
      case 'generalizes': {
        const root = known(value);
        const set = cs.ancestors(root).add(root);
        return (c) => set.has(c.code);
      }
      case '=':
        return (c) => c.code === value;
      case 'in': {
        const set = new Set(value.split(',').map((v) => v.trim()));
        return (c) => set.has(c.code);
      }
      case 'not-in': {
        const set = new Set(value.split(',').map((v) => v.trim()));
        return (c) => !set.has(c.code);
      }
      case 'regex': {
        const re = regex(value);
        return (c) => re.test(c.code);
      }
    }
    throw cannotExpand(`Filter operator "${op}" is not supported on ${property}`);
  }
  if (property === 'display') {
    if (op === '=') return (c) => c.display === value;
    if (op === 'regex') {
      const re = regex(value);
      return (c) => re.test(c.display ?? '');
    }
    throw cannotExpand(`Filter operator "${op}" is not supported on display`);
  }
  if (property === 'inactive' && op === '=') return (c) => String(c.inactive) === value;
  const values = (c: Concept) => c.property.filter((p) => p.code === property).map(propertyText);
  switch (op) {
    case '=':
      return (c) => values(c).includes(value);
    case 'in': {
      const set = new Set(value.split(',').map((v) => v.trim()));
      return (c) => values(c).some((v) => set.has(v));
    }
    case 'not-in': {
      const set = new Set(value.split(',').map((v) => v.trim()));
      return (c) => !values(c).some((v) => set.has(v));
    }
    case 'regex': {
      const re = regex(value);
      return (c) => values(c).some((v) => re.test(v));
    }
    case 'exists':
      return (c) => (values(c).length > 0) === (value === 'true');
  }
  throw cannotExpand(`Filter operator "${op}" is not supported on property ${property}`);
}

/** A property's value as the text a filter compares. */
export function propertyText(p: { valueCode?: string; valueString?: string; valueBoolean?: boolean; valueInteger?: number; valueDecimal?: number; valueDateTime?: string; valueCoding?: { code?: string } }): string {
  const v = p.valueCode ?? p.valueString ?? p.valueBoolean ?? p.valueInteger ?? p.valueDecimal ?? p.valueDateTime ?? p.valueCoding?.code;
  return v === undefined ? '' : String(v);
}

/** A whole-value regex from a request; bounded in length (patterns are run against every concept). */
function regex(pattern: string): RegExp {
  if (pattern.length > MAX_REGEX) throw badRequest(`A regex filter may be at most ${MAX_REGEX} characters`);
  // a repeated group that itself repeats, e.g. (a+)+, can backtrack for ever on one concept
  if (/\([^)]*[*+}][^)]*\)\s*[*+{]/.test(pattern)) throw badRequest('A regex filter may not repeat a group that repeats (e.g. (a+)+)');
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    throw badRequest(`"${pattern}" is not a valid regular expression`);
  }
}

/** The canonical URLs a ValueSet's compose names: code systems (with versions) and ValueSets. */
export function references(vs: ValueSet): { systems: { url: string; version?: string }[]; valueSets: string[] } {
  const systems: { url: string; version?: string }[] = [];
  const valueSets: string[] = [];
  for (const part of [...(vs.compose?.include ?? []), ...(vs.compose?.exclude ?? [])]) {
    if (part.system) systems.push({ url: part.system, version: part.version });
    valueSets.push(...(part.valueSet ?? []));
  }
  return { systems, valueSets };
}
