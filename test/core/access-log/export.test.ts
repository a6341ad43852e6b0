import { execFileSync, spawnSync } from 'node:child_process'
import {
  closeSync,
  createWriteStream,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { beforeEach, describe, expect, it } from 'vitest'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { CSV_COLUMNS, csvCell } from '../../../src/core/access-log/export/columns.js'
import { exportAccessLog, type ExportOptions } from '../../../src/core/access-log/export/export.js'
import { parseTimeBound } from '../../../src/core/access-log/export/filter.js'
import { lockExportState, readExportState } from '../../../src/core/access-log/export/state.js'
import { setClock } from '../../../src/core/time.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeDocument, makeClient, makeUser } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
let dbPath: string | undefined
let ids: { client: number; other: number; doc: number; otherDoc: number; attachment: number; user: number }

beforeEach(async () => {
  // The raw-SQLite fast path exists only on SQLite; on PostgreSQL every run takes the portable one.
  dbPath = t.config.database.kind === 'sqlite' ? t.config.database.path : undefined
  const client = await makeClient(t.db, t.key, { name: '=HYPERLINK("http://evil"), "Padaria", Ltda' })
  const other = await makeClient(t.db, t.key, { name: 'Outra Empresa' })
  // Filing appends each document's document.published row: rows 1 (doc) and 2 (otherDoc), at a
  // fixed time a month before the accesses (rows 3 to 6).
  const filed = setClock(() => new Date(Date.UTC(2026, 9, 1)))
  const doc = await makeDocument(t, client.id, { title: 'DAS\n10/2026' }).finally(filed)
  const refiled = setClock(() => new Date(Date.UTC(2026, 9, 1)))
  const otherDoc = await makeDocument(t, other.id, { title: '+Folha' }).finally(refiled)
  const user = await makeUser(t.db, { clientId: client.id, username: 'bruno', name: '@Bruno "B" Silva' })
  ids = { client: client.id, other: other.id, doc: doc.id, otherDoc: otherDoc.id, attachment: doc.attachments[0].id, user: user.id }
  let tick = Date.UTC(2026, 10, 1, 2, 30) // 2026-10-31 23:30 in São Paulo
  const restore = setClock(() => new Date((tick += 3_600_000)))
  try {
    await recordAccess(t.db, { documentId: doc.id, clientId: client.id, channel: 'portal', action: 'view', user, ip: '203.0.113.9', port: 51000, userAgent: 'Mozilla/5.0 (X11; Linux), like Gecko' })
    await recordAccess(t.db, { documentId: doc.id, attachmentId: doc.attachments[0].id, clientId: client.id, channel: 'link', action: 'download', userAgent: '-cmd|calc' })
    await recordAccess(t.db, { documentId: otherDoc.id, clientId: other.id, channel: 'email', action: 'view', userAgent: '\ttab' })
    await recordAccess(t.db, { documentId: doc.id, clientId: client.id, channel: 'whatsapp', action: 'view', userAgent: 'line one\nline two' })
  } finally {
    restore()
  }
})

async function run(options: Partial<ExportOptions> & { fast?: boolean } = {}): Promise<{ text: string; rows: number; lastId: number; notes: string[] }> {
  const stream = new PassThrough()
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => chunks.push(c))
  const result = await exportAccessLog(t.open, {
    filters: {},
    format: 'csv',
    target: { kind: 'stream', stream },
    portable: options.fast === false,
    ...options,
  })
  return { ...result, text: Buffer.concat(chunks).toString('utf8') }
}

describe('formats', () => {
  it('CSV: the contract header, RFC 4180 quoting and formula cells neutralised', async () => {
    const { text, rows } = await run()
    expect(rows).toBe(6)
    const lines = text.split('\r\n')
    expect(lines[0]).toBe(CSV_COLUMNS.join(','))
    expect(lines[0]).toBe('id,at,client_tax_id,client_name,document_id,document_title,attachment,channel,username,user_name,ip,user_agent,action,hash')
    expect(text).toContain(`"'=HYPERLINK(""http://evil""), ""Padaria"", Ltda"`)
    expect(text).toContain('"line one\nline two"')
    expect(text).toContain(`"'@Bruno ""B"" Silva"`)
    expect(text).toContain(`'-cmd|calc`)
    expect(text).toContain(`'\ttab`)
    expect(text).toContain(`'+Folha`)
    expect(text).toContain('"Mozilla/5.0 (X11; Linux), like Gecko"')
    expect(text).toMatch(/^3,2026-11-01T03:30:00\.000Z,\d{14},/m)
    // A row that is not an access: its kind in the action cell, no person in it.
    expect(text).toMatch(/^1,2026-10-01T00:00:00\.000Z,\d{14},.*,,,,,document\.published,[0-9a-f]{64}$/m)
    expect(text.endsWith('\r\n')).toBe(true)
  })

  it('csvCell follows RFC 4180 and neutralises =, +, -, @, tab and CR', () => {
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('=1+1')).toBe("'=1+1")
    expect(csvCell('\rx')).toBe(`"'\rx"`)
    expect(csvCell(null)).toBe('')
    expect(csvCell(-5)).toBe('-5')
  })

  for (const format of ['csv', 'ndjson', 'json'] as const) {
    it(`${format}: the fast path (formatted by the database) and the portable path write the same bytes`, async () => {
      const fast = await run({ format, batchSize: 3 })
      const portable = await run({ format, fast: false, batchSize: 3 })
      expect(fast.text).toBe(portable.text)
    })
  }

  it('JSON and NDJSON carry raw values and every field of the row', async () => {
    const rows = JSON.parse((await run({ format: 'json', batchSize: 2 })).text)
    expect(rows.length).toBe(6)
    expect(rows[0]).toMatchObject({ id: 1, format: 2, kind: 'document.published', document_id: ids.doc, client_id: ids.client, user_name: null })
    expect(rows[2]).toMatchObject({ id: 3, client_name: '=HYPERLINK("http://evil"), "Padaria", Ltda', user_name: '@Bruno "B" Silva', port: 51000, user_id: ids.user })
    expect(Object.keys(rows[2])).toEqual(expect.arrayContaining(['prev_hash', 'hash', 'delivery_id', 'attachment_id']))
    const lines = (await run({ format: 'ndjson' })).text.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines).toEqual(rows)
    expect(JSON.parse((await run({ format: 'json', filters: { afterId: 99 } })).text)).toEqual([])
  })

  it('table: times in America/Sao_Paulo unless another zone is given', async () => {
    const local = (await run({ format: 'table' })).text
    expect(local.split('\n')[0]).toMatch(/^ID\s+WHEN\s+CLIENT/)
    expect(local).toContain('2026-11-01 00:30:00')
    expect((await run({ format: 'table', timeZone: 'UTC' })).text).toContain('2026-11-01 03:30:00')
  })
})

describe('control and invisible characters (docs/rules.md#text-input)', () => {
  // C1 CSI and NEL, a zero-width space, a bidi override and mark, a BOM and ESC: stored before the
  // input rules or sent by a client, never written raw by any format or path.
  const NASTY = 'x\u009b2J\u0085\u200b\u202e\u200f\ufeff\u001b]0;t\u0007y'
  const RAW = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\ufeff]/

  beforeEach(async () => {
    await t.db.updateTable('documents').set({ title: `DAS ${NASTY}` }).where('id', '=', ids.doc).execute()
    await recordAccess(t.db, { documentId: ids.doc, clientId: ids.client, channel: 'portal', action: 'view', userAgent: `UA ${NASTY}` })
  })

  for (const format of ['csv', 'ndjson', 'json', 'table'] as const) {
    it(`${format}: escaped on the fast and the portable path alike`, async () => {
      const fast = await run({ format, batchSize: 2 })
      const portable = await run({ format, fast: false, batchSize: 2 })
      expect(fast.text).toBe(portable.text)
      expect(fast.text).not.toMatch(RAW)
      // The table cuts long cells: the title's start shows.
      expect(fast.text).toContain(format === 'table' ? 'DAS x\\u009b2J\\u0085' : '\\u009b2J\\u0085\\u200b\\u202e\\u200f\\ufeff\\u001b]0;t\\u0007y')
    })
  }

  it('JSON reads back the stored value exactly', async () => {
    const rows = JSON.parse((await run({ format: 'json' })).text)
    expect(rows.at(-1)).toMatchObject({ user_agent: `UA ${NASTY}`, document_title: `DAS ${NASTY}` })
    const lines = (await run({ format: 'ndjson' })).text.trim().split('\n').map((l) => JSON.parse(l))
    expect(lines).toEqual(rows)
  })

  it('the Excel dialect keeps its own byte-order mark, and only that one', async () => {
    const { text } = await run({ format: 'csv', excel: true })
    expect(text.startsWith('\ufeff')).toBe(true)
    expect(text.slice(1)).not.toMatch(RAW)
  })
})

describe('filters', () => {
  const idsOf = async (filters: ExportOptions['filters'], fast = true) =>
    (await run({ format: 'ndjson', filters, fast })).text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).id)

  it('by client, document, user, time and id, on both paths', async () => {
    for (const fast of [true, false]) {
      // Rows 1 and 2 are the documents' document.published rows (2026-10-01).
      expect(await idsOf({ clientId: ids.other }, fast)).toEqual([2, 5])
      expect(await idsOf({ documentId: ids.doc }, fast)).toEqual([1, 3, 4, 6])
      expect(await idsOf({ userId: ids.user }, fast)).toEqual([3])
      expect(await idsOf({ afterId: 4 }, fast)).toEqual([5, 6])
      // 2026-11-01 in São Paulo starts at 03:00Z: row 3 (03:30Z) is the first of the day.
      expect(await idsOf({ since: parseTimeBound('2026-11-01', 'America/Sao_Paulo', 'since') }, fast)).toEqual([3, 4, 5, 6])
      expect(await idsOf({ until: parseTimeBound('2026-11-01 01:30', 'America/Sao_Paulo', 'until') }, fast)).toEqual([1, 2, 3, 4])
      expect(await idsOf({ since: parseTimeBound('2026-11-01T05:30:00Z', 'UTC', 'since') }, fast)).toEqual([5, 6])
    }
  })

  it('reads time bounds as the person means them', () => {
    expect(parseTimeBound('2026-11-01', 'America/Sao_Paulo', 'since')).toBe('2026-11-01T03:00:00.000Z')
    expect(parseTimeBound('2026-11-30', 'America/Sao_Paulo', 'until')).toBe('2026-12-01T03:00:00.000Z')
    expect(parseTimeBound('2026-11-01T12:00:00-03:00', 'UTC', 'since')).toBe('2026-11-01T15:00:00.000Z')
    for (const bad of ['2026-02-30', 'ontem', '01/11/2026']) {
      expect(() => parseTimeBound(bad, 'UTC', 'since')).toThrow(/not a date or time/)
    }
  })
})

describe('--output and --state', () => {
  const state = () => join(t.dir, 'export.state')

  it('writes --output atomically and leaves nothing behind on failure', async () => {
    const out = join(t.dir, 'acessos.csv')
    const result = await run({ target: { kind: 'file', path: out } })
    expect(result.rows).toBe(6)
    expect(readFileSync(out, 'utf8').split('\r\n')[0]).toBe(CSV_COLUMNS.join(','))
    await expect(run({ target: { kind: 'file', path: join(t.dir, 'missing', 'x.csv') } })).rejects.toThrow(
      /cannot write the output file .*does not exist.*choose a writable path/,
    )
    mkdirSync(join(t.dir, 'adir'))
    await expect(run({ target: { kind: 'file', path: join(t.dir, 'adir') } })).rejects.toThrow(/is a directory/)
    // A failure during the export (here: the state cannot be written) leaves the old file intact.
    await expect(
      run({ target: { kind: 'file', path: out }, statePath: join(t.dir, 'missing', 'state') }),
    ).rejects.toThrow(/cannot write the state file/)
    expect(readFileSync(out, 'utf8').split('\r\n').length).toBe(8)
    expect(readdirSync(t.dir).filter((n) => n.includes('.tmp-'))).toEqual([])
  })

  it('exports only new rows on each run', async () => {
    const first = await run({ format: 'ndjson', statePath: state() })
    expect(first.rows).toBe(6)
    expect(readExportState(state())).toEqual({ lastId: 6, lastHash: expect.stringMatching(/^[0-9a-f]{64}$/), pending: null })
    expect((await run({ format: 'ndjson', statePath: state() })).rows).toBe(0)
    await recordAccess(t.db, { documentId: ids.doc, clientId: ids.client, channel: 'portal', action: 'view' })
    const third = await run({ format: 'ndjson', statePath: state() })
    expect(third.text.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual([7])
  })

  it('refuses a corrupt state file and changes nothing', async () => {
    for (const bad of ['garbage', '{"version":1,"last_id":-3}', '{"version":2,"last_id":3}', '']) {
      writeFileSync(state(), bad)
      await expect(run({ statePath: state() })).rejects.toThrow(/state file .* is corrupt .*: restore it/)
      expect(readFileSync(state(), 'utf8')).toBe(bad)
    }
  })

  it('after a run killed while appending to a file, removes its partial rows and exports them once', async () => {
    const out = join(t.dir, 'acessos.ndjson')
    const fd = openSync(out, 'a')
    try {
      // Rows 1 to 4 were exported by an earlier run, as `>> acessos.ndjson` would append them.
      await exportToFd(fd, { until: '2026-11-01T05:00:00.000Z' })
      writeFileSync(state(), JSON.stringify({ version: 1, last_id: 4 }))
      // The next run was killed half way: its pending record written, part of a row appended.
      const s = fstatSync(fd, { bigint: true })
      const pending = { kind: 'append', dev: String(s.dev), ino: String(s.ino), offset: Number(s.size) }
      writeFileSync(state(), JSON.stringify({ version: 1, last_id: 4, pending }))
      writeSync(fd, '{"id":5,"at":"2026-11-0')
      const result = await exportToFd(fd, {}, state())
      expect(result.notes.join()).toMatch(/interrupted/)
      const all = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l).id)
      expect(all).toEqual([1, 2, 3, 4, 5, 6])
      expect(readExportState(state())).toEqual({ lastId: 6, lastHash: expect.stringMatching(/^[0-9a-f]{64}$/), pending: null })
    } finally {
      closeSync(fd)
    }
  })

  it('after a run killed between renaming --output and saving the state, does not repeat its rows', async () => {
    const out = join(t.dir, 'acessos.csv')
    await run({ target: { kind: 'file', path: out }, statePath: state(), filters: {} })
    // Simulate: the output of rows 1..6 was renamed into place, the state still says 0.
    const s = statSync(out, { bigint: true })
    writeFileSync(
      state(),
      JSON.stringify({ version: 1, last_id: 0, pending: { kind: 'replace', path: out, tempPath: `${out}.gone`, dev: String(s.dev), ino: String(s.ino), to: 6 } }),
    )
    const again = await run({ target: { kind: 'file', path: out }, statePath: state() })
    expect(again.rows).toBe(0)
    expect(readExportState(state())).toEqual({ lastId: 6, lastHash: expect.stringMatching(/^[0-9a-f]{64}$/), pending: null })
  })

  it('refuses while a live process holds the state lock, and changes nothing', async () => {
    await run({ format: 'ndjson', statePath: state() })
    const before = readFileSync(state(), 'utf8')
    // The parent of this test process is alive and is not this process.
    writeFileSync(`${state()}.lock`, JSON.stringify({ pid: process.ppid, started_at: 'x' }))
    await expect(run({ format: 'ndjson', statePath: state() })).rejects.toThrow(
      `another export is using the state file ${state()} (pid ${process.ppid}); try again when it finishes`,
    )
    expect(readFileSync(state(), 'utf8')).toBe(before)
    expect(existsSync(`${state()}.lock`)).toBe(true)
  })

  it('takes over a lock left by a dead process, a reused pid or a garbled file', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    const deadPid = Number(dead.stdout)
    const stale = [
      JSON.stringify({ pid: deadPid, proc_start: null, started_at: '2026-01-01T00:00:00.000Z' }),
      '',
      '{"pid":',
    ]
    // A live pid, but the process started at another time: the pid was given to someone else.
    if (existsSync('/proc/self/stat')) {
      stale.push(JSON.stringify({ pid: process.ppid, proc_start: '1', started_at: '2026-01-01T00:00:00.000Z' }))
    }
    let expected = 6
    for (const text of stale) {
      writeFileSync(`${state()}.lock`, text)
      const result = await run({ format: 'ndjson', statePath: state() })
      expect(result.rows).toBe(expected)
      expect(existsSync(`${state()}.lock`)).toBe(false)
      expect(readdirSync(t.dir).filter((n) => n.includes('.lock') || n.includes('.tmp-'))).toEqual([])
      await recordAccess(t.db, { documentId: ids.doc, clientId: ids.client, channel: 'portal', action: 'view' })
      expected = 1
    }
  })

  it('releases the lock after a failed export; one state cannot be locked twice', async () => {
    writeFileSync(state(), 'garbage')
    await expect(run({ statePath: state() })).rejects.toThrow(/corrupt/)
    expect(existsSync(`${state()}.lock`)).toBe(false)
    const release = lockExportState(state())
    expect(() => lockExportState(state())).toThrow(/another export is using the state file/)
    release()
    lockExportState(state())()
  })

  it('the independent verifier of docs/access-log.md accepts a real export and catches a change', async () => {
    const doc = readFileSync(new URL('../../../docs/access-log.md', import.meta.url), 'utf8')
    const script = /<!-- verifier:start -->\n```js\n([\s\S]*?)```\n<!-- verifier:end -->/.exec(doc)?.[1] ?? ''
    expect(script.trim().split('\n').length).toBeLessThanOrEqual(20)
    const verifier = join(t.dir, 'verify-access-log.mjs')
    writeFileSync(verifier, script)
    const out = join(t.dir, 'acessos.ndjson')
    await run({ format: 'ndjson', target: { kind: 'file', path: out } })
    const ok = execFileSync(process.execPath, [verifier, out, '0'.repeat(64)], { encoding: 'utf8' })
    expect(ok).toMatch(/^6 rows verified; last hash [0-9a-f]{64}/)
    const exported = readFileSync(out, 'utf8')
    // Row 3's IP is committed: a changed value no longer matches its commitment.
    writeFileSync(out, exported.replace('"ip":"203.0.113.9"', '"ip":"203.0.113.8"'))
    expect(() => execFileSync(process.execPath, [verifier, out], { stdio: 'pipe' })).toThrow(/row 3: ip does not match its commitment/)
    // A value shown without its salt is unproven, not erased: an erasure clears both.
    writeFileSync(out, exported.replace(/"ip":"203\.0\.113\.9"(.*?)"ip_salt":"[0-9a-f]{32}"/, '"ip":"203.0.113.8"$1"ip_salt":null'))
    expect(() => execFileSync(process.execPath, [verifier, out], { stdio: 'pipe' })).toThrow(/row 3: ip does not match its commitment/)
    writeFileSync(out, exported.replace('"channel":"portal"', '"channel":"email"'))
    expect(() => execFileSync(process.execPath, [verifier, out], { stdio: 'pipe' })).toThrow(/row 3: hash does not match/)
    expect(existsSync(out)).toBe(true)
  })
})

async function exportToFd(fd: number, filters: ExportOptions['filters'], statePath?: string) {
  const stream = createWriteStream('', { fd, autoClose: false })
  return exportAccessLog(t.open, { filters, format: 'ndjson', target: { kind: 'stream', stream, fd }, statePath })
}
