// Snapshot generation: a profile's differential merged into its base's snapshot. Small on purpose: it
// handles what hand-written profiles use (constraints on elements of the base, slices, elements inside
// a complex type such as Observation.code.coding) and reports anything else as a problem.
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';
import { readJson } from '../fhir/definitions.js';

/** A differential the generator cannot place: the profile is not usable. */
export class SnapshotError extends Error {}

let baseIndex: Map<string, StructureDefinition> | undefined;

/** The R4 StructureDefinitions (resources and data types) by url. */
export function baseDefinitions(): Map<string, StructureDefinition> {
  if (!baseIndex) {
    baseIndex = new Map();
    for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
      for (const e of (readJson(file) as { entry: { resource: StructureDefinition }[] }).entry) {
        if (e.resource.resourceType === 'StructureDefinition' && e.resource.url) baseIndex.set(e.resource.url, e.resource);
      }
    }
  }
  return baseIndex;
}

const clone = <T>(value: T): T => structuredClone(value);

/**
 * The snapshot of sd: base's snapshot elements with sd's differential merged in by element id.
 * A differential element "X.a:s" starts the slice s of X.a: a copy of X.a (its base definition) placed
 * after X.a, its earlier slices and their children, followed by copies of X.a's children renamed
 * "X.a:s.…". An element not in the snapshot is looked up inside the data type of its nearest parent
 * (Observation.code.coding: CodeableConcept's children are added under Observation.code first).
 */
export function generateSnapshot(sd: StructureDefinition, base: StructureDefinition): ElementDefinition[] {
  const elements = clone(base.snapshot?.element ?? []);
  if (!elements.length) throw new SnapshotError(`The base ${base.url} has no snapshot`);
  const rootPath = elements[0].path!;
  const byId = () => new Map(elements.map((e, i) => [e.id!, i]));
  for (let diff of sd.differential?.element ?? []) {
    let id = diff.id ?? diff.path;
    if (!id) throw new SnapshotError('A differential element has neither id nor path');
    if (id.split('.')[0] !== rootPath) throw new SnapshotError(`Differential element ${id} is not inside ${rootPath}`);
    let index = byId().get(id);
    if (index === undefined) {
      const renamed = typeSliceId(elements, id);
      if (renamed !== id) {
        diff = { ...diff, id: renamed };
        id = renamed;
        index = byId().get(id);
      }
    }
    if (index === undefined) {
      const last = id.slice(id.lastIndexOf('.') + 1);
      if (last.includes(':') && !last.includes('.')) index = addSlice(elements, id, diff);
      else index = expandToward(elements, id);
    }
    elements[index] = merge(elements[index], diff);
  }
  for (const e of elements) {
    const max = e.max === '*' ? Infinity : Number(e.max);
    if ((e.min ?? 0) > max) throw new SnapshotError(`${e.id}: min ${e.min} is more than max ${e.max}`);
  }
  return elements;
}

/** Differential properties replace the base's; constraints are added to the base's. */
function merge(base: ElementDefinition, diff: ElementDefinition): ElementDefinition {
  const { id: _id, path: _path, constraint, ...rest } = diff;
  const merged: ElementDefinition = { ...base, ...rest };
  if (constraint) {
    const keys = new Set(constraint.map((c) => c.key));
    merged.constraint = [...(base.constraint ?? []).filter((c) => !keys.has(c.key)), ...constraint];
  }
  if (diff.max !== undefined && base.max !== undefined && base.max !== '*' && (diff.max === '*' || Number(diff.max) > Number(base.max))) {
    throw new SnapshotError(`${base.id}: max ${diff.max} is more than the base's ${base.max}`);
  }
  if (diff.min !== undefined && base.min !== undefined && diff.min < base.min && !base.sliceName && !diff.sliceName) {
    throw new SnapshotError(`${base.id}: min ${diff.min} is less than the base's ${base.min}`);
  }
  return merged;
}

/** Index after the element at index and all its descendants (ids that continue it with "." or ":"). */
function endOfSubtree(elements: ElementDefinition[], index: number): number {
  const id = elements[index].id!;
  let end = index + 1;
  while (end < elements.length && (elements[end].id!.startsWith(id + '.') || elements[end].id!.startsWith(id + ':'))) end++;
  return end;
}

function addSlice(elements: ElementDefinition[], id: string, diff: ElementDefinition): number {
  const slicedId = id.slice(0, id.lastIndexOf(':'));
  const sliceName = id.slice(id.lastIndexOf(':') + 1);
  const slicedIndex = elements.findIndex((e) => e.id === slicedId);
  if (slicedIndex < 0) throw new SnapshotError(`Slice ${id}: the sliced element ${slicedId} is not in the snapshot`);
  const sliced = elements[slicedIndex];
  const isExtension = /(^|\.)(extension|modifierExtension)$/.test(slicedId);
  // extensions are sliced by url without saying so (R4: Extension.url is the discriminator)
  if (!sliced.slicing && isExtension) sliced.slicing = { discriminator: [{ type: 'value', path: 'url' }], ordered: false, rules: 'open' };
  if (!sliced.slicing) throw new SnapshotError(`Slice ${id}: ${slicedId} has no slicing`);
  if (diff.sliceName !== undefined && diff.sliceName !== sliceName) throw new SnapshotError(`Slice ${id}: sliceName "${diff.sliceName}" does not match its id`);
  const children: ElementDefinition[] = [];
  for (let i = slicedIndex + 1; i < elements.length && elements[i].id!.startsWith(slicedId + '.'); i++) children.push(elements[i]);
  const { slicing: _slicing, ...definition } = clone(sliced);
  const slice: ElementDefinition = { ...definition, id, sliceName };
  const copies = children.map((c) => ({ ...clone(c), id: id + c.id!.slice(slicedId.length) }));
  const extensionUrl = isExtension ? diff.type?.[0]?.profile?.[0] : undefined;
  if (extensionUrl && !copies.length) {
    // the url that tells this extension slice's values apart
    copies.push({ id: `${id}.url`, path: `${sliced.path}.url`, min: 1, max: '1', base: { path: 'Extension.url', min: 1, max: '1' }, type: [{ code: 'uri' }], fixedUri: extensionUrl });
  }
  const at = endOfSubtree(elements, slicedIndex);
  elements.splice(at, 0, slice, ...copies);
  return at;
}

/** Adds the children of a complex-typed element on the way to id (e.g. CodeableConcept's under Observation.code). */
function expandToward(elements: ElementDefinition[], id: string): number {
  const parts = id.split('.');
  for (let n = parts.length - 1; n >= 1; n--) {
    const parentId = parts.slice(0, n).join('.');
    const parentIndex = elements.findIndex((e) => e.id === parentId);
    if (parentIndex < 0) continue;
    const parent = elements[parentIndex];
    const codes = parent.type?.map((t) => t.code) ?? [];
    if (codes.length !== 1 || elements[parentIndex + 1]?.id?.startsWith(parentId + '.')) break;
    const type = baseDefinitions().get(`http://hl7.org/fhir/StructureDefinition/${codes[0]}`);
    const typeElements = type?.snapshot?.element;
    if (!typeElements || type?.kind === 'primitive-type') break;
    const root = typeElements[0].id!;
    const parentPath = parent.path!;
    const copies = typeElements.slice(1).map((c) => ({ ...clone(c), id: parentId + c.id!.slice(root.length), path: parentPath + c.path!.slice(root.length) }));
    elements.splice(parentIndex + 1, 0, ...copies);
    const found = elements.findIndex((e) => e.id === id);
    if (found >= 0) return found;
    return expandToward(elements, id);
  }
  throw new SnapshotError(`Differential element ${id} is not an element of the base`);
}

/**
 * A choice element named by its type ("Observation.valueQuantity", "Observation.valueQuantity.code")
 * is the type slice "Observation.value[x]:valueQuantity" (FHIR R4, profiling: choice types): the id in
 * that form, with the slicing by type and the slice itself added to elements when missing.
 */
function typeSliceId(elements: ElementDefinition[], id: string): string {
  const parts = id.split('.');
  for (let n = 1; n < parts.length; n++) {
    const parentId = parts.slice(0, n).join('.');
    const segment = parts[n];
    if (segment.includes(':') || segment.endsWith('[x]')) continue;
    const choice = elements.find((e) => e.id!.startsWith(parentId + '.') && e.id!.endsWith('[x]') && e.id!.split('.').length === n + 1 && segment.startsWith(e.id!.slice(parentId.length + 1, -3)));
    if (!choice) continue;
    const typeName = segment.slice(choice.id!.length - parentId.length - 4);
    const type = choice.type?.find((t) => t.code.toLowerCase() === typeName.toLowerCase());
    if (!type || elements.some((e) => e.id === `${parentId}.${segment}`)) continue;
    const sliceId = `${choice.id}:${segment}`;
    if (!elements.some((e) => e.id === sliceId)) {
      choice.slicing ??= { discriminator: [{ type: 'type', path: '$this' }], ordered: false, rules: 'open' };
      const index = addSlice(elements, sliceId, { path: choice.path! });
      elements[index] = { ...elements[index], type: [type] };
    }
    parts.splice(n, 1, `${choice.id!.split('.').pop()}:${segment}`);
    return typeSliceId(elements, parts.join('.'));
  }
  return id;
}
