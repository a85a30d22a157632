/**
 * What a backend database needs to behave like a DSQL cluster's `postgres` database: the `sys`
 * views and procedure clients use (`sys.jobs`, `sys.iam_pg_role_mappings`, `sys.wait_for_job`), and
 * a private schema holding their state plus the procedures the rewritten DSQL-only statements call
 * (see dsql-statements.ts). PL/pgSQL is used here, inside the emulator; clients are refused it.
 *
 * Who is who: clients reach the backend as `admin` (CREATEROLE, no superuser) or as their own role,
 * logged in as that role or via SET SESSION AUTHORIZATION, so `session_user` names the client. The
 * private schema's tables are readable by no client; the SECURITY DEFINER functions check the
 * caller themselves.
 */
import type pg from 'pg';

export const INTERNAL_SCHEMA = 'dsql_internal';
/** The channel a job submission notifies on (LISTENed to by the index-job worker of the database). */
export const INDEX_JOBS_CHANNEL = 'dsql_internal_index_jobs';

const ADMIN_ROLE = 'admin';

/** IAM role or user ARNs, the identities DSQL maps database roles to. */
const IAM_ARN_PATTERN = '^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[A-Za-z0-9+=,.@_/-]+$';

const S = INTERNAL_SCHEMA;

/** DSQL's limit on the rows one transaction modifies (aws-facts.md; 54000 "transaction row limit exceeded"). */
const TRANSACTION_ROW_LIMIT = 3000;
/** The transaction-local setting the row counter keeps its count in. */
const ROW_COUNT_SETTING = 'dsql_internal.transaction_rows';
/** The row counter's trigger on each client table, and the event trigger that adds it. */
const ROW_COUNTER = 'dsql_transaction_rows';
/** The emulator's own schemas: their tables are not a client's, so no row counter. */
const SYSTEM_SCHEMAS = `'${S}', 'sys'`;

const INSTALL = `
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ADMIN_ROLE}') THEN
    CREATE ROLE ${ADMIN_ROLE} WITH LOGIN CREATEROLE;
  END IF;
EXCEPTION WHEN duplicate_object THEN NULL; -- roles are server-wide: another database's install won
END $$;
GRANT ALL ON SCHEMA public TO ${ADMIN_ROLE};

CREATE SCHEMA IF NOT EXISTS ${S};
REVOKE ALL ON SCHEMA ${S} FROM PUBLIC;
GRANT USAGE ON SCHEMA ${S} TO PUBLIC;
CREATE SCHEMA IF NOT EXISTS sys;
GRANT USAGE ON SCHEMA sys TO PUBLIC;

CREATE TABLE IF NOT EXISTS ${S}.jobs (
  job_id text PRIMARY KEY,
  job_type text NOT NULL DEFAULT 'INDEX_BUILD',
  status text NOT NULL DEFAULT 'submitted'
    CHECK (status IN ('submitted', 'processing', 'completed', 'failed', 'cancelled')),
  details text,
  table_oid oid NOT NULL,
  index_schema text NOT NULL,
  index_name text NOT NULL,
  build_sql text NOT NULL,
  owner_name text NOT NULL,
  -- The worker's own clock (ms) when the build began: builds are time-scaled by the worker.
  processing_since_ms bigint,
  start_time timestamptz NOT NULL DEFAULT now(),
  update_time timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON ${S}.jobs FROM PUBLIC;

CREATE TABLE IF NOT EXISTS ${S}.iam_identities (
  iam_oid bigint GENERATED ALWAYS AS IDENTITY (START 100000) PRIMARY KEY,
  arn text NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS ${S}.iam_role_mappings (
  iam_oid bigint NOT NULL REFERENCES ${S}.iam_identities,
  pg_role_oid oid NOT NULL,
  grantor_pg_role_oid oid NOT NULL,
  PRIMARY KEY (iam_oid, pg_role_oid)
);
REVOKE ALL ON ${S}.iam_identities, ${S}.iam_role_mappings FROM PUBLIC;

CREATE OR REPLACE VIEW sys.jobs AS
  SELECT job_id, status, details, job_type, index_name AS object_name, start_time, update_time
  FROM ${S}.jobs;
CREATE OR REPLACE VIEW sys.iam_pg_role_mappings AS
  SELECT m.iam_oid::oid AS iam_oid, i.arn, m.pg_role_oid, r.rolname::text AS pg_role_name,
         m.grantor_pg_role_oid, g.rolname::text AS grantor_pg_role_name
  FROM ${S}.iam_role_mappings m
  JOIN ${S}.iam_identities i USING (iam_oid)
  JOIN pg_roles r ON r.oid = m.pg_role_oid
  LEFT JOIN pg_roles g ON g.oid = m.grantor_pg_role_oid;
REVOKE ALL ON sys.jobs, sys.iam_pg_role_mappings FROM PUBLIC;
GRANT SELECT ON sys.jobs, sys.iam_pg_role_mappings TO ${ADMIN_ROLE};

-- CREATE INDEX ASYNC: checks what CREATE INDEX would (the table exists: the regclass argument; the
-- caller owns it; the name is free) and records a job for the worker. NULL when IF NOT EXISTS found
-- the name taken (an index, a relation, or a job still building it).
CREATE OR REPLACE FUNCTION ${S}.submit_index_job(
  p_table regclass, p_index_name text, p_build_sql text, p_if_not_exists boolean
) RETURNS text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
DECLARE
  v_owner oid;
  v_namespace oid;
  v_schema text;
  v_job_id text;
BEGIN
  SELECT c.relowner, c.relnamespace, n.nspname INTO v_owner, v_namespace, v_schema
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p_table;
  IF NOT pg_has_role(session_user, v_owner, 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of table %', p_table USING ERRCODE = '42501';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext(v_schema || '.' || p_index_name));
  IF EXISTS (SELECT 1 FROM pg_class WHERE relname = p_index_name AND relnamespace = v_namespace)
     OR EXISTS (SELECT 1 FROM ${S}.jobs WHERE index_schema = v_schema AND index_name = p_index_name
                AND status IN ('submitted', 'processing')) THEN
    IF p_if_not_exists THEN
      RAISE NOTICE 'relation "%" already exists, skipping', p_index_name;
      RETURN NULL;
    END IF;
    RAISE EXCEPTION 'relation "%" already exists', p_index_name USING ERRCODE = '42P07';
  END IF;
  v_job_id := substr(replace(gen_random_uuid()::text, '-', ''), 1, 26);
  INSERT INTO ${S}.jobs (job_id, table_oid, index_schema, index_name, build_sql, owner_name)
    VALUES (v_job_id, p_table, v_schema, p_index_name, p_build_sql, pg_get_userbyid(v_owner));
  -- Wakes the worker (index-jobs.ts) when the submission commits, instead of it polling the table.
  PERFORM pg_notify('${INDEX_JOBS_CHANNEL}', v_job_id);
  RETURN v_job_id;
END $fn$;

CREATE OR REPLACE FUNCTION ${S}.job_status(p_job_id text) RETURNS text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
  AS $fn$ SELECT status FROM ${S}.jobs WHERE job_id = p_job_id $fn$;

-- CALL sys.wait_for_job('<id>'): blocks until the job ends; true when it completed. It commits
-- between looks so each look has a fresh snapshot, which is also why PostgreSQL refuses it inside a
-- transaction block (2D000), as DSQL does. Its sleep is short because the build's CREATE INDEX
-- CONCURRENTLY waits for this very session's snapshot to end (it sleeps holding one): with a 50 ms
-- sleep each build ended ~170 ms after its duration, with 10 ms ~60 ms (measured through up).
CREATE OR REPLACE PROCEDURE sys.wait_for_job(job_id text, OUT wait_for_job boolean)
  LANGUAGE plpgsql AS $fn$
DECLARE
  v_status text;
BEGIN
  LOOP
    v_status := ${S}.job_status(job_id);
    IF v_status IS NULL THEN
      RAISE EXCEPTION 'job "%" does not exist', job_id USING ERRCODE = '22023';
    END IF;
    IF v_status IN ('completed', 'failed', 'cancelled') THEN
      wait_for_job := v_status = 'completed';
      RETURN;
    END IF;
    COMMIT;
    PERFORM pg_sleep(0.01);
  END LOOP;
END $fn$;

CREATE OR REPLACE PROCEDURE ${S}.aws_iam_grant(p_role text, p_arn text)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
DECLARE
  v_role oid;
  v_iam_oid bigint;
BEGIN
  IF session_user <> '${ADMIN_ROLE}' THEN
    RAISE EXCEPTION 'permission denied: only ${ADMIN_ROLE} can run AWS IAM GRANT' USING ERRCODE = '42501';
  END IF;
  SELECT oid INTO v_role FROM pg_roles WHERE rolname = p_role;
  IF v_role IS NULL THEN
    RAISE EXCEPTION 'role "%" does not exist', p_role USING ERRCODE = '42704';
  END IF;
  IF p_arn !~ '${IAM_ARN_PATTERN}' THEN
    RAISE EXCEPTION 'invalid IAM ARN "%": expected an IAM role or user ARN', p_arn USING ERRCODE = '22023';
  END IF;
  INSERT INTO ${S}.iam_identities (arn) VALUES (p_arn) ON CONFLICT (arn) DO NOTHING;
  SELECT iam_oid INTO v_iam_oid FROM ${S}.iam_identities WHERE arn = p_arn;
  INSERT INTO ${S}.iam_role_mappings (iam_oid, pg_role_oid, grantor_pg_role_oid)
    SELECT v_iam_oid, v_role, oid FROM pg_roles WHERE rolname = session_user
    ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'role "%" is already mapped to "%"', p_role, p_arn USING ERRCODE = '42710';
  END IF;
END $fn$;

CREATE OR REPLACE PROCEDURE ${S}.aws_iam_revoke(p_role text, p_arn text)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
BEGIN
  IF session_user <> '${ADMIN_ROLE}' THEN
    RAISE EXCEPTION 'permission denied: only ${ADMIN_ROLE} can run AWS IAM REVOKE' USING ERRCODE = '42501';
  END IF;
  DELETE FROM ${S}.iam_role_mappings m USING ${S}.iam_identities i, pg_roles r
    WHERE m.iam_oid = i.iam_oid AND i.arn = p_arn AND r.oid = m.pg_role_oid AND r.rolname = p_role;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no IAM mapping of role "%" to "%" exists', p_role, p_arn USING ERRCODE = '42704';
  END IF;
END $fn$;

CREATE OR REPLACE FUNCTION ${S}.role_has_mapping(p_role text) RETURNS boolean
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $fn$
  SELECT EXISTS (SELECT 1 FROM ${S}.iam_role_mappings m JOIN pg_roles r ON r.oid = m.pg_role_oid
                 WHERE r.rolname = p_role) $fn$;

-- DROP ROLE, refused with 2BP01 while an IAM mapping remains; then dropped with the caller's own
-- privileges (SECURITY INVOKER), so PostgreSQL's checks, table grants included, still apply.
CREATE OR REPLACE PROCEDURE ${S}.drop_roles(p_roles text[], p_missing_ok boolean)
  LANGUAGE plpgsql AS $fn$
DECLARE
  v_role text;
BEGIN
  FOREACH v_role IN ARRAY p_roles LOOP
    IF ${S}.role_has_mapping(v_role) THEN
      RAISE EXCEPTION 'role "%" cannot be dropped because some objects depend on it', v_role
        USING ERRCODE = '2BP01', DETAIL = 'IAM role mappings remain: AWS IAM REVOKE them first';
    END IF;
  END LOOP;
  EXECUTE 'DROP ROLE ' || CASE WHEN p_missing_ok THEN 'IF EXISTS ' ELSE '' END ||
    (SELECT string_agg(quote_ident(r), ', ') FROM unnest(p_roles) AS r);
END $fn$;

-- DSQL's row limit, counted by PostgreSQL itself: every row a transaction inserts, updates or deletes
-- in a client's table, whatever the statement (a data-modifying WITH, ON CONFLICT DO UPDATE) and also
-- in autocommit, where the front cannot refuse a statement that has already committed. The count is a
-- transaction-local setting, so it starts again with every transaction. The 3,001st row fails the
-- statement, and with it the transaction, as on DSQL.
CREATE OR REPLACE FUNCTION ${S}.count_modified_row() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  v_rows int := coalesce(nullif(pg_catalog.current_setting('${ROW_COUNT_SETTING}', true), ''), '0')::int + 1;
BEGIN
  IF v_rows > ${TRANSACTION_ROW_LIMIT} THEN
    RAISE EXCEPTION 'transaction row limit exceeded' USING ERRCODE = '54000';
  END IF;
  PERFORM pg_catalog.set_config('${ROW_COUNT_SETTING}', v_rows::text, true);
  RETURN NULL;
END $fn$;

CREATE OR REPLACE FUNCTION ${S}.count_rows_of(p_table regclass) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = p_table AND tgname = '${ROW_COUNTER}') THEN
    EXECUTE format('CREATE TRIGGER ${ROW_COUNTER} AFTER INSERT OR UPDATE OR DELETE ON %s '
      'FOR EACH ROW EXECUTE FUNCTION ${S}.count_modified_row()', p_table);
  END IF;
END $fn$;

-- Each table a client creates gets the counter; tables from before this install get it now.
CREATE OR REPLACE FUNCTION ${S}.count_rows_of_new_tables() RETURNS event_trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
DECLARE
  v_table regclass;
BEGIN
  FOR v_table IN SELECT objid::regclass FROM pg_event_trigger_ddl_commands()
      WHERE object_type = 'table' AND schema_name NOT IN (${SYSTEM_SCHEMAS}) LOOP
    PERFORM ${S}.count_rows_of(v_table);
  END LOOP;
END $fn$;

DROP EVENT TRIGGER IF EXISTS ${ROW_COUNTER};
CREATE EVENT TRIGGER ${ROW_COUNTER} ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION ${S}.count_rows_of_new_tables();

DO $$ DECLARE v_table regclass; BEGIN
  FOR v_table IN SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN (${SYSTEM_SCHEMAS}, 'pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg_toast%' LOOP
    PERFORM ${S}.count_rows_of(v_table);
  END LOOP;
END $$;
`;

/**
 * Installs (or refreshes) the system schema in the database `superuser` is connected to, and the
 * `admin` role (LOGIN, CREATEROLE, not a superuser) with all rights on schema public. Idempotent;
 * concurrent installs are serialised by an advisory lock.
 */
export async function installSystemSchema(superuser: pg.ClientBase): Promise<void> {
  await superuser.query('BEGIN');
  try {
    await superuser.query(`SELECT pg_advisory_xact_lock(hashtext('${S}.install'))`);
    await superuser.query(INSTALL);
    await superuser.query('COMMIT');
  } catch (error) {
    await superuser.query('ROLLBACK');
    throw error;
  }
}

/** The IAM ARNs mapped to a database role (for the wire half's DbConnect check). */
export async function mappingsFor(client: pg.ClientBase | pg.Pool, pgRoleName: string): Promise<string[]> {
  const result = await client.query<{ arn: string }>(
    'SELECT arn FROM sys.iam_pg_role_mappings WHERE pg_role_name = $1 ORDER BY arn',
    [pgRoleName],
  );
  return result.rows.map((row) => row.arn);
}
