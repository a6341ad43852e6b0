import { PassThrough } from 'node:stream'
import { beforeEach, describe, expect, it } from 'vitest'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { CSV_COLUMNS, csvCell } from '../../../src/core/access-log/export/columns.js'
import { exportAccessLog, type ExportOptions } from '../../../src/core/access-log/export/export.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeClient, makeDocument, makeFirm } from '../../helpers/factories.js'

// docs/access-log.md, "CSV for Excel": `;` always quoted; --excel writes `;`, a BOM and CRLF.

const t = useTestDatabase()
beforeEach(async () => {
  await makeFirm(t.db)
  const client = await makeClient(t.db, t.key, { name: 'Padaria; Confeitaria Ltda' })
  const doc = await makeDocument(t, client.id, { title: 'DAS, outubro' })
  await recordAccess(t.db, { documentId: doc.id, clientId: client.id, channel: 'link', action: 'view', userAgent: 'Mozilla/5.0;=1+1' })
})

async function run(options: Partial<ExportOptions> & { fast?: boolean } = {}): Promise<string> {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c))
  await exportAccessLog(t.open, {
    filters: {},
    format: 'csv',
    target: { kind: 'stream', stream },
    portable: options.fast === false,
    ...options,
  })
  return Buffer.concat(chunks).toString('utf8')
}

describe('CSV for Brazilian Excel', () => {
  it('always quotes a cell holding ;', () => {
    expect(csvCell('Mozilla/5.0;=1+1')).toBe('"Mozilla/5.0;=1+1"')
  })

  it('quotes ; on every path of the plain CSV', async () => {
    for (const fast of [true, false]) {
      const text = await run({ fast })
      expect(text).toContain('"Mozilla/5.0;=1+1"')
      expect(text).toContain('"Padaria; Confeitaria Ltda"')
      expect(text.charCodeAt(0)).not.toBe(0xfeff)
    }
  })

  it('--excel: a UTF-8 BOM, ; between cells, CRLF, the same on every path', async () => {
    const fast = await run({ excel: true })
    const portable = await run({ excel: true, fast: false })
    expect(fast).toBe(portable)
    expect(fast.startsWith(`\ufeff${CSV_COLUMNS.join(';')}\r\n`)).toBe(true)
    // Line 1 is the document's document.published row, line 2 the access.
    const [, published, row] = fast.split('\r\n')
    expect(published).toMatch(/^1;.*;"Padaria; Confeitaria Ltda";.*;document\.published;[0-9a-f]{64}$/)
    expect(row).toContain(';"Padaria; Confeitaria Ltda";')
    expect(row).toContain(';"DAS, outubro";')
    expect(row).toContain(';"Mozilla/5.0;=1+1";')
    expect(fast.endsWith('\r\n')).toBe(true)
  })
})
