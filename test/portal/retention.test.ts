// Issue 21 part 3 in the portal: an expired document's link answers 410 in pt-BR, and it leaves
// the client's lists; another client's expired document stays a plain 404.
import { readdirSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runRetention } from '../../src/core/retention/run.js'
import { ACCOUNTANT } from '../helpers/factories.js'
import { usePortalWorld, visible } from '../helpers/portal.js'

const w = usePortalWorld()

function ageStore(): void {
  const dir = join(w.t.config.dataDir, 'files')
  const old = new Date('2020-01-01T00:00:00Z')
  for (const prefix of readdirSync(dir).filter((n) => /^[0-9a-f]{2}$/.test(n))) {
    for (const name of readdirSync(join(dir, prefix))) utimesSync(join(dir, prefix, name), old, old)
  }
}

describe('an expired document in the portal', () => {
  it('its link answers 410 saying the retention policy removed it, and the lists leave it out', async () => {
    const { client, ana } = await w.clientWithAdmin()
    const old = await w.doc(client, 'DAS Março 2015')
    await w.db.updateTable('documents').set({ competence: '2015-03' }).where('id', '=', old.id).execute()
    const kept = await w.doc(client, 'DAS Março 2026')
    const token = await w.deliver(old)
    const cookie = await w.cookieFor(ana)
    const stranger = await w.user(await w.client('Oficina Ltda'), 'gil', { role: 'admin' })
    ageStore()
    const result = await runRetention(w.db, w.store, ACCOUNTANT, { today: '2026-06-10' })
    expect(result.documents.map((d) => d.id)).toEqual([old.id])

    const link = await w.request(`/d/${token}`)
    expect(link.status).toBe(410)
    const page = visible(await link.text())
    expect(page).toContain('Documento removido')
    expect(page).toContain('Este documento foi removido pela política de retenção do escritório')
    const file = await w.request(`/d/${token}/files/${old.attachments[0].id}`)
    expect(file.status).toBe(410)

    const inArea = await w.request(`/documents/${old.id}`, { cookie })
    expect(inArea.status).toBe(410)
    expect(visible(await inArea.text())).toContain('política de retenção')
    // To someone who could never see it, it never existed.
    expect((await w.request(`/documents/${old.id}`, { cookie: await w.cookieFor(stranger) })).status).toBe(404)

    const home = visible(await (await w.request('/', { cookie })).text())
    expect(home).toContain('DAS Março 2026')
    expect(home).not.toContain('DAS Março 2015')
    expect(kept.id).toBeGreaterThan(old.id)
  })
})
