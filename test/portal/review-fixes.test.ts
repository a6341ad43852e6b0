import { createHash } from 'node:crypto'
import { accountant } from '../../src/core/actors.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setFirmOptions } from '../../src/core/clients/firm.js'
import { activateUser } from '../../src/core/identity/users.js'
import { CSS } from '../../src/portal/views/layout.js'
import { createPortalWorld, PASSWORD, sessionCookie, type PortalWorld } from './world.js'

// Defects found in review of the portal (issue 4), one describe each.

let w: PortalWorld
beforeEach(async () => {
  w = await createPortalWorld()
})
afterEach(async () => {
  await w.close()
})

async function link(requireLogin: 'on' | 'off' | 'inherit') {
  const client = await w.client('Padaria Pão Quente Ltda', { requireLogin })
  const doc = await w.doc(client, 'DAS Março 2026', 'fiscal')
  const token = await w.deliver(doc)
  return { client, doc, token, file: `/d/${token}/files/${doc.attachments[0].id}` }
}

const REGISTRATION = { name: 'Intruso', username: 'intruso', email: '', password: PASSWORD }

describe('login and create-account only on links that require login (docs/rules.md#document-links-and-login)', () => {
  it.each(['off', 'inherit'] as const)(
    'refuses registration on a link with require_login %s: back to the link, nobody created',
    async (requireLogin) => {
      const { token } = await link(requireLogin)
      const response = await w.request(`/d/${token}/register`, { form: REGISTRATION })
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe(`/d/${token}`)
      expect(sessionCookie(response)).toBeUndefined()
      expect(await w.db.selectFrom('client_users').select('id').execute()).toEqual([])
    },
  )

  it('refuses registration through a group member’s open link, so nobody becomes admin of it', async () => {
    const head = await w.client('Matriz Ltda')
    const { client, token } = await link('off')
    await w.group(head, [client])
    await w.request(`/d/${token}/register`, { form: REGISTRATION })
    expect(await w.db.selectFrom('client_users').select('id').execute()).toEqual([])
  })

  it('refuses login on a link without login: back to the link, no session', async () => {
    const { client, token } = await link('off')
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
    const { token } = await link('inherit')
    await setFirmOptions(w.db, accountant('cli:test'), { requireLogin: true })
    const response = await w.request(`/d/${token}/register`, { form: REGISTRATION })
    expect(response.status).toBe(303)
    expect(sessionCookie(response)).toBeDefined()
    expect(await w.db.selectFrom('client_users').select('username').execute()).toEqual([{ username: 'intruso' }])
  })
})

describe('HEAD on documents and links', () => {
  it('answers 405 with Allow: GET and writes no access-log row', async () => {
    const { client, doc, token, file } = await link('off')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const cookie = await w.cookieFor(ana)
    const paths = [`/d/${token}`, file, `/documents/${doc.id}`, `/documents/${doc.id}/files/${doc.attachments[0].id}`]
    for (const path of paths) {
      const response = await w.request(path, { method: 'HEAD', cookie })
      expect(response.status, path).toBe(405)
      expect(response.headers.get('allow'), path).toBe('GET')
      expect(await response.text()).toBe('')
    }
    expect(await w.accessRows()).toHaveLength(0)
    // GET still serves and logs.
    expect((await w.request(file, { cookie })).status).toBe(200)
    expect(await w.accessRows()).toHaveLength(1)
  })

  it('keeps HEAD working on pages that log nothing', async () => {
    expect((await w.request('/login', { method: 'HEAD' })).status).toBe(200)
    expect((await w.request('/healthz', { method: 'HEAD' })).status).toBe(200)
  })
})

describe('a delivery-only session after the user is activated', () => {
  it('ends the session and sends the user to log in again with a notice', async () => {
    const { client, token } = await link('on')
    await w.user(client, 'ana', { role: 'admin' })
    const bruno = await w.user(client, 'bruno', { status: 'pending' })
    // The session a pending user gets from a delivery link's login (delivery.test.ts).
    const cookie = await w.cookieFor(bruno, 'delivery')
    expect((await w.request(`/d/${token}`, { cookie })).status).toBe(200)
    expect((await w.request('/', { cookie })).status).toBe(403)

    await activateUser(w.db, accountant('cli:test'), bruno.id)
    const response = await w.request('/', { cookie })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/login?aviso=ativada')
    expect(response.headers.get('set-cookie')).toMatch(/confi_session=;.*Max-Age=0/)
    expect(await w.db.selectFrom('sessions').select('id').where('user_id', '=', bruno.id).execute()).toEqual([])
    // The old cookie is nobody now; an area session (a new login) opens the client area.
    expect((await w.request('/account', { cookie })).headers.get('location')).toBe('/login')
    expect((await w.request('/', { cookie: await w.cookieFor(bruno) })).status).toBe(200)
  })

  it('does the same on the other client-area pages, and leaves pending users waiting', async () => {
    const { client } = await link('on')
    await w.user(client, 'ana', { role: 'admin' })
    const carla = await w.user(client, 'carla', { role: 'admin' })
    const pending = await w.user(client, 'davi', { status: 'pending' })
    const stale = await w.cookieFor(carla, 'delivery')
    const response = await w.request('/users', { cookie: stale })
    expect(response.headers.get('location')).toBe('/login?aviso=ativada')
    const waiting = await w.request('/account', { cookie: await w.cookieFor(pending, 'delivery') })
    expect(waiting.status).toBe(403)
    expect(await waiting.text()).toContain('aguardando ativação')
  })

  it('shows the pt-BR notice on the login page', async () => {
    const page = await w.request('/login?aviso=ativada')
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Sua conta foi ativada. Entre novamente.')
  })
})

describe('narrow screens', () => {
  it('wraps long words and allows the served stylesheet by its hash', async () => {
    const { client } = await link('off')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const response = await w.request('/', { cookie: await w.cookieFor(ana) })
    const html = await response.text()
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1]
    expect(css).toBe(CSS)
    expect(css).toMatch(/h1,[^{]*td[^{]*\{overflow-wrap:anywhere\}/)
    const hash = `'sha256-${createHash('sha256').update(css!).digest('base64')}'`
    expect(response.headers.get('content-security-policy')).toContain(`style-src ${hash}`)
  })
})

describe('dashboard competence filter', () => {
  it('uses core’s rule: a year before 1900 is a competence error, not a page error', async () => {
    const { client } = await link('off')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const cookie = await w.cookieFor(ana)
    for (const value of ['1899-03', '2026-13', '2026-3']) {
      const response = await w.request(`/?competence=${value}`, { cookie })
      expect(response.status, value).toBe(400)
      expect(await response.text(), value).toContain('A competência deve estar no formato AAAA-MM')
    }
    const ok = await w.request('/?competence=2026-03', { cookie })
    expect(ok.status).toBe(200)
    expect(await ok.text()).toContain('DAS Março 2026')
  })
})

describe('registration through a delivery link is throttled like the login link', () => {
  it('answers 429 with Retry-After after 20 attempts from one address, creating nobody', async () => {
    const { token } = await link('on')
    const path = `/d/${token}/register`
    for (let i = 0; i < 20; i++) {
      const form = { ...REGISTRATION, username: `pessoa${i}`, password: 'curta' }
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
