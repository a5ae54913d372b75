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
  {
    version: 2,
    name: 'index rows for string, uri, reference, date, number and quantity parameters',
    sql: `
      -- Strings and uris; value is lower-cased without accents (starts-with and :contains),
      -- raw is as written (:exact, uri). C collation lets a btree serve LIKE 'prefix%'.
      CREATE TABLE search_string (
        resource_type text NOT NULL,
        resource_id text NOT NULL,
        param text NOT NULL,
        value text COLLATE "C" NOT NULL,
        raw text COLLATE "C" NOT NULL
      );
      CREATE INDEX search_string_value ON search_string (resource_type, param, value);
      CREATE INDEX search_string_raw ON search_string (resource_type, param, raw);
      CREATE INDEX search_string_resource ON search_string (resource_type, resource_id, param);

      -- References: a local target (type, id), or the url of anything else.
      CREATE TABLE search_reference (
        resource_type text NOT NULL,
        resource_id text NOT NULL,
        param text NOT NULL,
        target_type text,
        target_id text,
        url text
      );
      CREATE INDEX search_reference_target ON search_reference (resource_type, param, target_id, target_type);
      CREATE INDEX search_reference_reverse ON search_reference (target_type, target_id, resource_type, param);
      CREATE INDEX search_reference_url ON search_reference (resource_type, param, url) WHERE url IS NOT NULL;
      CREATE INDEX search_reference_resource ON search_reference (resource_type, resource_id, param);

      -- Dates as the half-open range [low, high) their precision covers; open Period ends are infinite.
      CREATE TABLE search_date (
        resource_type text NOT NULL,
        resource_id text NOT NULL,
        param text NOT NULL,
        low timestamptz NOT NULL,
        high timestamptz NOT NULL
      );
      CREATE INDEX search_date_low ON search_date (resource_type, param, low);
      CREATE INDEX search_date_high ON search_date (resource_type, param, high);
      CREATE INDEX search_date_resource ON search_date (resource_type, resource_id, param);

      -- Numbers and quantities (system and code: the unit, or the currency of Money).
      CREATE TABLE search_number (
        resource_type text NOT NULL,
        resource_id text NOT NULL,
        param text NOT NULL,
        system text,
        code text,
        value numeric NOT NULL
      );
      CREATE INDEX search_number_value ON search_number (resource_type, param, value);
      CREATE INDEX search_number_resource ON search_number (resource_type, resource_id, param);

      DROP INDEX search_token_resource;
      CREATE INDEX search_token_resource ON search_token (resource_type, resource_id, param);
      CREATE INDEX resources_last_updated ON resources (resource_type, last_updated);
    `,
  },
  {
    version: 3,
    name: 'index rows for composite parameters',
    sql: `
      -- A composite value: its first component is a token (system, code); the second a token or
      -- quantity (value_system, value_code; value_number), a date range, or a string.
      CREATE TABLE search_composite (
        resource_type text NOT NULL,
        resource_id text NOT NULL,
        param text NOT NULL,
        system text,
        code text NOT NULL,
        value_system text,
        value_code text,
        value_number numeric,
        value_low timestamptz,
        value_high timestamptz,
        value_text text COLLATE "C"
      );
      CREATE INDEX search_composite_value ON search_composite (resource_type, param, code, value_number);
      CREATE INDEX search_composite_resource ON search_composite (resource_type, resource_id, param);
    `,
  },
  {
    version: 4,
    name: 'full-text index for _text and _content',
    sql: `
      -- _text (the narrative) and _content (every string of the resource) as plain-language
      -- token documents ('simple' configuration: no stemming, no stop words).
      CREATE TABLE search_text (
        resource_type text NOT NULL,
        resource_id text NOT NULL,
        param text NOT NULL,
        document tsvector NOT NULL
      );
      CREATE INDEX search_text_document ON search_text USING gin (document);
      CREATE INDEX search_text_resource ON search_text (resource_type, resource_id, param);
    `,
  },
  {
    version: 5,
    name: 'range index for date searches',
    sql: `
      -- Date equality (<@) and windows (ge..lt, merged into one overlap &&) as one GiST range scan;
      -- two btree bounds of half the table each are no index-backed plan at scale.
      CREATE INDEX search_date_range ON search_date USING gist (tstzrange(low, high, '[)'));
    `,
  },
  {
    version: 6,
    name: 'bulk export jobs and files',
    sql: `
      -- Bulk Data $export jobs: durable, claimed by one server process at a time (heartbeat), so a
      -- restart or a second process resumes a job whose owner went quiet.
      CREATE TABLE bulk_jobs (
        id text PRIMARY KEY,
        status text NOT NULL,              -- accepted, running, complete, error
        request text NOT NULL,             -- the kick-off URL
        params jsonb NOT NULL,             -- level, types, since, typeFilters, group
        transaction_time timestamptz,
        progress text,
        output jsonb,
        error text,
        heartbeat timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX bulk_jobs_status ON bulk_jobs (status, created_at);

      -- The ndjson files of a job, split at a configured size.
      CREATE TABLE bulk_files (
        job_id text NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
        name text NOT NULL,
        resource_type text NOT NULL,
        count integer NOT NULL,
        content text NOT NULL,
        PRIMARY KEY (job_id, name)
      );
    `,
  },
  {
    version: 7,
    name: 'token and reference indexes end with the resource id',
    sql: `
      -- An equality on a token or reference then yields its resources in id order (the default
      -- search order: a first page reads about as many index entries as it returns), and checking
      -- one resource for one code is a single index probe.
      DROP INDEX search_token_value;
      CREATE INDEX search_token_value ON search_token (resource_type, param, code, system, resource_id);
      DROP INDEX search_reference_target;
      CREATE INDEX search_reference_target ON search_reference (resource_type, param, target_id, target_type, resource_id);
    `,
  },
  {
    version: 8,
    name: 'authorization server state',
    sql: `
      -- oidc-provider's models (AccessToken, ClientCredentials, Grant, Session, ReplayDetection, ...),
      -- one row each, so tokens survive a restart and every process sees the same ones.
      CREATE TABLE oidc_model (
        model text NOT NULL,
        id text NOT NULL,
        payload jsonb NOT NULL,
        grant_id text,
        user_code text,
        uid text,
        expires_at timestamptz,
        consumed_at timestamptz,
        PRIMARY KEY (model, id)
      );
      CREATE INDEX oidc_model_grant ON oidc_model (grant_id) WHERE grant_id IS NOT NULL;
      CREATE INDEX oidc_model_uid ON oidc_model (model, uid) WHERE uid IS NOT NULL;
      CREATE INDEX oidc_model_user_code ON oidc_model (model, user_code) WHERE user_code IS NOT NULL;
      CREATE INDEX oidc_model_expires ON oidc_model (expires_at);
    `,
  },
  {
    version: 9,
    name: 'user accounts',
    sql: `
      -- People who log in to the authorization server: a role (which scopes they may be granted),
      -- the FHIR resource they are (fhirUser), a memory-hard password hash, lockout and TOTP state.
      CREATE TABLE account (
        id text PRIMARY KEY,
        username text NOT NULL UNIQUE,
        display_name text NOT NULL,
        role text NOT NULL,
        fhir_user text,
        password_hash text NOT NULL,
        totp_secret text,
        failed_logins integer NOT NULL DEFAULT 0,
        locked_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 10,
    name: 'server keys',
    sql: `
      -- Keys the server makes once and keeps: the id_token signing key and the cookie keys of the
      -- authorization server. Kept here, a restart does not end sign-in sessions or invalidate
      -- id_tokens, and every process of one deployment signs with the same key.
      CREATE TABLE server_key (
        name text PRIMARY KEY,
        value jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 11,
    name: 'subscription outbox, state and notifications',
    sql: `
      -- The outbox: one row per version written, in the write's own transaction (a trigger on the
      -- history table, so no write path can forget it). The dispatcher claims rows with SKIP LOCKED
      -- and deletes them in the transaction that records what they caused, so each is handled once.
      CREATE TABLE subscription_event (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        resource_type text NOT NULL,
        resource_id text NOT NULL,
        version_id integer NOT NULL,
        method text NOT NULL,
        at timestamptz NOT NULL
      );
      CREATE FUNCTION meridian_outbox_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO subscription_event (resource_type, resource_id, version_id, method, at)
        VALUES (NEW.resource_type, NEW.id, NEW.version_id, NEW.method, NEW.last_updated);
        RETURN NULL;
      END $$;
      -- a queue: rows die as fast as they are born, so vacuum it often (dispatchers also VACUUM it)
      ALTER TABLE subscription_event SET (autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_cost_delay = 0);
      CREATE TRIGGER resource_history_outbox AFTER INSERT ON resource_history
        FOR EACH ROW EXECUTE FUNCTION meridian_outbox_row();
      -- One wake-up per transaction (NOTIFY folds identical ones) on the channel the trigger names,
      -- per schema.
      CREATE FUNCTION meridian_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_ARGV[0] || '_' || current_schema(), '');
        RETURN NULL;
      END $$;
      CREATE TRIGGER subscription_event_notify AFTER INSERT ON subscription_event
        FOR EACH STATEMENT EXECUTE FUNCTION meridian_notify('meridian_outbox');

      -- Who created or last changed a Subscription (the SMART principal), so that it delivers only
      -- what that caller could read.
      CREATE TABLE subscription_owner (
        subscription_id text PRIMARY KEY,
        principal jsonb NOT NULL
      );

      -- Websocket binding tokens ($get-ws-binding-token), valid on every process.
      CREATE TABLE subscription_ws_token (
        token text PRIMARY KEY,
        subscriptions text[] NOT NULL,
        expires_at timestamptz NOT NULL
      );

      -- Per subscription: events counted since it started, and the delivery state of its channel.
      CREATE TABLE subscription_state (
        subscription_id text PRIMARY KEY,
        events bigint NOT NULL DEFAULT 0,
        failures integer NOT NULL DEFAULT 0,
        last_sent timestamptz
      );
      ALTER TABLE subscription_state SET (autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_cost_delay = 0);

      -- Every notification a subscription generated (event_number is eventsSinceSubscriptionStart),
      -- kept for $events; rest-hook delivery state alongside (websocket clients keep their own cursor).
      CREATE TABLE subscription_notification (
        subscription_id text NOT NULL,
        event_number bigint NOT NULL,
        resource_type text NOT NULL,
        resource_id text NOT NULL,
        version_id integer NOT NULL,
        at timestamptz NOT NULL,
        delivered_at timestamptz,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt timestamptz,
        PRIMARY KEY (subscription_id, event_number)
      );
      CREATE INDEX subscription_notification_due ON subscription_notification (next_attempt)
        WHERE next_attempt IS NOT NULL;
      CREATE TRIGGER subscription_notification_notify AFTER INSERT ON subscription_notification
        FOR EACH STATEMENT EXECUTE FUNCTION meridian_notify('meridian_delivery');
    `,
  },
  {
    version: 12,
    name: 'CDS Hooks client JWT ids seen',
    sql: `
      -- The jti of every CDS client JWT accepted, kept until it expires: a replay is refused by
      -- every process on the database.
      CREATE TABLE cds_jti (
        iss text NOT NULL,
        jti text NOT NULL,
        expires timestamptz NOT NULL,
        PRIMARY KEY (iss, jti)
      );
      CREATE INDEX cds_jti_expires ON cds_jti (expires);
    `,
  },
];
