// The terminology service: finds CodeSystems, ValueSets and ConceptMaps by canonical URL (shipped
// content in memory first, then the database, so ones POSTed at runtime work on every process),
// keeps their indexes and expansions cached by version, and answers what the operations ask.
import type { CodeSystem, ConceptMap, ValueSet } from '@medplum/fhirtypes';
import type { Db, Queryable } from '../db/index.js';
import { CodeSystemIndex, searchWords } from './codesystem.js';
import { coreContent, curatedContent, type TerminologyResource } from './content.js';
import { expandAll, keyOf, references, type Item, type Resolver } from './expand.js';

type Kind = 'CodeSystem' | 'ValueSet' | 'ConceptMap';

export interface Expansion {
  items: Item[];
  byKey: Map<string, Item>;
  byCode: Map<string, Item[]>;
  /** For the text filter, built on its first use. */
  words?: WordIndex;
}

/** Every distinct word of the items, sorted, each with the (ascending) positions of the items that have it. */
interface WordIndex {
  words: string[];
  postings: number[][];
}

function wordIndex(items: Item[]): WordIndex {
  const byWord = new Map<string, number[]>();
  items.forEach((item, n) => {
    for (const word of new Set(item.words.split(' '))) {
      if (!word) continue;
      const list = byWord.get(word);
      if (list) list.push(n);
      else byWord.set(word, [n]);
    }
  });
  const words = [...byWord.keys()].sort();
  return { words, postings: words.map((w) => byWord.get(w)!) };
}

/** Positions of the items with a word starting with each term: a binary search per term, not a scan of the items. */
function withWordsStarting(index: WordIndex, terms: string[]): number[] {
  let found: Set<number> | undefined;
  for (const term of terms) {
    let lo = 0;
    let hi = index.words.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (index.words[mid] < term) lo = mid + 1;
      else hi = mid;
    }
    const these = new Set<number>();
    for (let i = lo; i < index.words.length && index.words[i].startsWith(term); i++) {
      for (const n of index.postings[i]) if (!found || found.has(n)) these.add(n);
    }
    found = these;
    if (!found.size) break;
  }
  return [...(found ?? [])].sort((a, b) => a - b);
}

export interface ExpandOptions {
  filter?: string;
  offset?: number;
  count?: number;
  activeOnly?: boolean;
}

export interface Page {
  total: number;
  items: Item[];
}

/** A stored resource's identity: cached work is reused until the resource changes. */
const identity = (r: TerminologyResource & { meta?: { versionId?: string } }) => (r.id && r.meta?.versionId ? `${r.resourceType}/${r.id}/${r.meta.versionId}` : undefined);

type Found<K extends Kind> = Extract<TerminologyResource, { resourceType: K }>;

function indexed(list: Item[]): Expansion {
  const byKey = new Map(list.map((i) => [keyOf(i.system, i.code), i]));
  const byCode = new Map<string, Item[]>();
  for (const i of list) byCode.set(i.code, [...(byCode.get(i.code) ?? []), i]);
  return { items: list, byKey, byCode };
}

/** The shipped content, the same for every server of the process: built once, read without a database. */
export class ShippedTerminology implements Resolver {
  private readonly byUrl = new Map<string, TerminologyResource>(); // "Kind url" and "Kind url|version"
  private readonly indexes = new WeakMap<CodeSystem, CodeSystemIndex>();
  private readonly expansions = new Map<string, Expansion | null>();

  constructor(content: TerminologyResource[]) {
    for (const r of content) {
      if (!r.url) continue;
      this.byUrl.set(`${r.resourceType} ${r.url}`, r);
      if (r.version) this.byUrl.set(`${r.resourceType} ${r.url}|${r.version}`, r);
    }
  }

  get<K extends Kind>(kind: K, url: string, version?: string): Found<K> | undefined {
    return this.byUrl.get(`${kind} ${version ? `${url}|${version}` : url}`) as Found<K> | undefined;
  }

  all(): TerminologyResource[] {
    return [...new Set(this.byUrl.values())];
  }

  private conceptMapList?: ConceptMap[];

  /** The shipped ConceptMaps, listed once. */
  conceptMaps(): ConceptMap[] {
    this.conceptMapList ??= this.all().filter((r): r is ConceptMap => r.resourceType === 'ConceptMap');
    return this.conceptMapList;
  }

  index(cs: CodeSystem): CodeSystemIndex {
    let index = this.indexes.get(cs);
    if (!index) {
      index = new CodeSystemIndex(cs);
      this.indexes.set(cs, index);
    }
    return index;
  }

  codeSystem(url: string, version?: string): CodeSystemIndex | undefined {
    const cs = this.get('CodeSystem', url, version);
    return cs ? this.index(cs) : undefined;
  }

  valueSet(url: string): ValueSet | undefined {
    const [plain, version] = url.split('|');
    return this.get('ValueSet', plain, version);
  }

  /** A shipped ValueSet's codes, or undefined when it is not shipped or cannot be expanded from shipped content. */
  expansion(url: string): Expansion | undefined {
    const key = url.split('|')[0];
    let cached = this.expansions.get(key);
    if (cached === undefined) {
      const vs = this.valueSet(key);
      try {
        cached = vs ? indexed(expandAll(vs, this)) : null;
      } catch {
        cached = null; // e.g. a filter on a system not shipped
      }
      this.expansions.set(key, cached);
    }
    return cached ?? undefined;
  }
}

let processShipped: ShippedTerminology | undefined;

/** The process's shipped content (FHIR core and terminology/), loaded on first use. */
export function shippedTerminology(): ShippedTerminology {
  processShipped ??= new ShippedTerminology([...coreContent(), ...curatedContent()]);
  return processShipped;
}

export class Terminology {
  private readonly stored = new Map<string, TerminologyResource>(); // identity -> resource from the database
  private readonly expansions = new Map<string, Expansion>();

  /** db: where runtime content is looked up; pass the transaction's connection inside one (PGlite has one). */
  constructor(
    private readonly db: Queryable,
    readonly shipped: ShippedTerminology = shippedTerminology(),
  ) {}

  /** The same service reading runtime content through another connection (a transaction's). */
  using(db: Queryable): Terminology {
    const view = Object.create(this) as Terminology;
    (view as unknown as { db: Queryable }).db = db;
    return view;
  }

  async find<K extends Kind>(kind: K, canonical: string, version?: string): Promise<Found<K> | undefined> {
    const [url, pinned] = canonical.split('|');
    const v = version ?? pinned;
    return this.shipped.get(kind, url, v) ?? ((await this.fromDatabase(kind, url, v)) as Found<K> | undefined);
  }

  private async fromDatabase(kind: Kind, url: string, version?: string): Promise<TerminologyResource | undefined> {
    const { rows } = await this.db.query<{ id: string; version_id: number }>(
      `SELECT r.id, r.version_id FROM search_string s JOIN resources r ON r.resource_type = s.resource_type AND r.id = s.resource_id
        WHERE s.resource_type = $1 AND s.param = 'url' AND s.raw = $2 AND NOT r.deleted AND ($3::text IS NULL OR r.content->>'version' = $3)
        ORDER BY r.last_updated DESC LIMIT 1`,
      [kind, url, version ?? null],
    );
    return rows[0] ? (await this.storedVersions(kind, rows))[0] : undefined;
  }

  /** Stored resources at the versions given: from the cache, the others read in one query. */
  private async storedVersions(kind: Kind, rows: { id: string; version_id: number }[]): Promise<TerminologyResource[]> {
    const out: TerminologyResource[] = [];
    const missing: string[] = [];
    for (const r of rows) {
      const cached = this.stored.get(`${kind}/${r.id}/${r.version_id}`);
      if (cached) out.push(cached);
      else missing.push(r.id);
    }
    if (!missing.length) return out;
    const { rows: read } = await this.db.query<{ id: string; version_id: number; content: TerminologyResource }>(
      'SELECT id, version_id, content FROM resources WHERE resource_type = $1 AND id = ANY($2::text[]) AND NOT deleted',
      [kind, missing],
    );
    // (a resource updated between the two queries is taken at its newer version)
    for (const r of read) {
      const resource = { ...r.content, resourceType: kind, id: r.id, meta: { ...(r.content as { meta?: object }).meta, versionId: String(r.version_id) } } as TerminologyResource;
      if (this.stored.size >= 500) this.stored.delete(this.stored.keys().next().value!);
      this.stored.set(`${kind}/${r.id}/${r.version_id}`, resource);
      out.push(resource);
    }
    return out;
  }

  /** Every ConceptMap: shipped, and stored ones (their newest versions; each read once per version). */
  async conceptMaps(): Promise<ConceptMap[]> {
    const shipped = this.shipped.conceptMaps();
    const { rows } = await this.db.query<{ id: string; version_id: number }>(
      `SELECT id, version_id FROM resources WHERE resource_type = 'ConceptMap' AND NOT deleted ORDER BY last_updated DESC LIMIT 500`,
    );
    const urls = new Set(shipped.map((m) => m.url));
    const stored = (await this.storedVersions('ConceptMap', rows)) as ConceptMap[];
    return [...shipped, ...stored.filter((m) => !urls.has(m.url))];
  }

  index(cs: CodeSystem): CodeSystemIndex {
    return this.shipped.index(cs);
  }

  async codeSystem(url: string, version?: string): Promise<CodeSystemIndex | undefined> {
    const cs = await this.find('CodeSystem', url, version);
    return cs ? this.index(cs) : undefined;
  }

  async valueSet(url: string): Promise<ValueSet | undefined> {
    return this.find('ValueSet', url);
  }

  /** Every code of a ValueSet. Shipped ones are cached for good; stored ones by version (they may name runtime content that changes: briefly). */
  async expansion(vs: ValueSet): Promise<Expansion> {
    if (vs.url && this.shipped.valueSet(vs.url) === vs) {
      const shipped = this.shipped.expansion(vs.url);
      if (shipped) return shipped;
    }
    const key = identity(vs);
    const cached = key ? this.expansions.get(key) : undefined;
    if (cached) return cached;
    const expansion = indexed(expandAll(vs, await this.gather(vs)));
    if (key) {
      if (this.expansions.size > 200) this.expansions.delete(this.expansions.keys().next().value!);
      this.expansions.set(key, expansion);
    }
    return expansion;
  }

  /** Fetches everything a ValueSet names (nested ValueSets too), so that the expansion itself runs without waiting. */
  private async gather(vs: ValueSet): Promise<Resolver> {
    const systems = new Map<string, CodeSystemIndex | undefined>();
    const valueSets = new Map<string, ValueSet | undefined>();
    const visit = async (set: ValueSet) => {
      const { systems: s, valueSets: v } = references(set);
      for (const { url, version } of s) {
        const key = version ? `${url}|${version}` : url;
        if (!systems.has(key)) systems.set(key, await this.codeSystem(url, version));
      }
      for (const url of v) {
        if (valueSets.has(url)) continue;
        const nested = await this.valueSet(url);
        valueSets.set(url, nested);
        if (nested) await visit(nested);
      }
    };
    await visit(vs);
    return {
      codeSystem: (url, version) => systems.get(version ? `${url}|${version}` : url),
      valueSet: (url) => valueSets.get(url),
    };
  }

  /** One page of a ValueSet's codes: text filter (every word starts a word of code, display or a designation), activeOnly, offset/count. */
  async expand(vs: ValueSet, options: ExpandOptions): Promise<Page> {
    const expansion = await this.expansion(vs);
    let items = expansion.items;
    const terms = options.filter ? searchWords(options.filter).split(' ').filter(Boolean) : [];
    if (terms.length) {
      expansion.words ??= wordIndex(expansion.items);
      items = withWordsStarting(expansion.words, terms).map((n) => expansion.items[n]);
    }
    if (options.activeOnly) items = items.filter((i) => !i.inactive);
    const offset = options.offset ?? 0;
    const end = options.count === undefined ? undefined : offset + options.count;
    return { total: items.length, items: items.slice(offset, end) };
  }

  /** The codes a token search modifier stands for: a ValueSet's (in/not-in), or a code and those below/above it. */
  async tokenCodes(modifier: 'in' | 'not-in' | 'below' | 'above', value: string): Promise<{ system: string; code: string }[] | undefined> {
    if (modifier === 'in' || modifier === 'not-in') {
      const vs = await this.valueSet(value);
      return vs ? (await this.expansion(vs)).items.map(({ system, code }) => ({ system, code })) : undefined;
    }
    const bar = value.indexOf('|');
    if (bar < 0) return undefined;
    const system = value.slice(0, bar);
    const cs = await this.codeSystem(system);
    const concept = cs?.get(value.slice(bar + 1));
    if (!cs || !concept) return undefined;
    const related = modifier === 'below' ? cs.descendants(concept.code) : cs.ancestors(concept.code);
    return [concept.code, ...related].map((code) => ({ system, code }));
  }
}

/** The process's service over the database. */
export function createTerminology(db: Db): Terminology {
  return new Terminology(db);
}
