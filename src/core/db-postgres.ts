import pg from 'pg'
import { Kysely, PostgresDialect } from 'kysely'
import { UnavailableError, ValidationError } from './errors.js'
import type { Database } from './tables.js'
import type { OpenDatabase } from './db.js'

// COUNT(*) and other int8 results would otherwise arrive as strings.
pg.types.setTypeParser(20, (value: string) => Number(value))

/** The URL with the password removed, safe for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'the DATABASE_URL'
  }
}

function parsePostgresUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ValidationError(
      'DATABASE_URL is malformed: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE',
    )
  }
  if (!['postgres:', 'postgresql:'].includes(parsed.protocol) || !parsed.hostname) {
    throw new ValidationError(
      'DATABASE_URL is malformed: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE',
    )
  }
  return parsed
}

function describeConnectError(error: unknown, where: string): string {
  const e = error as { code?: string; message?: string }
  switch (e.code) {
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return `cannot reach PostgreSQL at ${where} (${e.code}): check the host and port in DATABASE_URL and that the server is running`
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} refused the credentials in DATABASE_URL: check the user name and password`
    case '3D000':
      return `PostgreSQL at ${where} has no such database: create it or fix the database name in DATABASE_URL`
    default:
      return `cannot connect to PostgreSQL at ${where}: ${e.message ?? String(error)}`
  }
}

/** Opens a pool on PostgreSQL and checks that it answers, with messages that never show the password. */
export async function openPostgres(url: string, poolSize: number): Promise<OpenDatabase> {
  const parsed = parsePostgresUrl(url)
  const where = `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10000 })
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {})
  try {
    const client = await pool.connect()
    client.release()
  } catch (error) {
    await pool.end().catch(() => {})
    throw new UnavailableError(describeConnectError(error, where))
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  return {
    db,
    backend: 'postgres',
    location: redactUrl(url),
    async runScript(script) {
      await pool.query(script)
    },
    async close() {
      await db.destroy()
    },
  }
}
