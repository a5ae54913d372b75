export interface QueryResult<T> {
  rows: T[];
}

/** Something SQL can be sent to: the database itself, or one open transaction. */
export interface Queryable {
  /**
   * One statement with bound parameters ($1, $2, ...). A name makes it a prepared statement on
   * Postgres, parsed and planned once per connection (hot statements only; PGlite ignores it).
   */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], name?: string): Promise<QueryResult<T>>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in one database transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls onNotify whenever a transaction that NOTIFYed `${channel}_<schema>` commits (the triggers
   * of the subscription tables do), from any process on the database. Returns the unlisten.
   * Notifications can be lost while a connection is down: listeners poll as well.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
