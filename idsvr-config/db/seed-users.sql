-- The administrator-approved demo users, one row per entry of data/users.json
-- (the test in test/seed-users.test.ts keeps the two in step).
--
-- Runs after Curity's own schema (postgres-create_database.sql from the
-- Curity image, see init.sh). Only the columns the e-mail login and the
-- region claim need are set; the others keep their defaults. Running it again
-- changes nothing: a row that already exists is left alone.
--
-- username and email are the address the user types on the login page;
-- attributes.region feeds the region claim (procedures/mcp-claims-provider.js).
-- Times are seconds since the epoch, as the server stores them.

INSERT INTO accounts (account_id, username, email, attributes, active, created, updated)
VALUES
  (
    'fdbba47b-19d6-4f81-a75a-9122a5c9ec10',
    'john.doe@demo.example',
    'john.doe@demo.example',
    '{"name": {"givenName": "John", "familyName": "Doe", "formatted": "John Doe"}, "emails": [{"value": "john.doe@demo.example", "primary": true}], "region": "USA"}',
    1,
    CAST(EXTRACT(EPOCH FROM now()) AS BIGINT),
    CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)
  ),
  (
    '294b6d14-8a25-4e62-9c3a-52f5817d3c20',
    'jane.test@demo.example',
    'jane.test@demo.example',
    '{"name": {"givenName": "Jane", "familyName": "Test", "formatted": "Jane Test"}, "emails": [{"value": "jane.test@demo.example", "primary": true}], "region": "Europe"}',
    1,
    CAST(EXTRACT(EPOCH FROM now()) AS BIGINT),
    CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)
  )
ON CONFLICT DO NOTHING;
