-- The installed event schema compiles; a schema ecpipe cannot honour is refused with the keyword's location.
BEGIN;
SELECT plan(5);
CREATE EXTENSION ecpipe;

SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(ecpipe_schema_info()->'event_types') k),
          ARRAY['add_to_cart', 'click', 'page_view', 'purchase', 'search'], 'five event types');
SELECT is(ecpipe_schema_info()->'event_types'->'purchase'->'required',
          '["event_id", "event_type", "user_id", "session_id", "timestamp", "platform", "device_type", "order_id", "total_amount", "payment_method"]'::jsonb,
          'purchase requires the common fields and its own');
SELECT throws_ok($$SELECT ecpipe_schema_info('{"$schema": "http://json-schema.org/draft-07/schema#", "oneOf": []}')$$,
                 'F0000', 'ecpipe: event schema /oneOf: unsupported keyword ''oneOf''', 'unsupported keywords are refused');
SELECT throws_ok($$SELECT ecpipe_schema_info('{"properties": {"x": {"type": "string", "pattern": "(a"}}}')$$,
                 'F0000', 'ecpipe: event schema /properties/x/pattern: pattern /(a/: missing ): (a', 'bad patterns are refused');
SELECT throws_ok($$SELECT ecpipe_schema_info('not json')$$, 'F0000', NULL, 'text that is not JSON is refused');

SELECT * FROM finish();
ROLLBACK;
