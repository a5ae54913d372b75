// The terminology service: finds CodeSystems, ValueSets and ConceptMaps by canonical URL (shipped
// content in memory first, then the database, so ones POSTed at runtime work on every process),
// keeps their indexes and expansions cached by version, and answers what the operations ask.
import type { CodeSystem, ConceptMap, ValueSet } from '@medplum/fhirtypes';
import type { Db, Queryable } from '../db/index.js';
import { CodeSystemIndex, searchWords } from './codesystem.js';
import { coreContent, curatedContent, type TerminologyResource } from './content.js';
import { expandAll, keyOf, type Item, type Resolver } from './expand.js';

type Kind = 'CodeSystem' | 'ValueSet' | 'ConceptMap';

export interface Expansion {
  items: Item[];
  byKey: Map<string, Item>;
  byCode: Map<string, Item[]>;
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

export class Terminology implements Resolver {
  private readonly shipped = new Map<string, TerminologyResource>(); // "Kind url" and "Kind url|version"
  private readonly indexes = new WeakMap<CodeSystem, CodeSystemIndex>();
  private readonly stored = new Map<string, TerminologyResource>(); // identity -> resource from the database
  private readonly expansions = new Map<string, Expansion>();

  /** db: where runtime content is looked up; pass the transaction's connection inside one (PGlite has one). */
  constructor(private readonly db: Queryable, content: TerminologyResource[] = [...coreContent(), ...curatedContent()]) {
    for (const r of content) this.ship(r);
  }

  private ship(r: TerminologyResource): void {
    if (!r.url) return;
    this.shipped.set(`${r.resourceType} ${r.url}`, r);
    if (r.version) this.shipped.set(`${r.resourceType} ${r.url}|${r.version}`, r);
  }

  /** The same service reading runtime content through another connection (a transaction's). */
  using(db: Queryable): Terminology {
    const view = Object.create(this) as Terminology;
    (view as unknown as { db: Queryable }).db = db;
    return view;
  }

  /** The shipped resource of a URL, if any (no database). */
  shippedResource<K extends Kind>(kind: K, url: string): Extract<TerminologyResource, { resourceType: K }> | undefined {
    return this.shipped.get(`${kind} ${url}`) as Extract<TerminologyResource, { resourceType: K }> | undefined;
  }

  allShipped(): TerminologyResource[] {
    return [...new Set(this.shipped.values())];
  }

  async find<K extends Kind>(kind: K, canonical: string, version?: string): Promise<Extract<TerminologyResource, { resourceType: K }> | undefined> {
    const [url, pinned] = canonical.split('|');
    const v = version ?? pinned;
    const shipped = this.shipped.get(`${kind} ${v ? `${url}|${v}` : url}`);
    if (shipped) return shipped as Extract<TerminologyResource, { resourceType: K }>;
    return (await this.fromDatabase(kind, url, v)) as Extract<TerminologyResource, { resourceType: K }> | undefined;
  }

  private async fromDatabase(kind: Kind, url: string, version?: string): Promise<TerminologyResource | undefined> {
    const { rows } = await this.db.query<{ id: string; version_id: number }>(
      `SELECT r.id, r.version_id FROM search_string s JOIN resources r ON r.resource_type = s.resource_type AND r.id = s.resource_id
        WHERE s.resource_type = $1 AND s.param = 'url' AND s.raw = $2 AND NOT r.deleted AND ($3::text IS NULL OR r.content->>'version' = $3)
        ORDER BY r.last_updated DESC LIMIT 1`,
      [kind, url, version ?? null],
    );
    const row = rows[0];
    if (!row) return undefined;
    const key = `${kind}/${row.id}/${row.version_id}`;
    let resource = this.stored.get(key);
    if (!resource) {
      const found = await this.db.query<{ content: TerminologyResource }>('SELECT content FROM resources WHERE resource_type = $1 AND id = $2', [kind, row.id]);
      resource = found.rows[0]?.content;
      if (!resource) return undefined;
      resource = { ...resource, resourceType: kind, id: row.id, meta: { ...(resource as { meta?: object }).meta, versionId: String(row.version_id) } } as TerminologyResource;
      this.stored.set(key, resource);
    }
    return resource;
  }

  /** Every ConceptMap: shipped, and stored ones (their newest versions). */
  async conceptMaps(): Promise<ConceptMap[]> {
    const shipped = this.allShipped().filter((r): r is ConceptMap => r.resourceType === 'ConceptMap');
    const { rows } = await this.db.query<{ id: string; version_id: number; content: ConceptMap }>(
      `SELECT id, version_id, content FROM resources WHERE resource_type = 'ConceptMap' AND NOT deleted ORDER BY last_updated DESC LIMIT 500`,
    );
    const urls = new Set(shipped.map((m) => m.url));
    const stored = rows.filter((r) => !urls.has(r.content.url)).map((r) => ({ ...r.content, resourceType: 'ConceptMap' as const, id: r.id, meta: { ...r.content.meta, versionId: String(r.version_id) } }));
    return [...shipped, ...stored];
  }

  index(cs: CodeSystem): CodeSystemIndex {
    let index = this.indexes.get(cs);
    if (!index) {
      index = new CodeSystemIndex(cs);
      this.indexes.set(cs, index);
    }
    return index;
  }

  async codeSystem(url: string, version?: string): Promise<CodeSystemIndex | undefined> {
    const cs = await this.find('CodeSystem', url, version);
    return cs ? this.index(cs) : undefined;
  }

  async valueSet(url: string): Promise<ValueSet | undefined> {
    return this.find('ValueSet', url);
  }

  /** Every code of a ValueSet, cached while the ValueSet (shipped, or stored at one version) is the same. */
  async expansion(vs: ValueSet): Promise<Expansion> {
    const key = this.shipped.get(`ValueSet ${vs.url}`) === vs ? `shipped ${vs.url}` : identity(vs);
    const cached = key ? this.expansions.get(key) : undefined;
    if (cached) return cached;
    const items = await expandAll(vs, this);
    const byKey = new Map(items.map((i) => [keyOf(i.system, i.code), i]));
    const byCode = new Map<string, Item[]>();
    for (const i of items) byCode.set(i.code, [...(byCode.get(i.code) ?? []), i]);
    const expansion = { items, byKey, byCode };
    // a runtime ValueSet may include other runtime content that changes: cache shipped ones only, and stored ones briefly
    if (key) {
      if (this.expansions.size > 200) this.expansions.delete(this.expansions.keys().next().value!);
      this.expansions.set(key, expansion);
    }
    return expansion;
  }

  /** One page of a ValueSet's codes: text filter (every word starts a word of code, display or a designation), activeOnly, offset/count. */
  async expand(vs: ValueSet, options: ExpandOptions): Promise<Page> {
    let items = (await this.expansion(vs)).items;
    if (options.activeOnly) items = items.filter((i) => !i.inactive);
    const terms = options.filter ? searchWords(options.filter).split(' ').filter(Boolean) : [];
    if (terms.length) items = items.filter((i) => terms.every((t) => i.words.includes(` ${t}`)));
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
