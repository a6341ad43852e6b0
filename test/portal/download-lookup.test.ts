// The gated download reads its session, user, scope and document in one statement
// (core/documents/download-lookup.ts): the hostile cases of that reader, and the rules under
// concurrent downloads (a disable and a visibility change count for every request that starts
// after them; every 200 has its access-log row).
import { describe, expect, it } from 'vitest'
import { usePortalWorld } from '../helpers/portal.js'

const w = usePortalWorld()

const filePath = (doc: { id: number; attachments: { id: number }[] }) => `/documents/${doc.id}/files/${doc.attachments[0].id}`

/**
 * Eight connections download `path` `each` times; once `before` downloads have answered, `change`
 * runs. Each outcome says whether its request started after the change had completed.
 */
async function downloadsAround(path: string, cookie: string, each: number, before: number, change: () => Promise<unknown>) {
  let changed = false
  const outcomes: { after: boolean; status: number }[] = []
  const connection = async () => {
    for (let i = 0; i < each; i++) {
      const after = changed
      const response = await w.request(path, { cookie })
      await response.arrayBuffer()
      outcomes.push({ after, status: response.status })
    }
  }
  const load = Promise.all(Array.from({ length: 8 }, connection))
  while (outcomes.length < before) await new Promise((resolve) => setTimeout(resolve, 1))
  await change()
  changed = true
  await load
  return outcomes
}

describe('the download lookup', () => {
  it('answers 404 for a stranger, an unknown document, another document\'s file and a foreign tombstone; 410 for its own', async () => {
    const { client, ana } = await w.clientWithAdmin()
    const own = await w.doc(client, 'Guia DAS')
    const other = await w.doc(client, 'Balancete', 'contabil')
    const strangerClient = await w.client('Oficina Ltda')
    const gil = await w.user(strangerClient, 'gil', { role: 'admin' })
    const foreign = await w.doc(strangerClient, 'Folha', 'pessoal')
    const cookie = await w.cookieFor(ana)

    expect((await w.request(filePath(own), { cookie })).status).toBe(200)
    expect((await w.request(filePath(foreign), { cookie })).status).toBe(404)
    expect((await w.request(`/documents/999999/files/${own.attachments[0].id}`, { cookie })).status).toBe(404)
    expect((await w.request(`/documents/${own.id}/files/${other.attachments[0].id}`, { cookie })).status).toBe(404)
    expect((await w.request(`/documents/${own.id}/files/abc`, { cookie })).status).toBe(404)
    expect((await w.request(`/documents/99999999999/files/1`, { cookie })).status).toBe(404)

    await w.db.updateTable('documents').set({ expired_at: '2026-06-10T00:00:00.000Z', expired_reason: 'retention' }).where('id', 'in', [own.id, foreign.id]).execute()
    expect((await w.request(filePath(own), { cookie })).status).toBe(410)
    // To someone who could never see it, it never existed.
    expect((await w.request(filePath(foreign), { cookie })).status).toBe(404)
    expect((await w.request(filePath(foreign), { cookie: await w.cookieFor(gil) })).status).toBe(410)
    expect(await w.accessRows()).toHaveLength(1)
  })

  it('refuses every download that starts after a disable, under concurrent downloads, and logs each one served', async () => {
    const { client, ana } = await w.clientWithAdmin()
    const doc = await w.doc(client, 'Guia DAS', 'fiscal', Buffer.alloc(50_000, 7))
    const cookie = await w.cookieFor(ana)
    // Disabled straight in the database (no cache may hide it).
    const outcomes = await downloadsAround(filePath(doc), cookie, 12, 24, () =>
      w.db.updateTable('client_users').set({ status: 'disabled' }).where('id', '=', ana.id).execute(),
    )
    const after = outcomes.filter((o) => o.after)
    expect(after.length).toBeGreaterThan(0)
    expect(after.every((o) => o.status === 303)).toBe(true)
    const served = outcomes.filter((o) => o.status === 200).length
    expect(served).toBeGreaterThanOrEqual(24)
    expect(outcomes.every((o) => o.status === 200 || o.status === 303)).toBe(true)
    expect(await w.accessRows()).toHaveLength(served)
  })

  it('follows a hidden company on the very next request under concurrent downloads', async () => {
    const head = await w.client('Matriz Ltda')
    const branch = await w.client('Filial Ltda')
    await w.group(head, [branch])
    await w.user(head, 'chefe', { role: 'admin' })
    const colab = await w.user(head, 'colab')
    const doc = await w.doc(branch, 'Balancete', 'contabil')
    const cookie = await w.cookieFor(colab)
    const outcomes = await downloadsAround(filePath(doc), cookie, 10, 16, () => w.hide(colab, { companies: [branch.id] }))
    const after = outcomes.filter((o) => o.after)
    expect(after.length).toBeGreaterThan(0)
    expect(after.every((o) => o.status === 404)).toBe(true)
    expect(await w.accessRows()).toHaveLength(outcomes.filter((o) => o.status === 200).length)
  })
})
