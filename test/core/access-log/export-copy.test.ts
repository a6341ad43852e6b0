import { PassThrough, Writable } from 'node:stream'
import { beforeEach, describe, expect, it } from 'vitest'
import { CSV_COLUMNS, EXPORT_COLUMNS, EXPORT_FROM } from '../../../src/core/access-log/export/columns.js'
import { exportAccessLog, type ExportOptions } from '../../../src/core/access-log/export/export.js'
import { postgresCsvBatches } from '../../../src/core/access-log/export/postgres.js'
import type { Db, OpenDatabase } from '../../../src/core/db/database.js'
import { useTestDatabase } from '../../helpers/db.js'
import { escapeUnsafeInUtf8Bytes } from '../../../src/core/text-input.js'

// On PostgreSQL the CSV export is the server's own CSV (COPY ... TO STDOUT) rewritten where
// confi's contract differs (export-postgres.ts). Its bytes must equal those of the SQLite export
// of the same rows, in every format and dialect: here the suite's database (PostgreSQL under
// `npm run test:pg`, else SQLite) is compared with a SQLite reference holding identical rows.

/** Cells a person (or an attacker) could type: every case where PostgreSQL's CSV and confi's differ. */
const HOSTILE: (string | null)[] = [
  'Padaria Pão Quente',
  '',
  null,
  'a,b',
  'a;b',
  'Mozilla/5.0 (X11; Linux x86_64), like Gecko',
  'say "hi"',
  '"',
  '""',
  '"=quoted"',
  'line one\nline two',
  'cr\rinside',
  'crlf\r\n',
  '=HYPERLINK("http://evil")',
  '=1+1',
  '+55 11 99999-0000',
  '-cmd|calc',
  '@SUM(A1)',
  '\ttab',
  '\rcr first',
  '\nlf first',
  '=a;b',
  '=a,b',
  '-"q"',
  '@;',
  '+,',
  ' =space first',
  "it's",
  ';',
  ',',
  '=',
  '-',
  '\\.',
  '\\',
  'Ação, coração; 日本語 😀',
  '😀;=',
  'a\u2028b',
]
// One cell longer than a chunk of the COPY stream.
const LONG = `=${'x;'.repeat(40_000)}"end"`

const text = (i: number, fallback: string): string => HOSTILE[i % HOSTILE.length] ?? fallback
const CLIENTS = HOSTILE.length
const ROWS = 1_500

/** The same clients, documents, attachments and log rows, ids included, in any database. */
async function fillHostile(db: Db): Promise<void> {
  const now = '2026-11-01T00:00:00.000Z'
  for (let c = 1; c <= CLIENTS; c++) {
    // The tax id is a raw CSV cell: written as stored, quoted by neither export.
    const taxId = c === 2 ? '=1,"2"' : String(10_000_000_000_000 + c)
    await db.insertInto('clients').values({ id: c, name: text(c, 'Empresa'), tax_id: taxId, require_login: 'inherit', login_link_version: 1, created_at: now, updated_at: now }).execute()
    await db.insertInto('documents').values({ id: c, client_id: c, title: text(c + 5, 'DAS'), category: 'fiscal', created_at: now, created_by: 'test' }).execute()
    await db
      .insertInto('attachments')
      .values({ id: c, document_id: c, file_name: text(c + 9, 'f.pdf'), media_type: 'application/pdf', size: 1, sha256: 'a'.repeat(64), storage_key: `k${c}` })
      .execute()
  }
  const ips = [null, '', '203.0.113.9', '2001:db8::1', 'x,"y"']
  for (let from = 1; from <= ROWS; from += 100) {
    const rows = []
    for (let id = from; id < from + 100 && id <= ROWS; id++) {
      const client = (id % CLIENTS) + 1
      rows.push({
        id,
        at: new Date(Date.UTC(2026, 10, 1) + id * 60_000).toISOString(),
        document_id: client,
        attachment_id: id % 3 === 0 ? null : client,
        client_id: client,
        user_id: null,
        username: HOSTILE[(id * 7) % HOSTILE.length],
        user_name: HOSTILE[(id + 3) % HOSTILE.length],
        channel: 'link' as const,
        delivery_id: null,
        ip: ips[id % ips.length],
        port: 40_000 + id,
        user_agent: id === 777 ? LONG : HOSTILE[(id * 11 + 1) % HOSTILE.length],
        action: 'view' as const,
        prev_hash: '0'.repeat(64),
        hash: id.toString(16).padStart(64, '0'),
      })
    }
    await db.insertInto('access_log').values(rows).execute()
  }
}

async function exportText(open: OpenDatabase, options: Partial<ExportOptions> = {}): Promise<{ text: string; rows: number }> {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c))
  const result = await exportAccessLog(open, { filters: {}, format: 'csv', target: { kind: 'stream', stream }, ...options })
  return { text: Buffer.concat(chunks).toString('utf8'), rows: result.rows }
}

const t = useTestDatabase()
const reference = useTestDatabase({ backend: 'sqlite' })

beforeEach(async () => {
  await fillHostile(reference.db)
  await fillHostile(t.db)
})

describe('CSV export with hostile cells, against the SQLite export of the same rows', () => {
  const cases: [string, Partial<ExportOptions>][] = [
    ['csv', {}],
    ['csv --excel', { excel: true }],
    ['csv, one client', { filters: { clientId: 4 } }],
    ['csv --excel, since/until and after an id', { excel: true, filters: { since: '2026-11-01T03:00:00.000Z', until: '2026-11-01T20:00:00.000Z', afterId: 200 } }],
    ['csv without header', { header: false }],
    ['ndjson', { format: 'ndjson' }],
    ['json', { format: 'json' }],
  ]
  for (const [name, options] of cases) {
    it(`${name}: byte for byte`, async () => {
      const expected = await exportText(reference.open, options)
      const actual = await exportText(t.open, options)
      expect(actual.rows).toBe(expected.rows)
      expect(actual.rows).toBeGreaterThan(0)
      expect(actual.text).toBe(expected.text)
    })
  }

  it('neutralises and quotes as the contract says (docs/rules.md#access-log-integrity)', async () => {
    const { text: csv, rows } = await exportText(t.open)
    const excel = (await exportText(t.open, { excel: true })).text
    expect(rows).toBe(ROWS)
    expect(csv).toContain(`,10000000000013,"'=HYPERLINK(""http://evil"")",`)
    expect(csv).toContain(`,"'=${'x;'.repeat(40_000)}""end""",`)
    expect(csv).toContain(`,"'=a;b",`)
    expect(csv).toContain(`,'=1+1,`)
    expect(csv).toContain(`,"Mozilla/5.0 (X11; Linux x86_64), like Gecko",`)
    expect(csv).toContain(`,"a;b",`)
    expect(csv).toContain(`,"Ação, coração; 日本語 😀",`)
    expect(excel.startsWith(`\ufeff${CSV_COLUMNS.join(';')}\r\n`)).toBe(true)
    expect(excel).toContain(`;"'=a;b";`)
    expect(excel).toContain(`;"a,b";`)
    expect(excel).toContain(`;'-cmd|calc;`)
    // The empty string and NULL both leave the cell empty; the raw tax id stays unquoted.
    expect(csv).not.toMatch(/(^|[,\n])""(,|\r)/)
    expect(csv).toContain(',=1,"2",Empresa,')
  })
})

// PostgreSQL's CSV as COPY writes it (docs: COPY, "CSV Format"): a cell is quoted when it holds the
// delimiter, `"`, CR or LF, or is the empty string; NULL is an empty unquoted cell; rows end in LF.
function postgresCsv(rows: Record<string, unknown>[], delimiter: ',' | ';'): string {
  const special = new RegExp(`[${delimiter}"\\r\\n]`)
  const cell = (v: unknown): string => {
    if (v === null) return ''
    const s = String(v)
    return s === '' || special.test(s) ? `"${s.replaceAll('"', '""')}"` : s
  }
  return rows.map((row) => `${CSV_COLUMNS.map((k) => cell(row[k])).join(delimiter)}\n`).join('')
}

async function referenceRows(): Promise<Record<string, unknown>[]> {
  const { sql } = await import('kysely')
  const columns = EXPORT_COLUMNS.filter((c) => c.csv).map((c) => `${c.sql} AS ${c.key}`).join(', ')
  const { rows } = await sql<Record<string, unknown>>`SELECT ${sql.raw(columns)} FROM ${sql.raw(EXPORT_FROM)} ORDER BY a.id`.execute(reference.db)
  return rows
}

describe('the rewrite of PostgreSQL CSV, whatever the chunks', () => {
  for (const delimiter of [',', ';'] as const) {
    it(`'${delimiter}': chunks cut anywhere (inside a character, a "" or a row) give the same lines`, async () => {
      const body = Buffer.from(postgresCsv(await referenceRows(), delimiter))
      if (t.open.copyCsv) {
        // The model above is what this server writes.
        const chunks: Buffer[] = []
        const query = { sql: 'SELECT a.id, a.at, c.tax_id, c.name, a.document_id, d.title, t.file_name, a.channel, a.username, a.user_name, a.ip, a.user_agent, a.action, a.hash FROM access_log a JOIN clients c ON c.id = a.client_id JOIN documents d ON d.id = a.document_id LEFT JOIN attachments t ON t.id = a.attachment_id WHERE a.id > $1 ORDER BY a.id', parameters: [0] }
        for await (const chunk of t.open.copyCsv(query, delimiter)) chunks.push(chunk)
        expect(Buffer.concat(chunks).equals(body)).toBe(true)
      }
      const expected = (await exportText(reference.open, { excel: delimiter === ';', header: false })).text
      for (const size of [1, 2, 3, 5, 64, 1000, 65_536]) {
        const copyCsv = async function* () {
          for (let at = 0; at < body.length; at += size) yield body.subarray(at, at + size)
        }
        const lines: string[] = []
        let rows = 0
        for await (const batch of postgresCsvBatches(copyCsv, reference.db, {}, 0, ROWS, '\r\n', delimiter)) {
          // As writeRows does: the escape of unsafe characters is one pass over each batch's bytes.
          lines.push(escapeUnsafeInUtf8Bytes(batch.text))
          rows += batch.rows
        }
        expect(rows).toBe(ROWS)
        // The batches hold bytes, one character each.
        expect(Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1').toString('utf8')).toBe(expected)
      }
    })
  }

  it('refuses COPY output that ends inside a row', async () => {
    const copyCsv = async function* () {
      yield Buffer.from('1,"unterminated\n')
    }
    const read = async () => {
      for await (const _ of postgresCsvBatches(copyCsv, reference.db, {}, 0, 1, '\r\n', ',')) void _
    }
    await expect(read()).rejects.toThrow(/ended inside a row/)
  })
})

describe('a failed write', () => {
  it('ends the export with the error and leaves the database usable', async () => {
    let writes = 0
    const failing = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, done) {
        done(++writes > 2 ? new Error('disk full') : null)
      },
    })
    failing.on('error', () => {})
    await expect(exportAccessLog(t.open, { filters: {}, format: 'csv', target: { kind: 'stream', stream: failing } })).rejects.toThrow(
      /disk full/,
    )
    const again = await exportText(t.open)
    expect(again.rows).toBe(ROWS)
  })
})
