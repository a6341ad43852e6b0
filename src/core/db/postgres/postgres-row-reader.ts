import pg from 'pg'
import { UnavailableError } from '../../errors.js'
import type { RowReader } from '../handle.js'
import { describePostgresUrl } from './postgres-database.js'

/** The row reader of row-reader.ts on PostgreSQL: one read-only session, array rows. */
export async function postgresRowReader(url: string): Promise<RowReader> {
  const client = new pg.Client({ connectionString: url })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY')
  } catch (error) {
    await client.end().catch(() => {})
    throw new UnavailableError(`cannot read ${describePostgresUrl(url)}: ${(error as Error).message}`)
  }
  const names = new Map<string, string>()
  return {
    async rows(text, parameters) {
      // Named per statement text: parsed and planned once per connection, not once per batch.
      let name = names.get(text)
      if (!name) names.set(text, (name = `confi_rows_${names.size + 1}`))
      const result = await client.query({ name, text, values: [...parameters], rowMode: 'array' })
      return result.rows as unknown[][]
    },
    async close() {
      await client.end()
    },
  }
}
