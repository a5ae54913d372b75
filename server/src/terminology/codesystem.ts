// One CodeSystem made searchable: its concepts by code, with parents and children whether the
// hierarchy is written by nesting (the FHIR core systems) or by `parent`/`child` properties (ours).
import type { CodeSystem, CodeSystemConcept, CodeSystemConceptDesignation, CodeSystemConceptProperty } from '@medplum/fhirtypes';

export interface Concept {
  code: string;
  display?: string;
  definition?: string;
  designation: CodeSystemConceptDesignation[];
  property: CodeSystemConceptProperty[];
  parents: string[];
  children: string[];
  inactive: boolean;
  /** Code, display and designations as searchWords, for the text filter of $expand. */
  words: string;
}

export type Subsumption = 'equivalent' | 'subsumes' | 'subsumed-by' | 'not-subsumed';

export class CodeSystemIndex {
  readonly url: string;
  readonly version?: string;
  readonly name?: string;
  readonly content?: string;
  private readonly concepts = new Map<string, Concept>();
  private readonly folded?: Map<string, string>;

  constructor(readonly resource: CodeSystem) {
    this.url = resource.url ?? '';
    this.version = resource.version;
    this.name = resource.title ?? resource.name;
    this.content = resource.content;
    this.add(resource.concept ?? [], undefined);
    for (const concept of this.concepts.values()) {
      for (const p of concept.property) {
        if (p.code === 'parent' && p.valueCode) this.link(p.valueCode, concept.code);
        if (p.code === 'child' && p.valueCode) this.link(concept.code, p.valueCode);
      }
    }
    if (resource.caseSensitive === false) {
      this.folded = new Map([...this.concepts.keys()].map((code) => [code.toLowerCase(), code]));
    }
  }

  private add(list: CodeSystemConcept[], parent: string | undefined): void {
    for (const c of list) {
      if (!c.code) continue;
      const property = c.property ?? [];
      const status = property.find((p) => p.code === 'status')?.valueCode;
      const inactive = property.some((p) => p.code === 'inactive' && p.valueBoolean === true) || status === 'retired' || status === 'inactive';
      const designation = c.designation ?? [];
      this.concepts.set(c.code, {
        code: c.code,
        display: c.display,
        definition: c.definition,
        designation,
        property,
        parents: [],
        children: [],
        inactive,
        words: searchWords([c.code, c.display, ...designation.map((d) => d.value)].filter(Boolean).join(' ')),
      });
      if (parent) this.link(parent, c.code);
      if (c.concept) this.add(c.concept, c.code);
    }
  }

  private link(parent: string, child: string): void {
    const p = this.concepts.get(parent);
    const c = this.concepts.get(child);
    if (!p || !c || p.children.includes(child)) return;
    p.children.push(child);
    c.parents.push(parent);
  }

  get size(): number {
    return this.concepts.size;
  }

  all(): IterableIterator<Concept> {
    return this.concepts.values();
  }

  get(code: string): Concept | undefined {
    return this.concepts.get(code) ?? (this.folded ? this.concepts.get(this.folded.get(code.toLowerCase()) ?? '') : undefined);
  }

  /** Every concept below code (not the code itself). */
  descendants(code: string): Set<string> {
    return this.walk(code, (c) => c.children);
  }

  /** Every concept above code (not the code itself). */
  ancestors(code: string): Set<string> {
    return this.walk(code, (c) => c.parents);
  }

  private walk(code: string, next: (c: Concept) => string[]): Set<string> {
    const found = new Set<string>();
    const start = this.get(code);
    const queue = start ? [...next(start)] : [];
    while (queue.length) {
      const current = queue.pop()!;
      if (found.has(current)) continue; // hierarchies are DAGs; a bad one must not loop
      found.add(current);
      const concept = this.concepts.get(current);
      if (concept) queue.push(...next(concept));
    }
    found.delete(start?.code ?? '');
    return found;
  }

  /** How codeA relates to codeB ($subsumes); both must be known. */
  subsumes(codeA: string, codeB: string): Subsumption {
    const a = this.get(codeA)!.code;
    const b = this.get(codeB)!.code;
    if (a === b) return 'equivalent';
    if (this.descendants(a).has(b)) return 'subsumes';
    if (this.descendants(b).has(a)) return 'subsumed-by';
    return 'not-subsumed';
  }
}

/** Text as " word word": lower case, split on anything not a letter or digit (the text filter matches word starts). */
export function searchWords(text: string): string {
  return ` ${text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()}`;
}
