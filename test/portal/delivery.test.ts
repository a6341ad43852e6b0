import { describe, expect, it } from 'vitest'
import { accountant } from '../../src/core/actors.js'
import { editClient } from '../../src/core/clients/clients.js'
import { revokeDelivery, resolveDelivery } from '../../src/core/delivery/deliveries.js'
import { setFirmOptions } from '../../src/core/clients/firm.js'
import { usePortalWorld, PASSWORD, sessionCookie } from '../helpers/portal.js'

const w = usePortalWorld()

const REGISTRATION = { name: 'Intruso', username: 'intruso', email: '', password: PASSWORD, password_confirm: PASSWORD }

describe('document links without login (docs/rules.md#document-links-and-login)', () => {
  it('opens the page and the file for anyone and logs them with no user and the delivery channel', async () => {
    const { doc, token, file } = await w.link('off')
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
    const { client, token } = await w.link('off')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    await w.request(`/d/${token}`, { cookie: await w.cookieFor(ana) })
    const [row] = await w.accessRows()
    expect([row.user_id, row.username, row.user_name]).toEqual([ana.id, 'ana', 'Nome ana'])
  })

  it('follows the firm default when the client inherits it', async () => {
    const { token } = await w.link('inherit')
    expect((await w.request(`/d/${token}`)).status).toBe(200)
    await setFirmOptions(w.db, accountant('cli:test'), { requireLogin: true })
    expect((await w.request(`/d/${token}`)).status).toBe(401)
  })
})

describe('document links that require login (docs/rules.md#document-links-and-login)', () => {
  it('shows login and create-account forms and no document data without a session', async () => {
    const { doc, token, file } = await w.link('on')
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
    const { client, doc, token, file } = await w.link('on')
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
    const { client, token } = await w.link('on')
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
    const { client, token } = await w.link('on')
    const first = await w.request(`/d/${token}/register`, {
      form: { name: 'Ana Souza', username: 'ana', email: 'ana@padaria.com.br', password: PASSWORD, password_confirm: PASSWORD },
    })
    expect(first.status).toBe(303)
    expect(first.headers.get('location')).toBe(`/d/${token}`)
    const second = await w.request(`/d/${token}/register`, {
      form: { name: 'Bruno Lima', username: 'bruno', email: '', password: PASSWORD, password_confirm: PASSWORD },
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
    const { token } = await w.link('on')
    const other = await w.client('Outra SA')
    await w.user(other, 'dono', { role: 'admin' })
    await w.user(other, 'espera', { status: 'pending' })
    const response = await w.request(`/d/${token}/login`, { form: { username: 'espera', password: PASSWORD } })
    expect(response.status).toBe(403)
    expect(sessionCookie(response)).toBeUndefined()
  })

  it('tells a disabled user with the right password that the account is disabled; a wrong one learns nothing', async () => {
    const { client, token } = await w.link('on')
    await w.user(client, 'ana', { role: 'admin' })
    await w.user(client, 'fora', { status: 'disabled' })
    const right = await w.request(`/d/${token}/login`, { form: { username: 'fora', password: PASSWORD } })
    expect(right.status).toBe(403)
    expect(right.headers.get('set-cookie') ?? '').not.toContain('confi_session=')
    const page = await right.text()
    expect(page).toContain('Conta desativada')
    expect(page).toContain('Nome ana')
    const wrong = await w.request(`/d/${token}/login`, { form: { username: 'fora', password: 'senha-errada' } })
    expect(wrong.status).toBe(401)
    const wrongPage = await wrong.text()
    expect(wrongPage).toContain('Usuário ou senha incorretos')
    expect(wrongPage).not.toContain('desativada')
  })
})

describe('dead links', () => {
  it('answers 404 for an unknown token and 410 for expired or revoked deliveries, logging nothing', async () => {
    const { doc, token } = await w.link('off')
    expect((await w.request(`/d/${'x'.repeat(43)}`)).status).toBe(404)
    const future = new Date(Date.now() + 1000).toISOString()
    const expiring = await w.deliver(doc, { expiresAt: future })
    await new Promise((r) => setTimeout(r, 1100))
    const expired = await w.request(`/d/${expiring}`)
    expect(expired.status).toBe(410)
    expect(await expired.text()).toContain('Este link expirou')
    const resolved = await resolveDelivery(w.db, token)
    if (resolved.status !== 'ok') throw new Error('expected ok')
    await revokeDelivery(w.db, accountant('cli:test'), resolved.delivery.id)
    expect((await w.request(`/d/${token}`)).status).toBe(410)
    expect((await w.request(`/d/${token}/files/${doc.attachments[0].id}`)).status).toBe(410)
    expect(await w.accessRows()).toHaveLength(0)
  })

  it('keeps a client setting of on even when the firm default is off', async () => {
    const { client, token } = await w.link('inherit')
    await editClient(w.db, accountant('cli:test'), client.id, { requireLogin: 'on' })
    expect((await w.request(`/d/${token}`)).status).toBe(401)
  })

  it('says "Link revogado" for a revoked link and "Link expirado" for an expired one', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const doc = await w.doc(client, 'DAS Março', 'fiscal')
    const token = await w.deliver(doc)
    const resolved = await resolveDelivery(w.db, token)
    if (resolved.status !== 'ok') throw new Error('expected ok')
    await revokeDelivery(w.db, accountant('cli:test'), resolved.delivery.id)
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

describe('login and create-account only on links that require login (docs/rules.md#document-links-and-login)', () => {
  it.each(['off', 'inherit'] as const)(
    'refuses registration on a link with require_login %s: back to the link, nobody created',
    async (requireLogin) => {
      const { token } = await w.link(requireLogin)
      const response = await w.request(`/d/${token}/register`, { form: REGISTRATION })
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe(`/d/${token}`)
      expect(sessionCookie(response)).toBeUndefined()
      expect(await w.db.selectFrom('client_users').select('id').execute()).toEqual([])
    },
  )

  it('refuses registration through a group member’s open link, so nobody becomes admin of it', async () => {
    const head = await w.client('Matriz Ltda')
    const { client, token } = await w.link('off')
    await w.group(head, [client])
    await w.request(`/d/${token}/register`, { form: REGISTRATION })
    expect(await w.db.selectFrom('client_users').select('id').execute()).toEqual([])
  })

  it('refuses login on a link without login: back to the link, no session', async () => {
    const { client, token } = await w.link('off')
    await w.user(client, 'ana', { role: 'admin' })
    const response = await w.request(`/d/${token}/login`, { form: { username: 'ana', password: PASSWORD } })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`/d/${token}`)
    expect(sessionCookie(response)).toBeUndefined()
    expect(await w.db.selectFrom('sessions').select('id').execute()).toEqual([])
    // A wrong password is not even tried: the same redirect, no failure page.
    const wrong = await w.request(`/d/${token}/login`, { form: { username: 'ana', password: 'errada-123' } })
    expect(wrong.status).toBe(303)
  })

  it('still takes registrations once the firm default requires login', async () => {
    const { token } = await w.link('inherit')
    await setFirmOptions(w.db, accountant('cli:test'), { requireLogin: true })
    const response = await w.request(`/d/${token}/register`, { form: REGISTRATION })
    expect(response.status).toBe(303)
    expect(sessionCookie(response)).toBeDefined()
    expect(await w.db.selectFrom('client_users').select('username').execute()).toEqual([{ username: 'intruso' }])
  })
})

describe('registration through a delivery link is throttled like the login link', () => {
  it('answers 429 with Retry-After after 20 attempts from one address, creating nobody', async () => {
    const { token } = await w.link('on')
    const path = `/d/${token}/register`
    for (let i = 0; i < 20; i++) {
      const form = { ...REGISTRATION, username: `pessoa${i}`, password: 'curta', password_confirm: 'curta' }
      expect((await w.request(path, { form })).status).toBe(400)
    }
    const throttled = await w.request(path, { form: REGISTRATION })
    expect(throttled.status).toBe(429)
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await throttled.text()).toContain('Muitas tentativas')
    expect(await w.db.selectFrom('client_users').select('id').execute()).toEqual([])
    const elsewhere = await w.request(path, { form: REGISTRATION, ip: '198.51.100.7' })
    expect(elsewhere.status).toBe(303)
  })
})
