import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** A database created for one test on the server of the admin URL. */
export interface PostgresTestDatabase {
  /** Connection URL of the new database (same role and server as the admin URL). */
  url: string
  name: string
  /** Drops the database; call after every pool on it is closed. */
  drop(): Promise<void>
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Creates an empty database on the server of `adminUrl`; `drop()` removes it again. */
export async function createPostgresDatabase(adminUrl: string): Promise<PostgresTestDatabase> {
  const name = `confi_test_${randomBytes(6).toString('hex')}`
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
    async drop() {
      // FORCE: a spawned CLI or server that a failed test left behind must not keep it alive.
      await withAdmin(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      ).catch(() => {})
    },
  }
}

/** Creates an empty database on the server of `adminUrl` and returns its URL. */
export async function createPostgresTestDatabase(adminUrl: string): Promise<string> {
  return (await createPostgresDatabase(adminUrl)).url
}
