import { nowIso } from '../../time.js'
import pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'
import { Kysely, PostgresDialect } from 'kysely'
import { ConfiError, UnavailableError, ValidationError } from '../../errors.js'
import type { Database } from '../tables.js'
import type { CsvQuery, OpenDatabase } from '../handle.js'
import { preparedStatementName } from '../prepared.js'

// COUNT(*) and other int8 results would otherwise arrive as strings; confi's numbers (ids, counts,
// sizes) stay far below 2^53, so a JS number is exact and matches what SQLite returns.
pg.types.setTypeParser(20, (value: string) => Number(value))

const CONNECT_TIMEOUT_MS = 10_000

const MALFORMED = 'DATABASE_URL is malformed: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE'

/**
 * Where the database is, safe to print: host, port and database name only. User name, password
 * and query parameters (libpq accepts `?password=`) are left out, so no message shows a credential.
 */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url)
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost'
    const path = parsed.pathname && parsed.pathname !== '/' ? parsed.pathname : ''
    return `postgres://${host}:${parsed.port || '5432'}${path}`
  } catch {
    return 'the database of DATABASE_URL'
  }
}

function parsePostgresUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ValidationError(MALFORMED)
  }
  // A unix socket is given as ?host=/path with an empty host part, as libpq allows.
  const host = parsed.hostname || parsed.searchParams.get('host')
  if (!['postgres:', 'postgresql:'].includes(parsed.protocol) || !host) {
    throw new ValidationError(MALFORMED)
  }
  try {
    // pg decodes the user name and password itself and throws a bare URIError on bad escapes.
    decodeURIComponent(parsed.username)
    decodeURIComponent(parsed.password)
    decodeURIComponent(parsed.pathname)
  } catch {
    throw new ValidationError(
      'DATABASE_URL is malformed: a percent escape in the user, password or database name is invalid (write % as %25)',
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
    case 'ENETUNREACH':
    case 'ECONNRESET':
    case 'ENOENT':
      return `cannot reach PostgreSQL at ${where} (${e.code}): check the host and port in DATABASE_URL and that the server is running`
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} refused the credentials in DATABASE_URL: check the user name and password`
    case '3D000':
      return `PostgreSQL at ${where} has no such database: create it or fix the database name in DATABASE_URL`
    case '53300':
      return `PostgreSQL at ${where} has no free connections: lower CONFI_PG_POOL_SIZE or raise max_connections`
    case '57P03':
      return `PostgreSQL at ${where} is starting up or shutting down: try again in a moment`
  }
  const message = firstLine(e.message ?? String(error))
  if (/timeout/i.test(message)) {
    return `cannot reach PostgreSQL at ${where}: no answer within ${CONNECT_TIMEOUT_MS / 1000} s; check the host and port in DATABASE_URL and the firewall`
  }
  return `cannot connect to PostgreSQL at ${where}: ${message}`
}

/**
 * Errors PostgreSQL raises on input that SQLite takes or answers quietly, turned into refusals
 * the CLI and the portal already know how to show (exit 1, 400) instead of "unexpected error".
 * Callers should still validate first; this keeps a missed check from becoming a 500.
 */
export function translateQueryError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code
  switch (code) {
    // A NUL character: PostgreSQL text cannot hold it.
    case '22021':
    case '22P05':
      return new ValidationError('text must not contain the NUL character or invalid UTF-8')
    // An integer beyond the column's range (ids are 32-bit): nothing can match or be stored.
    case '22003':
      return new ValidationError('a number is out of range: ids and sizes go up to 2147483647')
    default:
      return error
  }
}

// Kysely's driver calls client.query(text, values) and awaits it; wrapping that one call on each
// new pooled client is the narrowest place to translate errors for every query, and to run the
// hot-path statements of prepared.ts as named ones (parsed and planned once per connection). A text
// of several statements without parameters (one round trip: the access-log append's BEGIN, lock
// and head read) answers with its last statement's rows, which Kysely's driver would otherwise drop.
function translateErrorsOf(client: pg.PoolClient): void {
  const original = client.query.bind(client) as (...args: unknown[]) => unknown
  const wrapped = (...args: unknown[]): unknown => {
    const name = typeof args[0] === 'string' ? preparedStatementName(args[0]) : undefined
    const result = name ? original({ name, text: args[0], values: args[1] }) : original(...args)
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      return (result as Promise<unknown>).then(
        (answer) => (Array.isArray(answer) ? answer.at(-1) : answer),
        (error: unknown) => {
          throw translateQueryError(error)
        },
      )
    }
    return result
  }
  ;(client as unknown as { query: typeof wrapped }).query = wrapped
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim()
}

/** Opens a pool on PostgreSQL and checks that it answers, with messages that never show the password. */
export async function openPostgres(url: string, poolSize: number): Promise<OpenDatabase> {
  parsePostgresUrl(url)
  const where = describePostgresUrl(url)
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  })
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {})
  pool.on('connect', translateErrorsOf)
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
    location: where,
    async applySchemaStep(version, script) {
      // `confi init` may run on several machines at once: concurrent CREATE ... IF NOT EXISTS can
      // still collide in PostgreSQL's catalogs, so schema steps take turns on one session lock and
      // each re-checks, under it, whether another machine already applied it.
      const client = await pool.connect()
      try {
        await client.query(`select pg_advisory_lock(hashtext('confi:schema'))`)
        try {
          await client.query('begin')
          const table = await client.query(`select to_regclass('schema_version') is not null as present`)
          const done =
            table.rows[0].present &&
            (await client.query('select 1 from schema_version where version = $1', [version])).rowCount! > 0
          if (!done) {
            await client.query(script)
            await client.query('insert into schema_version (version, applied_at) values ($1, $2)', [
              version,
              nowIso(),
            ])
          }
          await client.query('commit')
          return !done
        } catch (error) {
          await client.query('rollback').catch(() => {})
          throw error
        } finally {
          await client.query(`select pg_advisory_unlock(hashtext('confi:schema'))`)
        }
      } finally {
        client.release()
      }
    },
    copyCsv: (query, delimiter) => copyCsvOut(pool, query, delimiter),
    async close() {
      await db.destroy()
    },
  }
}

/**
 * `COPY (query) TO STDOUT` in PostgreSQL's CSV, streamed as the server sends it: the server
 * formats every cell in C, as psql's `\copy` has it do (docs/performance.md, "Export speed").
 */
async function* copyCsvOut(pool: pg.Pool, query: CsvQuery, delimiter: ',' | ';'): AsyncGenerator<Buffer> {
  const select = inlineParameters(query.sql, query.parameters)
  const statement = `COPY (${select}) TO STDOUT WITH (FORMAT csv, DELIMITER '${delimiter}')`
  const client = await pool.connect()
  let finished = false
  try {
    const stream = client.query(copyTo(statement))
    // Closing the connection below makes pg report the unfinished COPY to the stream once more.
    stream.on('error', () => {})
    for await (const chunk of stream) yield chunk as Buffer
    finished = true
  } catch (error) {
    throw translateQueryError(error)
  } finally {
    // A consumer that stopped early (a failed write) leaves the connection inside the COPY: it is
    // closed rather than handed back to the pool.
    client.release(finished ? undefined : true)
  }
}

// COPY takes no bind parameters: the query's `$n` are written in as literals. Only numbers and
// strings are accepted, strings escaped for either setting of standard_conforming_strings.
function inlineParameters(text: string, parameters: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => literal(parameters[Number(n) - 1]))
}

function literal(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value === 'string') return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`
  throw new ConfiError(`COPY cannot take the parameter ${String(value)}: only numbers and strings`)
}
