import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setFirmOptions } from '../../src/core/clients/firm.js'
import { createPortalWorld, PASSWORD, sessionCookie, type PortalWorld } from '../helpers/portal.js'
import { ACCOUNTANT } from '../helpers/factories.js'

// docs/rules.md#document-links-and-login: a link never gives more than the client area would.

let w: PortalWorld
beforeEach(async () => {
  w = await createPortalWorld()
})
afterEach(async () => {
  await w.close()
})

async function payroll() {
  const client = await w.client('Padaria Pão Quente Ltda', { requireLogin: 'on' })
  const admin = await w.user(client, 'ana', { role: 'admin' })
  const doc = await w.doc(client, 'Folha outubro 2026', 'pessoal')
  const token = await w.deliver(doc)
  return { client, admin, doc, token, file: `/d/${token}/files/${doc.attachments[0].id}` }
}

describe('document links and login', () => {
  it('does not let a stranger who registers on a payroll link open it; names the admins and the firm contact', async () => {
    const { doc, token, file } = await payroll()
    await setFirmOptions(w.db, ACCOUNTANT, { phone: '(11) 3333-4444', contactEmail: 'contato@escritorio.com.br' })
    const registered = await w.request(`/d/${token}/register`, {
      form: { name: 'Estranho', username: 'estranho', password: PASSWORD, password_confirm: PASSWORD },
    })
    expect(registered.status).toBe(303)
    const cookie = sessionCookie(registered)!
    const page = await w.request(`/d/${token}`, { cookie })
    const html = await page.text()
    expect(page.status).toBe(403)
    expect(html).toContain('Documento disponível após a ativação')
    expect(html).toContain('Nome ana')
    expect(html).toContain('+55 11 3333-4444')
    expect(html).toContain('contato@escritorio.com.br')
    expect(html).not.toContain('Folha outubro 2026')
    const download = await w.request(file, { cookie })
    expect(download.status).toBe(403)
    expect(Buffer.from(await download.arrayBuffer()).includes(doc.bytes)).toBe(false)
    expect(await w.accessRows()).toHaveLength(0)
  })

  it('still lets a pending user open its own client’s documents outside pessoal', async () => {
    const { client } = await payroll()
    const fiscal = await w.doc(client, 'DAS outubro', 'fiscal')
    const token = await w.deliver(fiscal)
    const pending = await w.user(client, 'bruno', { status: 'pending' })
    const page = await w.request(`/d/${token}`, { cookie: await w.cookieFor(pending, 'delivery') })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('DAS outubro')
  })

  it('tells a collaborator whose category is hidden that the admin restricted it', async () => {
    const { client, token, file } = await payroll()
    const carla = await w.user(client, 'carla')
    await w.hide(carla, { categories: ['pessoal'] })
    const cookie = await w.cookieFor(carla)
    const page = await w.request(`/d/${token}`, { cookie })
    const html = await page.text()
    expect(page.status).toBe(403)
    expect(html).toContain('seu acesso a esta categoria foi restrito pela administração'.replace(/^s/, 'S'))
    expect(html).not.toContain('entre com uma conta da empresa destinatária')
    expect((await w.request(file, { cookie })).status).toBe(403)
    expect(await w.accessRows()).toHaveLength(0)
  })

  it('still tells a user of another company to log in with the right account', async () => {
    const { token } = await payroll()
    const other = await w.user(await w.client('Outra SA'), 'outro', { role: 'admin' })
    const html = await (await w.request(`/d/${token}`, { cookie: await w.cookieFor(other) })).text()
    expect(html).toContain('entre com uma conta da empresa destinatária')
  })

  it('shows admins on /users how each user came in and when they first opened something', async () => {
    const { client, admin } = await payroll()
    const fiscal = await w.doc(client, 'DAS', 'fiscal')
    await w.db.updateTable('documents').set({ competence: '2026-10' }).where('id', '=', fiscal.id).execute()
    const token = await w.deliver(fiscal)
    const registered = await w.request(`/d/${token}/register`, {
      form: { name: 'Bruno Lima', username: 'bruno', password: PASSWORD, password_confirm: PASSWORD },
    })
    await w.request(`/d/${token}`, { cookie: sessionCookie(registered)! })
    const html = await (await w.request('/users', { cookie: await w.cookieFor(admin) })).text()
    expect(html).toContain('pelo link do documento DAS 10/2026')
    expect(html).toContain('primeiro acesso a um documento em')
    expect(html).toContain('cadastro feito pelo escritório')
    expect(html).toContain('ainda não abriu nenhum documento')
  })
})
