import { describe, expect, it } from 'vitest'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { expirePersonalFields } from '../../../src/core/access-log/erase/personal-erase.js'
import { walkAccessLog } from '../../../src/core/access-log/verify/verify.js'
import { setClock } from '../../../src/core/time.js'
import { accessRowsOf } from '../../helpers/access-log.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeClient, makeDocument } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const backend = process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'

// Rows logged on day 1..n of November 2026, one a day; format 1 for the days in `format1`.
async function logDays(n: number, format1: readonly number[] = []): Promise<void> {
  const client = await makeClient(t.db, t.key)
  const doc = await makeDocument(t, client.id)
  for (let day = 1; day <= n; day++) {
    const restore = setClock(() => new Date(Date.UTC(2026, 10, day, 12)))
    try {
      await recordAccess(
        t.db,
        { documentId: doc.id, clientId: client.id, channel: 'link', action: 'view', ip: `203.0.113.${day}`, userAgent: `Agent ${day}` },
        { format: format1.includes(day) ? 1 : 2 },
      )
    } finally {
      restore()
    }
  }
}

describe(`expirePersonalFields on ${backend}`, () => {
  it('erases the values and salts of format-2 rows before the cutoff, batch by batch, and reports the format-1 rows', async () => {
    await logDays(10, [1, 2])
    const before = '2026-11-06T00:00:00.000Z'
    const dry = await expirePersonalFields(t.db, { before, dryRun: true, batchSize: 2 })
    expect(dry.erased).toBe(3)
    expect((await accessRowsOf(t.db)).filter((r) => r.ip !== null)).toHaveLength(10)

    const batches: number[] = []
    const result = await expirePersonalFields(t.db, { before, batchSize: 2, onBatch: (through) => batches.push(through) })
    // Row 1 is the document's document.published row; accesses are rows 2..11 (days 1..10).
    expect(result).toMatchObject({ erased: 3, format1: { rows: 2, ranges: [{ first: 2, last: 3 }] } })
    expect(batches.length).toBeGreaterThan(1)
    const rows = await accessRowsOf(t.db)
    expect(rows.map((r) => r.ip)).toEqual(['203.0.113.1', '203.0.113.2', null, null, null, ...[6, 7, 8, 9, 10].map((d) => `203.0.113.${d}`)])
    expect((await walkAccessLog(t.db)).chain.ok).toBe(true)

    // Again: nothing left to do; resumable from where it stopped.
    expect((await expirePersonalFields(t.db, { before })).erased).toBe(0)
    expect((await expirePersonalFields(t.db, { before: '2026-11-09T00:00:00.000Z', afterId: result.throughId })).erased).toBe(3)
  })

  it('a cutoff before every row does nothing', async () => {
    await logDays(3)
    expect(await expirePersonalFields(t.db, { before: '2020-01-01T00:00:00.000Z' })).toEqual({ erased: 0, throughId: 0, format1: { rows: 0, ranges: [] } })
  })
})
