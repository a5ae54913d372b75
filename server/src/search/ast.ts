// The search AST: what a query means, independent of SQL.

export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

export interface DateValue {
  prefix: Prefix;
  start: Date;
  end: Date;
}

export interface NumberValue {
  prefix: Prefix;
  value: number;
  /** The range the value's precision implies: "100" is [99.5, 100.5). */
  low: number;
  high: number;
  system?: string;
  code?: string;
}

export interface TokenValue {
  /** undefined: any system; null: no system (|code). */
  system?: string | null;
  /** undefined: any code of the system (system|). */
  code?: string;
}

export type TerminologyModifier = 'in' | 'not-in' | 'below' | 'above';

export interface Coding {
  system: string;
  code: string;
}

export interface CompositeValue {
  first: TokenValue;
  second:
    | { type: 'token'; value: TokenValue }
    | { type: 'quantity'; value: NumberValue }
    | { type: 'date'; value: DateValue }
    | { type: 'string'; value: string };
}

export interface ReferenceValue {
  type?: string;
  id?: string;
  url?: string;
}

export type Criterion =
  | { kind: 'id'; values: string[] }
  | { kind: 'lastUpdated'; values: DateValue[] }
  | { kind: 'token'; param: string; values: TokenValue[]; not?: boolean }
  /**
   * A terminology modifier on a token parameter: :in / :not-in (values: ValueSet URLs) or :below /
   * :above (values: system|code). codes: the codings the values stand for, filled in before SQL is
   * built by resolveTerminology (terminology.ts); until then the criterion cannot become SQL.
   */
  | { kind: 'codes'; param: string; modifier: TerminologyModifier; values: string[]; codes?: Coding[] }
  | { kind: 'string'; param: string; match: 'start' | 'exact' | 'contains'; values: string[] }
  | { kind: 'uri'; param: string; match: 'exact' | 'below' | 'above'; values: string[] }
  | { kind: 'reference'; param: string; values: ReferenceValue[] }
  | { kind: 'date'; param: string; values: DateValue[] }
  | { kind: 'number'; param: string; values: NumberValue[] }
  | { kind: 'composite'; param: string; values: CompositeValue[] }
  | { kind: 'missing'; param: string; table: IndexTable; missing: boolean }
  /** param:Type.rest=value: a reference whose target matches inner. */
  | { kind: 'chain'; param: string; targetTypes: string[]; inner: Criterion }
  /** _has:Type:param:rest=value: some resource of Type refers here through param and matches inner. */
  | { kind: 'has'; sourceType: string; param: string; inner: Criterion }
  | { kind: 'list'; ids: string[] }
  /** _text / _content: all the words of a value in the plain full-text document. */
  | { kind: 'text'; param: '_text' | '_content'; values: string[] }
  /** Exactly this resource. */
  | { kind: 'is'; type: string; id: string }
  | { kind: 'or'; alternatives: Criterion[] }
  /** In the compartment of the given resources (of any resource of targetType when targetIds is absent). */
  | { kind: 'compartment'; targetType: string; targetIds?: string[]; links: { type: string; param: string }[] }
  | { kind: 'and'; criteria: Criterion[] };

export type IndexTable = 'search_token' | 'search_string' | 'search_reference' | 'search_date' | 'search_number' | 'search_composite';

export interface SortKey {
  param: string;
  descending: boolean;
}

export interface IncludeRequest {
  /** Type whose references are followed (_include) or that refers to the results (_revinclude). */
  sourceType: string;
  /** Reference parameter; undefined for "*". */
  param?: string;
  targetType?: string;
  iterate: boolean;
}
