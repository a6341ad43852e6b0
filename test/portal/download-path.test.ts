// The gated download after its performance work (docs/decisions.md, "Portal performance"): one
// query for session and user, one for the document and its files, a file cache, group commit.
// Every rule must hold on the very next request, whatever is cached.
import { describe, expect, it } from 'vitest'
import { accountant } from '../../src/core/actors.js'
import { setClock } from '../../src/core/time.js'
import { disableUser } from '../../src/core/identity/users.js'
import { usePortalWorld } from '../helpers/portal.js'
import { accessRowsOf } from '../helpers/access-log.js'

const w = usePortalWorld()

async function setUp() {
  const client = await w.client('Oficina Roda Viva Ltda')
  const ana = await w.user(client, 'ana', { role: 'admin' })
  const doc = await w.doc(client, 'Guia DAS', 'fiscal', Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251)))
  const cookie = await w.cookieFor(ana)
  const path = `/documents/${doc.id}/files/${doc.attachments[0].id}`
  return { client, ana, doc, cookie, path }
}

describe('gated download path', () => {
  it('serves the exact bytes every time, from disk and then from the cache, logging each download', async () => {
    const { doc, cookie, path } = await setUp()
    for (let i = 0; i < 3; i++) {
      const response = await w.request(path, { cookie })
      expect(response.status).toBe(200)
      expect(Buffer.from(await response.arrayBuffer()).equals(doc.bytes)).toBe(true)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(response.headers.get('content-length')).toBe(String(doc.bytes.length))
    }
    const rows = await w.accessRows()
    expect(rows.map((r) => [r.action, Number(r.attachment_id)])).toEqual(Array(3).fill(['download', doc.attachments[0].id]))
  })

  it('has committed the access-log row when the response arrives', async () => {
    const { path, cookie } = await setUp()
    const response = await w.request(path, { cookie })
    expect(response.status).toBe(200)
    // Read straight from the database, without waiting for the writer: the row is already there.
    const rows = await accessRowsOf(w.db)
    expect(rows.map(({ action, channel }) => ({ action, channel }))).toEqual([{ action: 'download', channel: 'portal' }])
  })

  it('refuses a user disabled since the last download on the very next request', async () => {
    const { ana, path, cookie } = await setUp()
    expect((await w.request(path, { cookie })).status).toBe(200)
    // Straight in the database too, bypassing the admin pages (no cache may hide it).
    await w.db.updateTable('client_users').set({ status: 'disabled' }).where('id', '=', ana.id).execute()
    const refused = await w.request(path, { cookie })
    expect(refused.status).toBe(303)
    expect(refused.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}&aviso=sessao`)
    expect(await w.accessRows()).toHaveLength(1)
  })

  it('refuses after a disable through core (sessions ended) and after an idle expiry', async () => {
    const { client, ana, path, cookie } = await setUp()
    await w.user(client, 'outra', { role: 'admin' }) // the last active admin cannot be disabled
    expect((await w.request(path, { cookie })).status).toBe(200)
    await disableUser(w.db, accountant('cli:test'), ana.id)
    expect((await w.request(path, { cookie })).status).toBe(303)

    const other = await w.client('Outra Oficina Ltda')
    const bia = await w.user(other, 'bia', { role: 'admin' })
    const doc = await w.doc(other, 'Folha', 'pessoal')
    const biaCookie = await w.cookieFor(bia)
    const biaPath = `/documents/${doc.id}/files/${doc.attachments[0].id}`
    expect((await w.request(biaPath, { cookie: biaCookie })).status).toBe(200)
    const restore = setClock(() => new Date(Date.now() + 61 * 60_000))
    try {
      expect((await w.request(biaPath, { cookie: biaCookie })).status).toBe(303)
    } finally {
      restore()
    }
  })

  it('follows a visibility change on the next request: hidden category, then hidden company', async () => {
    const head = await w.client('Matriz Ltda')
    const branch = await w.client('Filial Ltda')
    await w.group(head, [branch])
    await w.user(head, 'chefe', { role: 'admin' })
    const colab = await w.user(head, 'colab')
    const doc = await w.doc(branch, 'Balancete', 'contabil')
    const cookie = await w.cookieFor(colab)
    const path = `/documents/${doc.id}/files/${doc.attachments[0].id}`
    expect((await w.request(path, { cookie })).status).toBe(200)
    await w.hide(colab, { categories: ['contabil'] })
    expect((await w.request(path, { cookie })).status).toBe(404)
    await w.hide(colab, { companies: [branch.id] })
    expect((await w.request(path, { cookie })).status).toBe(404)
    await w.hide(colab, {})
    expect((await w.request(path, { cookie })).status).toBe(200)
  })
})
