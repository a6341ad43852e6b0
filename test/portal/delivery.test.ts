import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { editClient } from '../../src/core/clients/clients.js'
import { revokeDelivery, resolveDelivery } from '../../src/core/documents/deliveries.js'
import { setFirmOptions } from '../../src/core/clients/firm.js'
import { createPortalWorld, PASSWORD, sessionCookie, type PortalWorld } from './world.js'

let w: PortalWorld
beforeEach(async () => {
  w = await createPortalWorld()
})
afterEach(async () => {
  await w.close()
})

async function setup(requireLogin: 'on' | 'off' | 'inherit') {
  const client = await w.client('Padaria Pão Quente Ltda', { requireLogin })
  const doc = await w.doc(client, 'DAS Março 2026', 'fiscal')
  const token = await w.deliver(doc)
  return { client, doc, token, file: `/d/${token}/files/${doc.attachments[0].id}` }
}

describe('document links without login (docs/rules.md#document-links-and-login)', () => {
  it('opens the page and the file for anyone and logs them with no user and the delivery channel', async () => {
    const { doc, token, file } = await setup('off')
    const page = await w.request(`/d/${token}`, { headers: { 'user-agent': 'Teste/1.0' } })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('DAS Março 2026')
    const download = await w.request(file)
    expect(download.status).toBe(200)
    expect(Buffer.from(await download.arrayBuffer()).equals(doc.bytes)).toBe(true)
    expect(download.headers.get('content-disposition')).toContain("filename*=UTF-8''DAS%20Mar%C3%A7o%202026.pdf")
    expect(download.headers.get('content-disposition')).toMatch(/^attachment;/)
    expect(download.headers.get('cache-control')).toBe('no-store')
    const rows = await w.accessRows()
    expect(rows.map((r) => [r.action, r.channel, r.user_id, r.ip, r.port])).toEqual([
      ['view', 'email', null, '127.0.0.1', 40000],
      ['download', 'email', null, '127.0.0.1', 40000],
    ])
    expect(rows[0].user_agent).toBe('Teste/1.0')
    expect(rows[1].attachment_id).toBe(doc.attachments[0].id)
  })

  it('records the logged-in user when a session exists', async () => {
    const { client, token } = await setup('off')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    await w.request(`/d/${token}`, { cookie: await w.cookieFor(ana) })
    const [row] = await w.accessRows()
    expect([row.user_id, row.username, row.user_name]).toEqual([ana.id, 'ana', 'Nome ana'])
  })

  it('follows the firm default when the client inherits it', async () => {
    const { token } = await setup('inherit')
    expect((await w.request(`/d/${token}`)).status).toBe(200)
    await setFirmOptions(w.db, 'cli:test', { requireLogin: true })
    expect((await w.request(`/d/${token}`)).status).toBe(401)
  })
})

describe('document links that require login (docs/rules.md#document-links-and-login)', () => {
  it('shows login and create-account forms and no document data without a session', async () => {
    const { doc, token, file } = await setup('on')
    const page = await w.request(`/d/${token}`)
    const html = await page.text()
    expect(page.status).toBe(401)
    expect(html).toContain(`action="/d/${token}/login"`)
    expect(html).toContain(`action="/d/${token}/register"`)
    expect(html).not.toContain('DAS Março')
    expect(html).not.toContain('Padaria')
    const download = await w.request(file)
    expect(download.status).toBe(303)
    expect(Buffer.from(await download.arrayBuffer()).includes(doc.bytes)).toBe(false)
    expect(await w.accessRows()).toHaveLength(0)
  })

  it('lands back on the document after login and records the user', async () => {
    const { client, doc, token, file } = await setup('on')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const login = await w.request(`/d/${token}/login`, { form: { username: 'ana', password: PASSWORD } })
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toBe(`/d/${token}`)
    const cookie = sessionCookie(login)!
    expect((await w.request(`/d/${token}`, { cookie })).status).toBe(200)
    const download = await w.request(file, { cookie })
    expect(Buffer.from(await download.arrayBuffer()).equals(doc.bytes)).toBe(true)
    const rows = await w.accessRows()
    expect(rows.map((r) => [r.action, r.user_id])).toEqual([
      ['view', ana.id],
      ['download', ana.id],
    ])
  })

  it('lets a user of the group head in, but not a member’s or another client’s user', async () => {
    const head = await w.client('Matriz Ltda')
    const sibling = await w.client('Filial Irmã Ltda')
    const { client, token } = await setup('on')
    await w.group(head, [client, sibling])
    const headUser = await w.user(head, 'chefe', { role: 'admin' })
    const siblingUser = await w.user(sibling, 'irma', { role: 'admin' })
    const stranger = await w.user(await w.client('Outra SA'), 'estranho', { role: 'admin' })
    expect((await w.request(`/d/${token}`, { cookie: await w.cookieFor(headUser) })).status).toBe(200)
    for (const user of [siblingUser, stranger]) {
      const response = await w.request(`/d/${token}`, { cookie: await w.cookieFor(user) })
      expect(response.status).toBe(403)
      expect(await response.text()).not.toContain('DAS Março')
    }
    expect(await w.accessRows()).toHaveLength(1)
  })

  it('registers through the link: first user admin, later one pending with a delivery-only session', async () => {
    const { client, token } = await setup('on')
    const first = await w.request(`/d/${token}/register`, {
      form: { name: 'Ana Souza', username: 'ana', email: 'ana@padaria.com.br', password: PASSWORD },
    })
    expect(first.status).toBe(303)
    expect(first.headers.get('location')).toBe(`/d/${token}`)
    const second = await w.request(`/d/${token}/register`, {
      form: { name: 'Bruno Lima', username: 'bruno', email: '', password: PASSWORD },
    })
    expect(second.status).toBe(303)
    const cookie = sessionCookie(second)!
    const page = await w.request(`/d/${token}`, { cookie })
    const html = await page.text()
    expect(page.status).toBe(200)
    expect(html).toContain('DAS Março 2026')
    expect(html).toContain('aguarda ativação')
    // The delivery-only session does not open the client area.
    expect((await w.request('/', { cookie })).status).toBe(403)
    const users = await w.db.selectFrom('client_users').select(['username', 'role', 'status', 'origin', 'client_id']).orderBy('id').execute()
    expect(users).toEqual([
      { username: 'ana', role: 'admin', status: 'active', origin: 'document_link', client_id: client.id },
      { username: 'bruno', role: 'collaborator', status: 'pending', origin: 'document_link', client_id: client.id },
    ])
  })

  it('gives a pending user of another client no session at all', async () => {
    const { token } = await setup('on')
    const other = await w.client('Outra SA')
    await w.user(other, 'dono', { role: 'admin' })
    await w.user(other, 'espera', { status: 'pending' })
    const response = await w.request(`/d/${token}/login`, { form: { username: 'espera', password: PASSWORD } })
    expect(response.status).toBe(403)
    expect(sessionCookie(response)).toBeUndefined()
  })

  it('refuses a disabled user like a wrong password', async () => {
    const { client, token } = await setup('on')
    await w.user(client, 'ana', { role: 'admin' })
    await w.user(client, 'fora', { status: 'disabled' })
    const response = await w.request(`/d/${token}/login`, { form: { username: 'fora', password: PASSWORD } })
    expect(response.status).toBe(401)
    expect(await response.text()).toContain('Usuário ou senha incorretos')
  })
})

describe('dead links', () => {
  it('answers 404 for an unknown token and 410 for expired or revoked deliveries, logging nothing', async () => {
    const { doc, token } = await setup('off')
    expect((await w.request(`/d/${'x'.repeat(43)}`)).status).toBe(404)
    const future = new Date(Date.now() + 1000).toISOString()
    const expiring = await w.deliver(doc, { expiresAt: future })
    await new Promise((r) => setTimeout(r, 1100))
    const expired = await w.request(`/d/${expiring}`)
    expect(expired.status).toBe(410)
    expect(await expired.text()).toContain('Este link expirou')
    const resolved = await resolveDelivery(w.db, token)
    if (resolved.status !== 'ok') throw new Error('expected ok')
    await revokeDelivery(w.db, 'cli:test', resolved.delivery.id)
    expect((await w.request(`/d/${token}`)).status).toBe(410)
    expect((await w.request(`/d/${token}/files/${doc.attachments[0].id}`)).status).toBe(410)
    expect(await w.accessRows()).toHaveLength(0)
  })

  it('keeps a client setting of on even when the firm default is off', async () => {
    const { client, token } = await setup('inherit')
    await editClient(w.db, 'cli:test', client.id, { requireLogin: 'on' })
    expect((await w.request(`/d/${token}`)).status).toBe(401)
  })
})
