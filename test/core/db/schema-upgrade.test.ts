import { readFileSync } from 'node:fs'
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { verifyAccessLog } from '../../../src/core/access-log/chain/walk.js'
import { memorySource, rowLeafHash, subtreeHash, syncTree } from '../../../src/core/access-log/tree/merkle.js'
import { applySchema, readSchemaVersion, schemaSteps, schemaVersion } from '../../../src/core/db/schema.js'
import { useTestDatabase } from '../../helpers/db.js'

// Rows written by earlier releases, one INSERT each (a text value may span lines): the version-1
// release's (loaded at every older version), the version-6 release's, with rows in the tables
// versions 2 to 6 added (deliveries, outbox, tree, checkpoints, receipts), and the previous
// release's, at version 7, which also holds a live session and an ended one.
function fixture(name: string): string[] {
  return readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8')
    .split(/\n(?=INSERT INTO |-- )/)
    .filter((statement) => statement.startsWith('INSERT INTO '))
    .map((statement) => statement.trimEnd())
}

const FIXTURES = [
  { name: 'schema-v1-data.sql', versions: schemaSteps().map((step) => step.version) },
  { name: 'schema-v6-data.sql', versions: [6] },
  { name: 'schema-v7-data.sql', versions: [7] },
]

function expectedCounts(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const line of lines) {
    const table = /^INSERT INTO (\w+)/.exec(line)![1]
    counts.set(table, (counts.get(table) ?? 0) + 1)
  }
  return counts
}

describe(`schema upgrade on ${process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, () => {
  for (const { name, versions } of FIXTURES) {
    const lines = fixture(name)
    for (const version of versions) {
      describe(`a database at version ${version} holding ${name}`, () => {
        const t = useTestDatabase({ schemaUpTo: version, seed: lines })

        it(`upgrades to ${schemaVersion()}, keeping every row and the log chain`, async () => {
          expect(await readSchemaVersion(t.db)).toBe(version)

          const result = await applySchema(t.open)

          expect(result).toEqual({ version: schemaVersion(), created: false })
          expect(await readSchemaVersion(t.db)).toBe(schemaVersion())
          for (const [table, count] of expectedCounts(lines)) {
            const row = await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(t.db)
            expect(Number(row.rows[0].n), table).toBe(count)
          }
          const titles = await t.db.selectFrom('documents').select('title').orderBy('id').execute()
          expect(titles.map((row) => row.title)).toContain('DAS — Simples Nacional')
          const verified = await verifyAccessLog(t.db)
          expect(verified).toMatchObject({ ok: true, rows: expectedCounts(lines).get('access_log') })
          // What `confi init` does after the upgrade (version 4): the Merkle tree covers every old row.
          const hashes = await t.db.selectFrom('access_log').select('hash').orderBy('id').execute()
          const reference = memorySource(hashes.map((row) => rowLeafHash(row.hash)))
          expect(await syncTree(t.db)).toEqual({
            size: hashes.length,
            root: (await subtreeHash(reference, 0, hashes.length)).toString('hex'),
          })
        })
      })
    }
  }
})
