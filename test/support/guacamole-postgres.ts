import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Client, Pool } from 'pg';
import { REFERENCE_DIR } from './reference';

/**
 * A real PostgreSQL (the Debian package `.ci/run` installs and starts) with Guacamole 1.6.0's own
 * schema, one throwaway database per test file. Connects over the Unix socket as the OS user
 * (peer authentication: no password anywhere); `.ci/run` creates that role.
 */
export const GUACAMOLE_SCHEMA = path.join(REFERENCE_DIR, 'guacamole-client', '1.6.0', 'extensions', 'guacamole-auth-jdbc', 'modules', 'guacamole-auth-jdbc-postgresql', 'schema', '001-create-schema.sql');
const SOCKET_DIR = process.env.PGHOST ?? '/var/run/postgresql';

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresUnavailableReason(): string | undefined {
  if (!fs.existsSync(GUACAMOLE_SCHEMA)) return `Guacamole's schema is not at ${GUACAMOLE_SCHEMA}`;
  if (!fs.existsSync(path.join(SOCKET_DIR, '.s.PGSQL.5432'))) return `no PostgreSQL listens on ${SOCKET_DIR}`;
  return undefined;
}

export interface GuacamoleDatabase {
  readonly pool: Pool;
  /** Records a connection as Guacamole's JDBC extension does; returns its history id. */
  connect(username: string, connectionName: string, startDate: Date): Promise<number>;
  disconnect(historyId: number, endDate: Date): Promise<void>;
  drop(): Promise<void>;
}

export async function createGuacamoleDatabase(): Promise<GuacamoleDatabase> {
  const user = os.userInfo().username;
  const name = `guacamole_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ host: SOCKET_DIR, user, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const pool = new Pool({ host: SOCKET_DIR, user, database: name, max: 4 });
  await pool.query(fs.readFileSync(GUACAMOLE_SCHEMA, 'utf8'));
  return {
    pool,
    async connect(username, connectionName, startDate) {
      const { rows } = await pool.query<{ history_id: number }>(
        'INSERT INTO guacamole_connection_history (username, remote_host, connection_name, start_date) VALUES ($1, $2, $3, $4) RETURNING history_id',
        [username, '10.0.0.1', connectionName, startDate],
      );
      return rows[0].history_id;
    },
    async disconnect(historyId, endDate) {
      await pool.query('UPDATE guacamole_connection_history SET end_date = $2 WHERE history_id = $1', [historyId, endDate]);
    },
    async drop() {
      await pool.end();
      const c = new Client({ host: SOCKET_DIR, user, database: 'postgres' });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
      await c.end();
    },
  };
}
