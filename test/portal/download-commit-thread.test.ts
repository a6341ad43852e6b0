// The gated download with the access-log writer of `confi serve` (a commit thread on SQLite,
// docs/decisions.md, "Download speed (issue 13)"): the row is committed before the first byte,
// and a commit that fails refuses the download without sending any of the file.
import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { backendOf } from '../../src/core/db/database.js'
import type { Db } from '../../src/core/db/database.js'
import { usePortalWorld } from '../helpers/portal.js'
import { startServe } from '../helpers/browser.js'
import { accessRowsOf } from '../helpers/access-log.js'

const w = usePortalWorld({ commitThread: true })

async function setUp() {
  const client = await w.client('Padaria Pão Quente Ltda')
  const ana = await w.user(client, 'ana', { role: 'admin' })
  const doc = await w.doc(client, 'Guia DAS', 'fiscal', Buffer.from('%PDF-1.4 conteúdo secreto da guia'))
  return { doc, cookie: await w.cookieFor(ana), path: `/documents/${doc.id}/files/${doc.attachments[0].id}` }
}

// What a full disk or a broken database does to the commit, on either backend.
async function refuseAccessLogInserts(db: Db): Promise<void> {
  if (backendOf(db) === 'sqlite') {
    await sql`CREATE TRIGGER refuse_log BEFORE INSERT ON access_log BEGIN SELECT RAISE(ABORT, 'disk full'); END`.execute(db)
    return
  }
  await sql`CREATE FUNCTION refuse_log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$`.execute(db)
  await sql`CREATE TRIGGER refuse_log BEFORE INSERT ON access_log FOR EACH ROW EXECUTE FUNCTION refuse_log()`.execute(db)
}

describe('gated download through the commit thread', () => {
  it('serves the file with its row already committed, for many downloads at once', async () => {
    const { doc, cookie, path } = await setUp()
    const responses = await Promise.all(Array.from({ length: 12 }, () => w.request(path, { cookie })))
    for (const response of responses) {
      expect(response.status).toBe(200)
      expect(Buffer.from(await response.arrayBuffer()).equals(doc.bytes)).toBe(true)
    }
    // Read straight from the database, without waiting for the writer.
    const rows = await accessRowsOf(w.db)
    expect(rows.map((r) => r.action)).toEqual(Array(12).fill('download'))
  })

  it('refuses the download with 503 and none of the file when the row cannot be committed', async () => {
    const { doc, cookie, path } = await setUp()
    await refuseAccessLogInserts(w.db)
    const response = await w.request(path, { cookie })
    expect(response.status).toBe(503)
    const body = Buffer.from(await response.arrayBuffer())
    expect(body.includes(doc.bytes)).toBe(false)
    expect(body.toString()).not.toContain('conteúdo secreto')
    expect(response.headers.get('content-disposition')).toBeNull()
    expect(w.errors.map((e) => e.message).join('\n')).toContain('access log could not be written')
    // Only the document's document.published row, written when it was filed.
    expect(await w.db.selectFrom('access_log').select('kind').execute()).toEqual([{ kind: 'document.published' }])
  })

  it('confi serve (the bundle) serves through its commit thread and exits promptly on SIGTERM', async () => {
    const { doc, cookie, path } = await setUp()
    const { serve, match } = await startServe(w.t.env)
    const [server, baseUrl] = [serve.process, match[1]]
    try {
      const response = await fetch(`${baseUrl}${path}`, { headers: { cookie } })
      expect(response.status).toBe(200)
      expect(Buffer.from(await response.arrayBuffer()).equals(doc.bytes)).toBe(true)
    } finally {
      const exited = new Promise<number | null>((resolve) => server.once('exit', resolve))
      const started = Date.now()
      server.kill('SIGTERM')
      // The thread commits what is queued and ends; nothing keeps the process alive after it.
      expect(await exited).toBe(0)
      expect(Date.now() - started).toBeLessThan(8000)
    }
    expect((await accessRowsOf(w.db)).map((r) => r.action)).toEqual(['download'])
  }, 30_000)
})
