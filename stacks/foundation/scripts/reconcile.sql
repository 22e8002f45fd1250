-- The deciding half of reconcile.sh, run by psql inside the transaction reconcile.sh opens, after it has
-- loaded what it read from the warehouse into temp tables:
--   rc_tables (tbl_id, db, name, location, cur)  the catalog's Iceberg tables, cur = its metadata_location
--   rc_files  (owner, path, version)             every metadata file listed; owner 'T<TBL_ID>' or 'C<n>'
--   rc_docs   (path, doc)                        the newest file(s) of each owner whose newest is not the
--                                                catalog's own, parsed by jsonb
--   rc_cands  (owner, db, dir, location)         table folders under a database location no table owns
-- Paths in rc_files/rc_docs are scheme-less (`bucket/key`): writers spell the same object s3:// or s3a://.
-- Everything here is pg_temp (gone with the session); the only writes to the metastore's own tables are the
-- moves (TABLE_PARAMS) and the registrations (SERDES, CDS, COLUMNS_V2, SDS, TBLS, TABLE_PARAMS, SEQUENCE_TABLE).

CREATE FUNCTION pg_temp.rc_bare(p text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT rtrim(regexp_replace(coalesce(p, ''), '^[A-Za-z][A-Za-z0-9+.-]*://', ''), '/') $$;

CREATE FUNCTION pg_temp.rc_scheme(p text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT (regexp_match(coalesce(p, ''), '^([A-Za-z][A-Za-z0-9+.-]*)://'))[1] $$;

CREATE FUNCTION pg_temp.rc_version(p text) RETURNS bigint LANGUAGE sql IMMUTABLE AS
$$ SELECT coalesce((regexp_match(p, '/([0-9]+)-[^/]*\.metadata\.json(\.gz)?$'))[1],
                   (regexp_match(p, '/v([0-9]+)(\.gz)?\.metadata\.json$'))[1])::bigint $$;

CREATE FUNCTION pg_temp.rc_time(ms bigint) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT to_char(to_timestamp(ms / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

-- An Iceberg type (JSON) as the Hive type name an Iceberg catalog writes into COLUMNS_V2 (HiveSchemaUtil).
CREATE FUNCTION pg_temp.rc_hive_type(t jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  p text;
  r text;
BEGIN
  IF jsonb_typeof(t) = 'string' THEN
    p := t #>> '{}';
    RETURN CASE
      WHEN p = 'long' THEN 'bigint'
      WHEN p IN ('timestamptz', 'timestamptz_ns') THEN 'timestamp with local time zone'
      WHEN p = 'timestamp_ns' THEN 'timestamp'
      WHEN p IN ('time', 'uuid') THEN 'string'
      WHEN p LIKE 'fixed[%' THEN 'binary'
      WHEN p LIKE 'decimal(%' THEN replace(p, ' ', '')
      ELSE p
    END;
  END IF;
  CASE t ->> 'type'
    WHEN 'struct' THEN
      SELECT 'struct<' || string_agg(lower(f ->> 'name') || ':' || pg_temp.rc_hive_type(f -> 'type'), ',' ORDER BY o) || '>'
        INTO r FROM jsonb_array_elements(t -> 'fields') WITH ORDINALITY AS x(f, o);
    WHEN 'list' THEN r := 'array<' || pg_temp.rc_hive_type(t -> 'element') || '>';
    WHEN 'map' THEN r := 'map<' || pg_temp.rc_hive_type(t -> 'key') || ',' || pg_temp.rc_hive_type(t -> 'value') || '>';
    ELSE r := 'string';
  END CASE;
  RETURN r;
END $$;

-- The next id for a DataNucleus-managed table: above both SEQUENCE_TABLE's NEXT_VAL and every id in use, and
-- NEXT_VAL moved past it, so the metastore (which allocates from NEXT_VAL) never hands it out again.
CREATE FUNCTION pg_temp.rc_next_id(seq text, tbl text, col text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  nv bigint;
  mx bigint;
  id bigint;
BEGIN
  SELECT "NEXT_VAL" INTO nv FROM "SEQUENCE_TABLE" WHERE "SEQUENCE_NAME" = seq FOR UPDATE;
  EXECUTE format('SELECT coalesce(max(%I), 0) + 1 FROM %I', col, tbl) INTO mx;
  id := greatest(coalesce(nv, 1), mx);
  INSERT INTO "SEQUENCE_TABLE" ("SEQUENCE_NAME", "NEXT_VAL") VALUES (seq, id + 1)
    ON CONFLICT ("SEQUENCE_NAME") DO UPDATE SET "NEXT_VAL" = EXCLUDED."NEXT_VAL";
  RETURN id;
END $$;

CREATE FUNCTION pg_temp.rc_reconcile(since_ms bigint, now_iso text, dry boolean, target text, marker text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
  t record;
  c record;
  top record;
  ntops int;
  doc jsonb;
  cur text;
  cur_v bigint;
  qname text;
  newloc text;
  top_uri text;
  log_len int;
  log_first bigint;
  keep int;
  schema jsonb;
  own text;
  db_id bigint;
  new_tbl bigint;
  new_sd bigint;
  new_cd bigint;
  new_serde bigint;
  other text;
  unchanged int := 0;
  ntables int := 0;
  moved text[] := '{}';
  moves json[] := '{}';
  registered text[] := '{}';
  regs json[] := '{}';
  left_ json[] := '{}';
  missing text[] := '{}';
  missing_d json[] := '{}';
  skipped json[] := '{}';
  now_s bigint := extract(epoch FROM now())::bigint;
BEGIN
  -- ---- tables the catalog knows ----
  FOR t IN SELECT * FROM rc_tables ORDER BY db, name LOOP
    ntables := ntables + 1;
    qname := t.db || '.' || t.name;
    cur := pg_temp.rc_bare(t.cur);
    IF cur = '' THEN
      left_ := left_ || json_build_object('table', qname, 'reason',
        'the catalog marks it an Iceberg table but has no metadata_location; register it from its newest metadata file by hand');
      CONTINUE;
    END IF;
    SELECT count(*) INTO ntops FROM rc_files f
      WHERE f.owner = 'T' || t.tbl_id AND f.version = (SELECT max(version) FROM rc_files WHERE owner = 'T' || t.tbl_id);
    IF ntops = 0 THEN
      missing := missing || qname;
      missing_d := missing_d || json_build_object('table', qname, 'reason',
        format('no Iceberg metadata file under %s/: the table''s files are gone', regexp_replace(t.cur, '/[^/]*$', '')));
      CONTINUE;
    END IF;
    SELECT f.path, f.version INTO top FROM rc_files f WHERE f.owner = 'T' || t.tbl_id ORDER BY f.version DESC, f.path LIMIT 1;
    top_uri := coalesce(pg_temp.rc_scheme(t.cur), 's3') || '://' || top.path;
    IF ntops > 1 THEN
      left_ := left_ || json_build_object('table', qname, 'reason', format(
        '%s metadata files share the newest version %s (%s): two writers or a rollback after the dump; the catalog keeps %s. Pick the right one and point the table at it (register_table)',
        ntops, top.version,
        (SELECT string_agg(f.path, ', ' ORDER BY f.path) FROM rc_files f WHERE f.owner = 'T' || t.tbl_id AND f.version = top.version),
        t.cur));
      CONTINUE;
    END IF;
    IF top.path = cur THEN
      unchanged := unchanged + 1;
      CONTINUE;
    END IF;
    SELECT d.doc INTO doc FROM rc_docs d WHERE d.path = top.path;
    IF EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(doc -> 'metadata-log', '[]'::jsonb)) e
               WHERE pg_temp.rc_bare(e ->> 'metadata-file') = cur) THEN
      -- Forward, as an Iceberg commit does: the new pointer, the old one as previous_metadata_location;
      -- compare-and-set, so a commit that landed meanwhile is never overwritten.
      newloc := top_uri;
      UPDATE "TABLE_PARAMS" SET "PARAM_VALUE" = newloc
        WHERE "TBL_ID" = t.tbl_id AND "PARAM_KEY" = 'metadata_location' AND "PARAM_VALUE" = t.cur;
      IF NOT FOUND THEN
        left_ := left_ || json_build_object('table', qname, 'reason',
          'its metadata_location changed while reconciling (a writer is committing): stop the writers and run the reconcile again');
        CONTINUE;
      END IF;
      UPDATE "TABLE_PARAMS" SET "PARAM_VALUE" = t.cur WHERE "TBL_ID" = t.tbl_id AND "PARAM_KEY" = 'previous_metadata_location';
      IF NOT FOUND THEN
        INSERT INTO "TABLE_PARAMS" ("TBL_ID", "PARAM_KEY", "PARAM_VALUE") VALUES (t.tbl_id, 'previous_metadata_location', t.cur);
      END IF;
      moved := moved || qname;
      moves := moves || json_build_object('table', qname, 'from', t.cur, 'to', newloc,
        'commits', (SELECT count(*) FROM jsonb_array_elements(doc -> 'metadata-log') WITH ORDINALITY e(x, o)
                    WHERE o > (SELECT o2 FROM jsonb_array_elements(doc -> 'metadata-log') WITH ORDINALITY e2(x2, o2)
                               WHERE pg_temp.rc_bare(x2 ->> 'metadata-file') = cur ORDER BY o2 DESC LIMIT 1)) + 1,
        'snapshot', doc -> 'current-snapshot-id');
      CONTINUE;
    END IF;
    cur_v := pg_temp.rc_version('/' || cur);
    log_len := coalesce(jsonb_array_length(doc -> 'metadata-log'), 0);
    log_first := pg_temp.rc_version('/' || pg_temp.rc_bare(doc -> 'metadata-log' -> 0 ->> 'metadata-file'));
    keep := coalesce((doc -> 'properties' ->> 'write.metadata.previous-versions-max')::int, 100);
    IF log_len >= keep AND cur_v IS NOT NULL AND log_first IS NOT NULL AND cur_v < log_first THEN
      left_ := left_ || json_build_object('table', qname, 'reason', format(
        'cannot tell: the newest metadata file %s keeps only the last %s files in its metadata-log, which no longer reach back to the catalog''s %s; if the table was not rolled back since the dump, point it at the newest file (register_table)',
        top_uri, keep, t.cur));
    ELSIF NOT EXISTS (SELECT 1 FROM rc_files f WHERE f.owner = 'T' || t.tbl_id AND f.path = cur) THEN
      missing := missing || qname;
      missing_d := missing_d || json_build_object('table', qname, 'reason', format(
        'the catalog''s metadata file %s is gone and the newest one there, %s, does not descend from it', t.cur, top_uri));
    ELSE
      left_ := left_ || json_build_object('table', qname, 'reason', format(
        'diverged: the newest metadata file %s (version %s, written %s) does not descend from the catalog''s %s (version %s): the table was rolled back or re-created after the dump. Decide which is right; to take the newest, point the table at it (register_table)',
        top_uri, top.version, pg_temp.rc_time((doc ->> 'last-updated-ms')::bigint), t.cur, cur_v));
    END IF;
  END LOOP;

  -- ---- table folders no catalog table owns ----
  FOR c IN SELECT * FROM rc_cands ORDER BY db, dir LOOP
    SELECT count(*) INTO ntops FROM rc_files f
      WHERE f.owner = c.owner AND f.version = (SELECT max(version) FROM rc_files WHERE owner = c.owner);
    CONTINUE WHEN ntops = 0; -- not an Iceberg table folder
    -- Trino's unique table locations end in -<32 hex>; the folder name is the table name otherwise.
    qname := c.db || '.' || lower(regexp_replace(c.dir, '-[0-9a-f]{32}$', ''));
    SELECT f.path, f.version INTO top FROM rc_files f WHERE f.owner = c.owner ORDER BY f.version DESC, f.path LIMIT 1;
    IF ntops > 1 THEN
      left_ := left_ || json_build_object('table', qname, 'reason', format(
        'not registered: %s metadata files share the newest version %s in %s; register the right one by hand (register_table)',
        ntops, top.version, c.location));
      CONTINUE;
    END IF;
    SELECT d.doc INTO doc FROM rc_docs d WHERE d.path = top.path;
    IF since_ms IS NOT NULL AND coalesce((doc ->> 'last-updated-ms')::bigint, 0) < since_ms THEN
      skipped := skipped || json_build_object('location', c.location, 'table', qname, 'reason', format(
        'last written %s, before the dump (%s): a table dropped before the dump, left dropped; register it by hand to bring it back',
        pg_temp.rc_time((doc ->> 'last-updated-ms')::bigint), pg_temp.rc_time(since_ms)));
      CONTINUE;
    END IF;
    IF split_part(qname, '.', 2) !~ '^[a-z0-9_]+$' THEN
      left_ := left_ || json_build_object('table', qname, 'reason', format(
        'not registered: the folder %s does not name a table (letters, digits, _); register it by hand under the right name', c.location));
      CONTINUE;
    END IF;
    SELECT d."DB_ID", d."OWNER_NAME" INTO db_id, own FROM "DBS" d WHERE d."NAME" = c.db AND d."CTLG_NAME" = 'hive';
    IF NOT FOUND THEN
      left_ := left_ || json_build_object('table', qname, 'reason', format(
        'not registered: its namespace %s (folder %s) is not in the restored catalog (created after the dump); create it (CREATE SCHEMA %s) and run restore.sh --reconcile-only',
        c.db, regexp_replace(c.location, '/[^/]*$', ''), c.db));
      CONTINUE;
    END IF;
    SELECT s."LOCATION" INTO other FROM "TBLS" x LEFT JOIN "SDS" s ON s."SD_ID" = x."SD_ID"
      WHERE x."DB_ID" = db_id AND x."TBL_NAME" = split_part(qname, '.', 2);
    IF FOUND THEN
      left_ := left_ || json_build_object('table', qname, 'reason', format(
        'not registered: %s holds a table written after the dump, but the catalog has a table of that name at %s (dropped and re-created after the dump?); register the folder under another name, or drop the old entry and run the reconcile again',
        c.location, other));
      CONTINUE;
    END IF;
    SELECT s INTO schema FROM jsonb_array_elements(coalesce(doc -> 'schemas', '[]'::jsonb)) s
      WHERE (s ->> 'schema-id')::int = (doc ->> 'current-schema-id')::int;
    schema := coalesce(schema, doc -> 'schema');
    newloc := coalesce(pg_temp.rc_scheme(doc ->> 'location'), pg_temp.rc_scheme(c.location), 's3') || '://' || top.path;
    -- The rows an Iceberg catalog writes for a table (pyiceberg / Iceberg's HiveTableOperations): an external
    -- table, no partition keys, the schema's columns, the generic file formats and LazySimpleSerDe.
    new_serde := pg_temp.rc_next_id('org.apache.hadoop.hive.metastore.model.MSerDeInfo', 'SERDES', 'SERDE_ID');
    INSERT INTO "SERDES" ("SERDE_ID", "NAME", "SLIB") VALUES (new_serde, NULL, 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe');
    new_cd := pg_temp.rc_next_id('org.apache.hadoop.hive.metastore.model.MColumnDescriptor', 'CDS', 'CD_ID');
    INSERT INTO "CDS" ("CD_ID") VALUES (new_cd);
    INSERT INTO "COLUMNS_V2" ("CD_ID", "COMMENT", "COLUMN_NAME", "TYPE_NAME", "INTEGER_IDX")
      SELECT new_cd, f ->> 'doc', lower(f ->> 'name'), pg_temp.rc_hive_type(f -> 'type'), (o - 1)::int
      FROM jsonb_array_elements(coalesce(schema -> 'fields', '[]'::jsonb)) WITH ORDINALITY AS x(f, o);
    new_sd := pg_temp.rc_next_id('org.apache.hadoop.hive.metastore.model.MStorageDescriptor', 'SDS', 'SD_ID');
    INSERT INTO "SDS" ("SD_ID", "INPUT_FORMAT", "IS_COMPRESSED", "LOCATION", "NUM_BUCKETS", "OUTPUT_FORMAT", "SERDE_ID", "CD_ID", "IS_STOREDASSUBDIRECTORIES")
      VALUES (new_sd, 'org.apache.hadoop.mapred.FileInputFormat', false, coalesce(doc ->> 'location', c.location), -1,
              'org.apache.hadoop.mapred.FileOutputFormat', new_serde, new_cd, false);
    new_tbl := pg_temp.rc_next_id('org.apache.hadoop.hive.metastore.model.MTable', 'TBLS', 'TBL_ID');
    INSERT INTO "TBLS" ("TBL_ID", "CREATE_TIME", "DB_ID", "LAST_ACCESS_TIME", "OWNER", "OWNER_TYPE", "RETENTION", "SD_ID", "TBL_NAME", "TBL_TYPE")
      VALUES (new_tbl, now_s, db_id, 0, coalesce(doc -> 'properties' ->> 'owner', own, 'hive'), 'USER', 0, new_sd,
              split_part(qname, '.', 2), 'EXTERNAL_TABLE');
    INSERT INTO "TABLE_PARAMS" ("TBL_ID", "PARAM_KEY", "PARAM_VALUE") VALUES
      (new_tbl, 'EXTERNAL', 'TRUE'), (new_tbl, 'table_type', 'ICEBERG'), (new_tbl, 'metadata_location', newloc),
      (new_tbl, 'transient_lastDdlTime', now_s::text), (new_tbl, 'lakehouse.registered-by', marker);
    registered := registered || qname;
    regs := regs || json_build_object('table', qname, 'location', coalesce(doc ->> 'location', c.location), 'metadata', newloc,
      'snapshot', doc -> 'current-snapshot-id');
  END LOOP;

  RETURN json_build_object(
    'event', 'reconcile',
    'ok', cardinality(left_) = 0 AND cardinality(missing) = 0,
    'time', now_iso,
    'dryRun', dry,
    'targetDb', target,
    'since', pg_temp.rc_time(since_ms),
    'tables', ntables,
    'unchanged', unchanged,
    'moved', to_json(moved),
    'registered', to_json(registered),
    'left', to_json(left_),
    'missing', to_json(missing),
    'moves', to_json(moves),
    'registrations', to_json(regs),
    'missingDetail', to_json(missing_d),
    'skipped', to_json(skipped));
END $$;
