// The terminology operations of FHIR R4, GET and POST, at the levels their OperationDefinitions give:
// CodeSystem/$lookup (type), CodeSystem/$validate-code and $subsumes (type, instance),
// ValueSet/$expand and $validate-code (type, instance), ConceptMap/$translate (type, instance).
import { randomUUID } from 'node:crypto';
import type { CodeableConcept, Coding, CodeSystem, ConceptMap, Parameters, ParametersParameter, ValueSet } from '@medplum/fhirtypes';
import type { FhirContext } from '../fhir/context.js';
import { badRequest, fhirError, notFound } from '../fhir/outcome.js';
import { ID_PATTERN } from '../fhir/validate.js';
import type { CodeSystemIndex, Concept } from './codesystem.js';
import { propertyText } from './expand.js';
import { OperationInputs } from './inputs.js';
import type { Terminology } from './service.js';

const MAX_COUNT = 1000;

const terminology = (ctx: FhirContext): Terminology => ctx.state.app.terminology;
const parameters = (parameter: ParametersParameter[]): Parameters => ({ resourceType: 'Parameters', parameter });

async function instance<T extends CodeSystem | ValueSet | ConceptMap>(ctx: FhirContext, type: T['resourceType']): Promise<T | undefined> {
  const id = ctx.params.id;
  if (id === undefined) return undefined;
  if (!ID_PATTERN.test(id)) throw notFound(`${type}/${id} is not known`);
  const resource = (await ctx.state.repo.read(type, id)) as T; // 404, 410
  return resource;
}

/** The ValueSet an operation is about: the instance, a valueSet resource parameter, or url (+ valueSetVersion). */
async function targetValueSet(ctx: FhirContext, inputs: OperationInputs): Promise<ValueSet> {
  const fromInstance = await instance<ValueSet>(ctx, 'ValueSet');
  if (fromInstance) return fromInstance;
  const inline = inputs.resource<ValueSet>('valueSet', 'ValueSet');
  if (inline) return inline;
  const url = inputs.string('url');
  if (!url) throw badRequest(`${inputs.operation} needs a ValueSet: call it on ValueSet/[id], or give url or valueSet`);
  const vs = await terminology(ctx).find('ValueSet', url, inputs.string('valueSetVersion'));
  if (!vs) throw notFound(`ValueSet ${url} is not known to this server`);
  return vs;
}

async function targetCodeSystem(ctx: FhirContext, inputs: OperationInputs, url: string | undefined, version?: string): Promise<CodeSystemIndex> {
  const fromInstance = await instance<CodeSystem>(ctx, 'CodeSystem');
  if (fromInstance) return terminology(ctx).index(fromInstance);
  const inline = inputs.resource<CodeSystem>('codeSystem', 'CodeSystem');
  if (inline) return terminology(ctx).index(inline);
  if (!url) throw badRequest(`${inputs.operation} needs a code system: call it on CodeSystem/[id], or give system (url)`);
  const cs = await terminology(ctx).codeSystem(url, version);
  if (!cs) throw notFound(`Code system ${url}${version ? ` version ${version}` : ''} is not known to this server`);
  return cs;
}

// ------------------------------------------------------------------------------------------------
// ValueSet/$expand

export async function expandOperation(ctx: FhirContext): Promise<void> {
  const inputs = new OperationInputs(ctx, '$expand');
  const vs = await targetValueSet(ctx, inputs);
  const filter = inputs.string('filter');
  const offset = inputs.integer('offset') ?? 0;
  const count = inputs.integer('count', MAX_COUNT);
  const activeOnly = inputs.boolean('activeOnly');
  const includeDesignations = inputs.boolean('includeDesignations');
  const page = await terminology(ctx).expand(vs, { filter, offset, count: count ?? MAX_COUNT, activeOnly });
  if (count === undefined && page.total > offset + MAX_COUNT) {
    throw fhirError(422, 'too-costly', `ValueSet ${vs.url ?? vs.id} has ${page.total} codes: page through it with count (at most ${MAX_COUNT}) and offset, or narrow it with filter`);
  }
  const echoed: { name: string; valueString?: string; valueInteger?: number; valueBoolean?: boolean }[] = [];
  if (filter !== undefined) echoed.push({ name: 'filter', valueString: filter });
  if (count !== undefined) echoed.push({ name: 'count', valueInteger: count });
  if (offset) echoed.push({ name: 'offset', valueInteger: offset });
  if (activeOnly !== undefined) echoed.push({ name: 'activeOnly', valueBoolean: activeOnly });
  const designations = includeDesignations ? await designationsOf(ctx, page.items) : undefined;
  const { compose: _compose, text: _text, ...rest } = vs;
  const expanded: ValueSet = {
    ...rest,
    expansion: {
      identifier: `urn:uuid:${randomUUID()}`,
      timestamp: new Date().toISOString(),
      total: page.total,
      offset,
      parameter: echoed.length ? echoed : undefined,
      contains: page.items.map((i, n) => ({
        system: i.system,
        version: i.version,
        code: i.code,
        display: i.display,
        inactive: i.inactive || undefined,
        designation: designations?.[n]?.length ? designations[n] : undefined,
      })),
    },
  };
  ctx.body = expanded;
}

async function designationsOf(ctx: FhirContext, items: { system: string; code: string }[]) {
  return Promise.all(items.map(async (i) => (await terminology(ctx).codeSystem(i.system))?.get(i.code)?.designation ?? []));
}

// ------------------------------------------------------------------------------------------------
// $validate-code (ValueSet and CodeSystem)

interface Verdict {
  result: boolean;
  message?: string;
  display?: string;
}

/** The codings to check: code+system(+display), coding, or every coding of codeableConcept. */
function candidates(inputs: OperationInputs, defaultSystem?: string): { codings: Coding[]; fromConcept: boolean } {
  const code = inputs.string('code');
  const coding = inputs.coding('coding');
  const concept: CodeableConcept | undefined = inputs.codeableConcept('codeableConcept');
  const given = [code !== undefined, coding !== undefined, concept !== undefined].filter(Boolean).length;
  if (given !== 1) throw badRequest(`${inputs.operation} needs exactly one of code (with system), coding or codeableConcept`);
  if (code !== undefined) {
    const system = inputs.string('system') ?? defaultSystem;
    return { codings: [{ system, code, display: inputs.string('display'), version: inputs.string('systemVersion') ?? inputs.string('version') }], fromConcept: false };
  }
  if (coding) return { codings: [{ ...coding, display: coding.display ?? inputs.string('display') }], fromConcept: false };
  const codings = (concept!.coding ?? []).filter((c) => c.code);
  if (!codings.length) throw badRequest(`${inputs.operation}: the codeableConcept has no coding with a code`);
  return { codings, fromConcept: true };
}

function displayVerdict(concept: Concept | undefined, expected: string | undefined, given: string | undefined, where: string): Verdict {
  const display = expected ?? concept?.display;
  if (given === undefined) return { result: true, display };
  const valid = [display, concept?.display, ...(concept?.designation.map((d) => d.value) ?? [])].filter((d): d is string => !!d);
  if (!valid.length || valid.some((d) => d.trim().toLowerCase() === given.trim().toLowerCase())) return { result: true, display };
  return { result: false, display, message: `The display "${given}" is not a display of ${where}; it should be "${display}"` };
}

function verdictParameters(verdicts: Verdict[], fromConcept: boolean): Parameters {
  const passed = verdicts.find((v) => v.result);
  const chosen = passed ?? verdicts[0];
  const messages = verdicts.filter((v) => v.message).map((v) => v.message!);
  const out: ParametersParameter[] = [{ name: 'result', valueBoolean: !!passed }];
  if (!passed || (!fromConcept && messages.length)) out.push({ name: 'message', valueString: messages.join('; ') });
  if (chosen.display) out.push({ name: 'display', valueString: chosen.display });
  return parameters(out);
}

export async function valueSetValidateCodeOperation(ctx: FhirContext): Promise<void> {
  const inputs = new OperationInputs(ctx, '$validate-code');
  const vs = await targetValueSet(ctx, inputs);
  const { codings, fromConcept } = candidates(inputs);
  const activeOnly = inputs.boolean('activeOnly');
  const expansion = await terminology(ctx).expansion(vs);
  const name = vs.url ?? `ValueSet/${vs.id}`;
  const verdicts: Verdict[] = [];
  for (const coding of codings) {
    const code = coding.code!;
    let item = coding.system ? expansion.byKey.get(`${coding.system}|${code}`) : undefined;
    if (!coding.system) {
      const matches = expansion.byCode.get(code) ?? [];
      if (matches.length > 1) throw badRequest(`Code "${code}" is in ${name} from several code systems: give system`);
      item = matches[0];
    }
    const where = `${coding.system ?? item?.system ?? ''}|${code}`;
    if (!item) {
      const cs = coding.system ? await terminology(ctx).codeSystem(coding.system) : undefined;
      const unknown = cs && !cs.get(code) && cs.content === 'complete';
      verdicts.push({ result: false, message: unknown ? `Code ${where} is not a code of ${coding.system}` : `Code ${where} is not in the value set ${name}` });
      continue;
    }
    if (activeOnly && item.inactive) {
      verdicts.push({ result: false, display: item.display, message: `Code ${where} is inactive` });
      continue;
    }
    // the code system (for the designations) only when the display given is not the expansion's
    const same = coding.display === undefined || coding.display.trim().toLowerCase() === item.display?.trim().toLowerCase();
    const concept = same ? undefined : (await terminology(ctx).codeSystem(item.system))?.get(item.code);
    verdicts.push(displayVerdict(concept, item.display, coding.display, where));
  }
  ctx.body = verdictParameters(verdicts, fromConcept);
}

export async function codeSystemValidateCodeOperation(ctx: FhirContext): Promise<void> {
  const inputs = new OperationInputs(ctx, '$validate-code');
  const cs = await targetCodeSystem(ctx, inputs, inputs.string('url'), inputs.string('version'));
  const { codings, fromConcept } = candidates(inputs, cs.url);
  const verdicts: Verdict[] = [];
  for (const coding of codings) {
    const where = `${coding.system ?? cs.url}|${coding.code}`;
    if (coding.system && coding.system !== cs.url) {
      verdicts.push({ result: false, message: `${where} is not from the code system ${cs.url}` });
      continue;
    }
    const concept = cs.get(coding.code!);
    if (!concept) {
      verdicts.push({ result: false, message: `Code ${where} is not a code of ${cs.url}${cs.content === 'fragment' ? ' (this server holds a fragment of it)' : ''}` });
      continue;
    }
    const verdict = displayVerdict(concept, undefined, coding.display, where);
    if (verdict.result && concept.inactive) verdict.message = `Code ${where} is inactive`;
    verdicts.push(verdict);
  }
  ctx.body = verdictParameters(verdicts, fromConcept);
}

// ------------------------------------------------------------------------------------------------
// CodeSystem/$lookup and $subsumes

export async function lookupOperation(ctx: FhirContext): Promise<void> {
  const inputs = new OperationInputs(ctx, '$lookup');
  const coding = inputs.coding('coding');
  const code = coding?.code ?? inputs.string('code');
  const system = coding?.system ?? inputs.string('system');
  if (!code || !system) throw badRequest('$lookup needs code and system, or coding');
  const cs = await targetCodeSystem(ctx, inputs, system, coding?.version ?? inputs.string('version'));
  const concept = cs.get(code);
  if (!concept) throw notFound(`Code "${code}" is not a code of ${system}${cs.content === 'fragment' ? ' (this server holds a fragment of it)' : ''}`);
  const wanted = inputs.strings('property');
  const want = (name: string) => !wanted.length || wanted.includes(name) || wanted.includes('*');
  const out: ParametersParameter[] = [{ name: 'name', valueString: cs.name ?? cs.url }];
  if (cs.version) out.push({ name: 'version', valueString: cs.version });
  if (concept.display) out.push({ name: 'display', valueString: concept.display });
  if (concept.definition && want('definition')) out.push({ name: 'definition', valueString: concept.definition } as ParametersParameter);
  for (const d of concept.designation) {
    const part: ParametersParameter[] = [];
    if (d.language) part.push({ name: 'language', valueCode: d.language });
    if (d.use) part.push({ name: 'use', valueCoding: d.use });
    part.push({ name: 'value', valueString: d.value });
    out.push({ name: 'designation', part });
  }
  const property = (name: string, value: ParametersParameter) => out.push({ name: 'property', part: [{ name: 'code', valueCode: name }, { ...value, name: 'value' }] });
  if (want('inactive')) property('inactive', { name: 'value', valueBoolean: concept.inactive });
  for (const p of concept.property) {
    if (p.code === 'parent' || p.code === 'child' || p.code === 'inactive' || !want(p.code)) continue;
    const [key, value] = Object.entries(p).find(([k]) => k.startsWith('value')) ?? [];
    if (key) property(p.code, { name: 'value', [key]: value } as ParametersParameter);
    else property(p.code, { name: 'value', valueString: propertyText(p) });
  }
  if (want('parent')) for (const parent of concept.parents) property('parent', { name: 'value', valueCode: parent });
  if (want('child')) for (const child of concept.children) property('child', { name: 'value', valueCode: child });
  ctx.body = parameters(out);
}

export async function subsumesOperation(ctx: FhirContext): Promise<void> {
  const inputs = new OperationInputs(ctx, '$subsumes');
  const codingA = inputs.coding('codingA');
  const codingB = inputs.coding('codingB');
  const codeA = codingA?.code ?? inputs.string('codeA');
  const codeB = codingB?.code ?? inputs.string('codeB');
  if (!codeA || !codeB) throw badRequest('$subsumes needs codeA and codeB (with system), or codingA and codingB');
  const systems = new Set([codingA?.system, codingB?.system, inputs.string('system')].filter((s): s is string => !!s));
  if (systems.size > 1) throw badRequest(`$subsumes compares codes of one code system, got ${[...systems].join(' and ')}`);
  const cs = await targetCodeSystem(ctx, inputs, [...systems][0], inputs.string('version'));
  if (systems.size && ctx.params.id && !systems.has(cs.url)) throw badRequest(`CodeSystem/${ctx.params.id} is ${cs.url}, not ${[...systems][0]}`);
  for (const code of [codeA, codeB]) {
    if (!cs.get(code)) throw badRequest(`Code "${code}" is not a code of ${cs.url}`);
  }
  ctx.body = parameters([{ name: 'outcome', valueCode: cs.subsumes(codeA, codeB) }]);
}

// ------------------------------------------------------------------------------------------------
// ConceptMap/$translate

const NO_MATCH = new Set(['unmatched', 'disjoint']);

export async function translateOperation(ctx: FhirContext): Promise<void> {
  const inputs = new OperationInputs(ctx, '$translate');
  const reverse = inputs.boolean('reverse') ?? false;
  const { codings } = candidates(inputs);
  const source = inputs.string('source');
  const target = inputs.string('target');
  const targetSystem = inputs.string('targetsystem');
  let maps: ConceptMap[];
  const one = (await instance<ConceptMap>(ctx, 'ConceptMap')) ?? inputs.resource<ConceptMap>('conceptMap', 'ConceptMap');
  const url = inputs.string('url');
  if (one) maps = [one];
  else if (url) {
    const found = await terminology(ctx).find('ConceptMap', url, inputs.string('conceptMapVersion'));
    if (!found) throw notFound(`ConceptMap ${url} is not known to this server`);
    maps = [found];
  } else {
    maps = await terminology(ctx).conceptMaps();
  }
  const scope = (map: ConceptMap, side: 'source' | 'target') => map[`${side}Uri`] ?? map[`${side}Canonical`];
  const matches: ParametersParameter[] = [];
  for (const map of maps) {
    const [from, to] = reverse ? (['target', 'source'] as const) : (['source', 'target'] as const);
    if (source && scope(map, from) && scope(map, from) !== source) continue;
    if (target && scope(map, to) && scope(map, to) !== target) continue;
    for (const group of map.group ?? []) {
      const fromSystem = reverse ? group.target : group.source;
      const toSystem = reverse ? group.source : group.target;
      if (targetSystem && toSystem !== targetSystem) continue;
      for (const coding of codings) {
        if (coding.system && fromSystem && coding.system !== fromSystem) continue;
        for (const element of group.element ?? []) {
          for (const t of element.target ?? []) {
            const [fromCode, toCode, toDisplay] = reverse ? [t.code, element.code, element.display] : [element.code, t.code, t.display];
            if (fromCode !== coding.code) continue;
            const part: ParametersParameter[] = [{ name: 'equivalence', valueCode: reverse ? reverseEquivalence(t.equivalence) : t.equivalence }];
            if (toCode) part.push({ name: 'concept', valueCoding: { system: toSystem, code: toCode, display: toDisplay } });
            part.push({ name: 'source', valueUri: map.url ?? `ConceptMap/${map.id}` });
            matches.push({ name: 'match', part });
          }
        }
      }
    }
  }
  const result = matches.some((m) => !NO_MATCH.has(m.part![0].valueCode ?? ''));
  const out: ParametersParameter[] = [{ name: 'result', valueBoolean: result }];
  if (!result) out.push({ name: 'message', valueString: `No mapping found for ${codings.map((c) => `${c.system ?? ''}|${c.code}`).join(', ')}` });
  ctx.body = parameters([...out, ...matches]);
}

/** Read from target to source, "wider" becomes "narrower" and the other way round. */
function reverseEquivalence(equivalence: string | undefined): string | undefined {
  if (equivalence === 'wider') return 'narrower';
  if (equivalence === 'narrower') return 'wider';
  if (equivalence === 'subsumes') return 'specializes';
  if (equivalence === 'specializes') return 'subsumes';
  return equivalence;
}
