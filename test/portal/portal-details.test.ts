import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPortalWorld, type PortalWorld } from '../helpers/portal.js'
import { ACCOUNTANT } from '../helpers/factories.js'

// Issue 9 §4 (the parts done): competência as MM/AAAA; wording of the admins' new-user form.

let w: PortalWorld
beforeEach(async () => {
  w = await createPortalWorld()
})
afterEach(async () => {
  await w.close()
})

describe('portal details', () => {
  it('accepts a competência typed as MM/AAAA as well as AAAA-MM', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    await w.doc(client, 'DAS Março', 'fiscal') // competence 2026-03
    const cookie = await w.cookieFor(ana)
    for (const value of ['03/2026', '3/2026', '2026-03']) {
      const response = await w.request(`/?competence=${encodeURIComponent(value)}`, { cookie })
      expect(response.status, value).toBe(200)
      expect(await response.text(), value).toContain('DAS Março')
    }
    const other = await w.request(`/?competence=${encodeURIComponent('04/2026')}`, { cookie })
    expect(await other.text()).not.toContain('DAS Março')
    expect((await w.request(`/?competence=${encodeURIComponent('13/2026')}`, { cookie })).status).toBe(400)
  })

  it('speaks of the new person on the admins’ form, lists every username character, and never says to share a password', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const html = await (await w.request('/users', { cookie: await w.cookieFor(ana) })).text()
    const form = html.slice(html.indexOf('action="/users"'))
    expect(form).toContain('O nome que a pessoa usará para entrar')
    expect(form).not.toContain('você usará')
    for (const allowed of ['ponto (.)', 'hífen (-)', 'sublinhado (_)', 'arroba (@)']) expect(form).toContain(allowed)
    expect(html.toLowerCase()).not.toMatch(/compartilhe (o usuário e )?a senha/)
  })
})

describe('dead links say which', () => {
  it('says "Link revogado" for a revoked link and "Link expirado" for an expired one', async () => {
    const { resolveDelivery, revokeDelivery } = await import('../../src/core/delivery/deliveries.js')
    const client = await w.client('Padaria Pão Quente Ltda')
    const doc = await w.doc(client, 'DAS Março', 'fiscal')
    const token = await w.deliver(doc)
    const resolved = await resolveDelivery(w.db, token)
    if (resolved.status !== 'ok') throw new Error('expected ok')
    await revokeDelivery(w.db, ACCOUNTANT, resolved.delivery.id)
    const revoked = await w.request(`/d/${token}`)
    expect(revoked.status).toBe(410)
    const revokedHtml = await revoked.text()
    expect(revokedHtml).toContain('Link revogado')
    expect(revokedHtml).not.toContain('Link expirado')
    const expiring = await w.deliver(doc, { expiresAt: new Date(Date.now() + 500).toISOString() })
    await new Promise((r) => setTimeout(r, 600))
    const expired = await (await w.request(`/d/${expiring}`)).text()
    expect(expired).toContain('Link expirado')
    expect(expired).not.toContain('Link revogado')
  })
})
