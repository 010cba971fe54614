-- DuckDB functions the store's queries call, defined for PostgreSQL (qa_engine.store.pgsql translates the syntax;
-- these keep the names). Created or replaced by every `init`, under the schema's advisory lock.
CREATE OR REPLACE FUNCTION epoch_us(timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (extract(epoch FROM $1) * 1000000)::bigint $$;
CREATE OR REPLACE FUNCTION epoch_ms(timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (extract(epoch FROM $1) * 1000)::bigint $$;
-- len(list): sqlglot writes LENGTH, which PostgreSQL has for text only
CREATE OR REPLACE FUNCTION length(anyarray) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce(cardinality($1), 0)::bigint $$;
CREATE OR REPLACE FUNCTION qa_first_step(anyelement, anyelement) RETURNS anyelement LANGUAGE sql IMMUTABLE STRICT
    PARALLEL SAFE AS $$ SELECT $1 $$;
CREATE OR REPLACE FUNCTION qa_last_step(anyelement, anyelement) RETURNS anyelement LANGUAGE sql IMMUTABLE STRICT
    PARALLEL SAFE AS $$ SELECT $2 $$;
CREATE OR REPLACE AGGREGATE first(anyelement) (SFUNC = qa_first_step, STYPE = anyelement);
CREATE OR REPLACE AGGREGATE last(anyelement) (SFUNC = qa_last_step, STYPE = anyelement);
-- any_value is built in from PostgreSQL 16
DO $$ BEGIN
    IF current_setting('server_version_num')::int < 160000 THEN
        CREATE OR REPLACE AGGREGATE any_value(anyelement) (SFUNC = qa_first_step, STYPE = anyelement);
    END IF;
END $$;
