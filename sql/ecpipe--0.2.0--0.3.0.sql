-- ecpipe 0.2.0 -> 0.3.0: hardening. Each section below says what it changes and why.
-- CREATE EXTENSION ecpipe installs 0.1.0 and then the upgrade scripts, so a fresh install and an upgrade are the same.
\echo Use "ALTER EXTENSION ecpipe UPDATE TO '0.3.0'" to load this file. \quit

-- == notify safety: every queued Slack payload is sanitized (no live mention or link from data or from a caller) ==
-- ecpipe.slack_message escapes every value of the summary; ecpipe_notify now stores only the sanitized form of any
-- payload (an operator's text is data too), and the deliverer sanitizes again whatever sits in the outbox.
CREATE FUNCTION ecpipe.slack_payload(payload jsonb) RETURNS jsonb
AS 'MODULE_PATHNAME', 'ecpipe_slack_payload'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.slack_payload(jsonb) IS
    'the payload as ecpipe sends it: text, header/section/context/divider blocks only, <, > and stray & escaped, within Slack''s limits';
REVOKE ALL ON FUNCTION ecpipe.slack_payload(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.slack_payload(jsonb) TO ecpipe_operator;

CREATE OR REPLACE FUNCTION @extschema@.ecpipe_notify(kind text, payload jsonb, run_id bigint DEFAULT NULL) RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO ecpipe.notifications (run_id, kind, payload) VALUES (run_id, kind, ecpipe.slack_payload(payload)) RETURNING id
$$;
COMMENT ON FUNCTION @extschema@.ecpipe_notify(text, jsonb, bigint) IS
    'queues a Slack message in ecpipe.notifications (sanitized: see ecpipe.slack_payload); it is sent only if this transaction commits';
