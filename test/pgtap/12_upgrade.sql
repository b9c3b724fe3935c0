-- Upgrading from 0.1.0 (the first release) ends with the catalog of a new install of 0.3.0, keeps every row, and
-- the pipeline keeps working. The catalog of each is snapshot with the query below and compared kind by kind; a
-- difference names the object and shows the lines only a new install has (-) and those only the upgrade has (+).
BEGIN;
SELECT plan(20);
DROP EXTENSION IF EXISTS ecpipe;

-- Every object of the extension, described by name (no oid), with grants written relative to its owner.
CREATE FUNCTION pg_temp.ecpipe_catalog() RETURNS TABLE (kind text, object text, definition text)
LANGUAGE sql STABLE AS $cat$
WITH ext AS (SELECT e.oid, e.extowner FROM pg_catalog.pg_extension e WHERE e.extname = 'ecpipe'),
member AS (
    SELECT d.classid, d.objid FROM pg_catalog.pg_depend d, ext
    WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
),
rel AS (SELECT c.* FROM pg_catalog.pg_class c JOIN member m ON m.classid = 'pg_catalog.pg_class'::regclass AND m.objid = c.oid),
fn AS (SELECT p.* FROM pg_catalog.pg_proc p JOIN member m ON m.classid = 'pg_catalog.pg_proc'::regclass AND m.objid = p.oid),
-- grants with the owner and the grantor written as roles, not by oid: the same for whoever installed
acl AS (
    SELECT 'relation ' || c.oid::regclass::text AS object, c.relowner AS owner,
           coalesce(c.relacl, pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner)) AS acl
    FROM rel c
    UNION ALL
    SELECT 'column ' || c.oid::regclass::text || '.' || a.attname, c.relowner, a.attacl
    FROM rel c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid WHERE a.attacl IS NOT NULL
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure::text, p.proowner, coalesce(p.proacl, pg_catalog.acldefault('f'::"char", p.proowner))
    FROM fn p
    UNION ALL
    SELECT 'schema ' || n.nspname, n.nspowner, coalesce(n.nspacl, pg_catalog.acldefault('n'::"char", n.nspowner))
    FROM pg_catalog.pg_namespace n WHERE n.nspname = 'ecpipe'
)
SELECT 'member', pg_catalog.pg_describe_object(m.classid, m.objid, 0), '' FROM member m
UNION ALL
SELECT 'function', p.oid::regprocedure::text, pg_catalog.pg_get_functiondef(p.oid) FROM fn p
UNION ALL
SELECT 'relation', c.oid::regclass::text,
       format('kind %s, persistence %s, partition key %s, options %s, row security %s, replica identity %s',
              c.relkind, c.relpersistence, pg_catalog.pg_get_partkeydef(c.oid), c.reloptions, c.relrowsecurity,
              c.relreplident)
FROM rel c
UNION ALL
SELECT 'column', c.oid::regclass::text || '.' || a.attname,
       format('#%s %s%s%s%s%s%s', row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum),
              pg_catalog.format_type(a.atttypid, a.atttypmod),
              CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
              ' DEFAULT ' || pg_catalog.pg_get_expr(ad.adbin, ad.adrelid),
              CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END,
              CASE WHEN a.attgenerated <> '' THEN ' GENERATED ' || a.attgenerated::text ELSE '' END,
              CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                   THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END)
FROM rel c
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT 'constraint', c.oid::regclass::text || ' ' || k.conname, pg_catalog.pg_get_constraintdef(k.oid)
FROM rel c JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid
UNION ALL
SELECT 'index', i.indexrelid::regclass::text, pg_catalog.pg_get_indexdef(i.indexrelid)
FROM rel c JOIN pg_catalog.pg_index i ON i.indrelid = c.oid
UNION ALL
SELECT 'trigger', c.oid::regclass::text || ' ' || g.tgname, pg_catalog.pg_get_triggerdef(g.oid) || ' ' || g.tgenabled::text
FROM rel c JOIN pg_catalog.pg_trigger g ON g.tgrelid = c.oid AND NOT g.tgisinternal
UNION ALL
SELECT 'view', c.oid::regclass::text, pg_catalog.pg_get_viewdef(c.oid) FROM rel c WHERE c.relkind IN ('v', 'm')
UNION ALL
SELECT 'sequence', c.oid::regclass::text,
       format('%s start %s increment %s min %s max %s cache %s cycle %s owned by %s', s.seqtypid::regtype, s.seqstart,
              s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
              (SELECT d.refobjid::regclass::text || '.' || a.attname FROM pg_catalog.pg_depend d
               JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
               WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')
                 AND d.refclassid = 'pg_catalog.pg_class'::regclass))
FROM rel c JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
UNION ALL
SELECT 'grant', x.object || ' to ' || CASE WHEN g.grantee = x.owner THEN 'owner' WHEN g.grantee = 0 THEN 'PUBLIC'
                                           ELSE g.grantee::regrole::text END,
       string_agg(g.privilege_type || CASE WHEN g.is_grantable THEN ' with grant option' ELSE '' END
                  || CASE WHEN g.grantor = x.owner THEN '' ELSE ' by ' || g.grantor::regrole::text END,
                  ', ' ORDER BY g.privilege_type)
FROM acl x, pg_catalog.aclexplode(x.acl) g
GROUP BY x.object, x.owner, g.grantee
UNION ALL
SELECT 'comment', pg_catalog.pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description
FROM pg_catalog.pg_description d
WHERE (d.classoid, d.objoid) IN (SELECT m.classid, m.objid FROM member m)
UNION ALL
SELECT 'config_dump', x.tab::regclass::text, x.cond
FROM ext, pg_catalog.pg_extension e,
     unnest(e.extconfig, coalesce(e.extcondition, array_fill(''::text, ARRAY[cardinality(e.extconfig)]))) AS x(tab, cond)
WHERE e.oid = ext.oid
UNION ALL
SELECT 'role', r.rolname,
       format('login %s, inherit %s, superuser %s, createrole %s, createdb %s, member of %s', r.rolcanlogin, r.rolinherit,
              r.rolsuper, r.rolcreaterole, r.rolcreatedb,
              (SELECT string_agg(g.rolname, ', ' ORDER BY g.rolname) FROM pg_catalog.pg_auth_members am
               JOIN pg_catalog.pg_roles g ON g.oid = am.roleid WHERE am.member = r.oid))
FROM pg_catalog.pg_roles r WHERE r.rolname IN ('ecpipe_reader', 'ecpipe_operator')
$cat$;

-- What differs between two definitions: whole when one side is missing, else the lines only one side has.
CREATE FUNCTION pg_temp.difference(new_install text, upgraded text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN new_install IS NULL THEN '  only after the upgrade: ' || upgraded
        WHEN upgraded IS NULL THEN '  only in a new install: ' || new_install
        ELSE coalesce((SELECT string_agg(d.line, E'\n' ORDER BY d.n, d.side)
                       FROM (SELECT '  - ' || l AS line, n, 1 AS side
                             FROM unnest(string_to_array(new_install, E'\n')) WITH ORDINALITY a(l, n)
                             WHERE l <> ALL (string_to_array(upgraded, E'\n'))
                             UNION ALL
                             SELECT '  + ' || l, n, 2
                             FROM unnest(string_to_array(upgraded, E'\n')) WITH ORDINALITY b(l, n)
                             WHERE l <> ALL (string_to_array(new_install, E'\n'))) d),
                      '  the same lines in another order')
    END
$$;

-- A new install.
CREATE EXTENSION ecpipe;
CREATE TEMP TABLE new_install AS SELECT * FROM pg_temp.ecpipe_catalog();
SELECT is(ARRAY(SELECT DISTINCT kind FROM new_install ORDER BY kind),
          ARRAY['column', 'comment', 'config_dump', 'constraint', 'function', 'grant', 'index', 'member', 'relation',
                'role', 'sequence', 'trigger', 'view'], 'the snapshot of a new install holds every kind of object');
DROP EXTENSION ecpipe;

-- 0.1.0 with a day loaded, then the upgrade.
CREATE EXTENSION ecpipe VERSION '0.1.0';
SET ecpipe.min_pass_rate = 90;  -- mart_day.jsonl has one bad line in 14
SELECT ecpipe_ingest('2024-04-02', :'fixtures' || '/mart_day.jsonl');
SELECT is((SELECT ecpipe_run('2024-04-02')->>'status'), 'succeeded', '0.1.0 runs a day');
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM ecpipe.raw_events) AS raw, (SELECT count(*) FROM ecpipe.quarantine) AS quarantined,
       (SELECT string_agg(format('%s', (o.order_date, o.order_id, o.total_amount, o.items_amount)), ',' ORDER BY o.order_id)
          FROM ecpipe.mart_orders o) AS orders,
       (SELECT count(*) FROM ecpipe.runs) AS runs;

ALTER EXTENSION ecpipe UPDATE;
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'ecpipe'), '0.3.0', 'the extension is at 0.3.0');
SELECT is((SELECT row(raw, quarantined, orders, runs)::text FROM before),
          (SELECT row((SELECT count(*) FROM ecpipe.raw_events), (SELECT count(*) FROM ecpipe.quarantine),
                      (SELECT string_agg(format('%s', (o.order_date, o.order_id, o.total_amount, o.items_amount)), ','
                                         ORDER BY o.order_id) FROM ecpipe.mart_orders o),
                      (SELECT count(*) FROM ecpipe.runs))::text),
          'raw, quarantine, marts and runs are kept');
SELECT ok(pg_has_role('ecpipe_operator', 'ecpipe_reader', 'MEMBER'), 'the roles exist after the update');
SELECT ok(has_table_privilege('ecpipe_operator', 'ecpipe.raw_events_20240402', 'SELECT'),
          'privileges reach partitions made before the update');
SELECT ok(NOT has_function_privilege('public', 'ecpipe_run(date)', 'EXECUTE'), 'PUBLIC lost EXECUTE');

SELECT is((SELECT ecpipe_run('2024-04-02')->>'status'), 'succeeded', 're-running the day after the update works');
SELECT is((SELECT string_agg(format('%s', (o.order_date, o.order_id, o.total_amount, o.items_amount)), ',' ORDER BY o.order_id)
             FROM ecpipe.mart_orders o), (SELECT orders FROM before), 'and builds the same marts');

-- The upgraded catalog against the new install's.
CREATE TEMP TABLE upgraded AS SELECT * FROM pg_temp.ecpipe_catalog();
CREATE TEMP VIEW catalog_difference AS
SELECT coalesce(n.kind, u.kind) AS kind,
       coalesce(n.kind, u.kind) || ' ' || coalesce(n.object, u.object) || E'\n'
       || pg_temp.difference(n.definition, u.definition) AS difference
FROM new_install n FULL JOIN upgraded u ON u.kind = n.kind AND u.object = n.object
WHERE n.definition IS DISTINCT FROM u.definition;
CREATE FUNCTION pg_temp.differences(kinds text[]) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT string_agg(d.difference, E'\n' ORDER BY d.difference) FROM catalog_difference d WHERE d.kind = ANY (kinds)
$$;
SELECT is(pg_temp.differences('{member}'), NULL, 'the upgraded extension has the objects of a new install, no more, no fewer');
SELECT is(pg_temp.differences('{function}'), NULL,
          'functions and procedures: signature, body, language, volatility, strictness, security, SET clauses');
SELECT is(pg_temp.differences('{relation,column}'), NULL, 'tables and views: kind, partition key, columns in order, types, defaults, NOT NULL');
SELECT is(pg_temp.differences('{constraint}'), NULL, 'constraints: keys, checks, foreign keys');
SELECT is(pg_temp.differences('{index}'), NULL, 'indexes');
SELECT is(pg_temp.differences('{trigger}'), NULL, 'triggers');
SELECT is(pg_temp.differences('{view}'), NULL, 'view definitions');
SELECT is(pg_temp.differences('{sequence}'), NULL, 'sequences');
SELECT is(pg_temp.differences('{grant}'), NULL, 'grants on the schema and on every table, view, sequence and function');
SELECT is(pg_temp.differences('{comment,config_dump,role}'), NULL, 'comments, the tables pg_dump dumps, and the roles');
SELECT is((SELECT count(*) FROM catalog_difference), 0::bigint, 'nothing else differs');

SELECT * FROM finish();
ROLLBACK;
