/**
 * Shell scripts of the Guacamole chart's Job and CronJobs, kept apart from the chart so each
 * one reads top to bottom. Credentials reach them through environment variables filled from
 * Kubernetes Secrets, or (the master secret) through an in-memory file of the schema Job's pod,
 * and reach psql through the environment and `\getenv`, never through its command line.
 */

/** Where the schema init container leaves the SQL for the client container. */
export const SCHEMA_DIR = '/work';
/** In-memory directory where the schema Job keeps the master secret while it runs. */
export const CREDENTIALS_DIR = '/credentials';

/**
 * Runs in the AWS CLI image with IRSA: writes the master secret (JSON) into the in-memory
 * volume of the schema Job's pod, from `MASTER_SECRET_ARN`. The master credentials then exist
 * only inside that pod, while it runs.
 */
export function fetchMasterSecretScript(): string {
  return [
    'set -eu',
    `aws secretsmanager get-secret-value --secret-id "$MASTER_SECRET_ARN" --query SecretString --output text > ${CREDENTIALS_DIR}/master.json`,
    `grep -q '"password"' ${CREDENTIALS_DIR}/master.json`,
  ].join('\n');
}

/**
 * Runs in the Guacamole image: prints the schema with the image's own `initdb.sh` and keeps
 * only the create-schema part.
 *
 * `initdb.sh --postgresql` concatenates the extension's numbered SQL files: first the schema
 * (types, tables, indexes: no INSERT), then the file that inserts the well-known default
 * administrator. Everything from the first INSERT on is dropped, so that account is never
 * created; the checks fail the Job if the output ever changes shape.
 */
export function extractSchemaScript(): string {
  return [
    'set -eu',
    `/opt/guacamole/bin/initdb.sh --postgresql > ${SCHEMA_DIR}/initdb.sql`,
    `awk '/^INSERT INTO/ { exit } { print }' ${SCHEMA_DIR}/initdb.sql > ${SCHEMA_DIR}/schema.sql`,
    `rm ${SCHEMA_DIR}/initdb.sql`,
    `grep -q '^CREATE TABLE guacamole_user ' ${SCHEMA_DIR}/schema.sql`,
    `if grep -qi '^ *INSERT' ${SCHEMA_DIR}/schema.sql; then echo 'unexpected INSERT in the schema part' >&2; exit 1; fi`,
  ].join('\n');
}

/**
 * Runs in the PostgreSQL client image with the master secret in `CREDENTIALS_DIR/master.json`
 * (read into PGUSER and PGPASSWORD, then deleted), PGHOST, PGPORT, PGDATABASE, the application
 * credentials (APP_USERNAME, APP_PASSWORD), plus ADMIN_USERS (one username per line).
 *
 * 0. Reads the master user and password: the generated secret's values contain no quote or
 *    backslash (RDS's excluded characters), so a JSON string value ends at the next quote.
 * 1. Waits for the database.
 * 2. Applies the schema only when `guacamole_user` does not exist (the SQL is not idempotent).
 * 3. Creates the application role on first run only: afterwards Secrets Manager rotation owns
 *    its password (and the `_clone` role it alternates with inherits its grants).
 * 4. Grants the role what Guacamole needs on every run (so upgrades that add tables are covered).
 * 5. Makes each listed username a Guacamole administrator. These users sign in through SSO:
 *    their stored password hash is random bytes of the wrong length, which no password matches.
 */
export function applySchemaScript(): string {
  return [
    'set -eu',
    `PGUSER="$(sed -n 's/.*"username" *: *"\\([^"]*\\)".*/\\1/p' ${CREDENTIALS_DIR}/master.json)"`,
    `PGPASSWORD="$(sed -n 's/.*"password" *: *"\\([^"]*\\)".*/\\1/p' ${CREDENTIALS_DIR}/master.json)"`,
    `rm -f ${CREDENTIALS_DIR}/master.json`,
    'export PGUSER PGPASSWORD',
    "if [ -z \"$PGUSER\" ] || [ -z \"$PGPASSWORD\" ]; then echo 'master secret without username or password' >&2; exit 1; fi",
    'export PGSSLMODE=require',
    'tries=0',
    "until psql -tAc 'SELECT 1' > /dev/null; do",
    '  tries=$((tries + 1))',
    "  if [ \"$tries\" -ge 60 ]; then echo 'database unreachable' >&2; exit 1; fi",
    '  sleep 10',
    'done',
    "if [ \"$(psql -tAc \"SELECT to_regclass('public.guacamole_user') IS NOT NULL\")\" = t ]; then",
    "  echo 'Guacamole schema present: not applied again'",
    'else',
    `  psql -v ON_ERROR_STOP=1 --single-transaction -f ${SCHEMA_DIR}/schema.sql`,
    'fi',
    "psql -v ON_ERROR_STOP=1 --single-transaction <<'SQL'",
    '\\getenv app_user APP_USERNAME',
    '\\getenv app_password APP_PASSWORD',
    "SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user') AS create_role \\gset",
    '\\if :create_role',
    "CREATE ROLE :\"app_user\" LOGIN PASSWORD :'app_password';",
    '\\endif',
    'GRANT CONNECT ON DATABASE :"DBNAME" TO :"app_user";',
    'GRANT USAGE ON SCHEMA public TO :"app_user";',
    'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_user";',
    'GRANT SELECT, USAGE ON ALL SEQUENCES IN SCHEMA public TO :"app_user";',
    'SQL',
    'printf \'%s\\n\' "${ADMIN_USERS:-}" | while IFS= read -r admin; do',
    '  [ -n "$admin" ] || continue',
    "  ADMIN=\"$admin\" psql -v ON_ERROR_STOP=1 --single-transaction <<'SQL'",
    '\\getenv admin ADMIN',
    "INSERT INTO guacamole_entity (name, type) VALUES (:'admin', 'USER') ON CONFLICT DO NOTHING;",
    'INSERT INTO guacamole_user (entity_id, password_hash, password_salt, password_date)',
    "  SELECT entity_id, decode(md5(random()::text || clock_timestamp()::text), 'hex'), decode(md5(random()::text), 'hex'), now()",
    "  FROM guacamole_entity WHERE name = :'admin' AND type = 'USER'",
    '  ON CONFLICT DO NOTHING;',
    'INSERT INTO guacamole_system_permission (entity_id, permission)',
    '  SELECT entity_id, p::guacamole_system_permission_type',
    "  FROM guacamole_entity, unnest(ARRAY['CREATE_CONNECTION', 'CREATE_CONNECTION_GROUP', 'CREATE_SHARING_PROFILE', 'CREATE_USER', 'CREATE_USER_GROUP', 'AUDIT', 'ADMINISTER']) AS p",
    "  WHERE name = :'admin' AND type = 'USER'",
    '  ON CONFLICT DO NOTHING;',
    'SQL',
    'done',
  ].join('\n');
}

/**
 * Runs in the guacd image (UID 1000, the owner of the recordings access point): deletes
 * recordings older than `days` days, then directories left empty for an hour (a session that
 * just started may not have written its file yet).
 */
export function pruneRecordingsScript(directory: string, days: number): string {
  return [
    'set -u',
    `find ${directory} -mindepth 1 -type f -mtime +${days} -exec rm -f {} +`,
    `find ${directory} -mindepth 1 -depth -type d -mmin +60 -exec rmdir {} + 2> /dev/null || true`,
  ].join('\n');
}
