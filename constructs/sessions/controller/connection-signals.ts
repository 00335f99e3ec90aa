import type { Pool } from 'pg';

/** What the gateway knows about a session's connections. */
export interface ConnectionState {
  /** At least one connection is open now. */
  readonly live: boolean;
  /** Start of the most recent connection. */
  readonly lastStart?: Date;
  /** End of the most recent closed connection. */
  readonly lastEnd?: Date;
}

/** A source of connection signals, queried for many sessions at once. */
export interface ConnectionSignals {
  /** States by Guacamole connection name; names never connected are absent. */
  connections(names: readonly string[]): Promise<Map<string, ConnectionState>>;
}

/**
 * Connections as Guacamole's PostgreSQL extension records them. With encrypted JSON auth the
 * REST active-connection list is always empty, but `guacamole_connection_history` gets a row per
 * connection (external connections are tracked by default); a row without `end_date` is live.
 * External connections have no `connection_id`: they are matched by `connection_name`.
 */
export class GuacamoleHistorySignals implements ConnectionSignals {
  constructor(private readonly pool: Pool) {}

  public async connections(names: readonly string[]): Promise<Map<string, ConnectionState>> {
    const result = new Map<string, ConnectionState>();
    if (names.length === 0) return result;
    const { rows } = await this.pool.query<{ connection_name: string; live: boolean; last_start: Date | null; last_end: Date | null }>(
      `SELECT connection_name,
              bool_or(end_date IS NULL) AS live,
              max(start_date) AS last_start,
              max(end_date) AS last_end
         FROM guacamole_connection_history
        WHERE connection_name = ANY($1::text[])
        GROUP BY connection_name`,
      [names],
    );
    for (const row of rows) {
      result.set(row.connection_name, { live: row.live, lastStart: row.last_start ?? undefined, lastEnd: row.last_end ?? undefined });
    }
    return result;
  }
}

/** Name of a session's connection in Guacamole (the key of the JSON auth connection map). */
export function guacamoleConnectionName(sessionName: string): string {
  return sessionName;
}
