// Versioned schema migrations. Append only: a shipped migration is never edited.
// The SQL must run on Postgres 15+ and on PGlite (PostgreSQL 18).

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'resources, history and token index',
    sql: `
      -- The current version of every resource; content is NULL once it is deleted.
      CREATE TABLE resources (
        resource_type text NOT NULL,
        id text NOT NULL,
        version_id integer NOT NULL,
        last_updated timestamptz NOT NULL,
        deleted boolean NOT NULL DEFAULT false,
        content jsonb,
        PRIMARY KEY (resource_type, id)
      );

      -- Every version ever written, deletes included; seq orders type and system history.
      CREATE TABLE resource_history (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        resource_type text NOT NULL,
        id text NOT NULL,
        version_id integer NOT NULL,
        last_updated timestamptz NOT NULL,
        method text NOT NULL,
        content jsonb,
        PRIMARY KEY (resource_type, id, version_id)
      );
      CREATE UNIQUE INDEX resource_history_seq ON resource_history (seq);
      CREATE INDEX resource_history_type_seq ON resource_history (resource_type, seq);

      -- Token search values (identifiers, codes, statuses), one row per value, current versions only.
      CREATE TABLE search_token (
        resource_type text NOT NULL,
        resource_id text NOT NULL,
        param text NOT NULL,
        system text,
        code text NOT NULL
      );
      CREATE INDEX search_token_value ON search_token (resource_type, param, code, system);
      CREATE INDEX search_token_resource ON search_token (resource_type, resource_id);
    `,
  },
];
