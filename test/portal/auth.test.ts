import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { accountant } from '../../src/core/actors.js'
import { activateUser } from '../../src/core/identity/users.js'
import { setClock } from '../../src/core/time.js'
import { createPortalWorld, usePortalWorld, PASSWORD, sessionCookie, type PortalWorld } from '../helpers/portal.js'

const w = usePortalWorld()

const register = (w: PortalWorld, path: string, username: string, extra: Record<string, string> = {}) =>
  w.request(path, { form: { name: `Pessoa ${username}`, username, email: '', password: PASSWORD, ...extra, password_confirm: extra.password ?? PASSWORD } })

describe('login link and registration (docs/rules.md#registration-and-activation)', () => {
  it('shows login and create-account forms with labelled fields for a valid link', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const response = await w.request(w.loginPath(client))
    const html = await response.text()
    expect(response.status).toBe(200)
    expect(html).toContain('Padaria Pão Quente Ltda')
    for (const name of ['username', 'password', 'name', 'email']) expect(html).toContain(`name="${name}"`)
    // Every input has a label pointing at it.
    const ids = [...html.matchAll(/<input[^>]*id="([^"]+)"/g)].map((m) => m[1])
    for (const id of ids) expect(html).toContain(`for="${id}"`)
  })

  it('answers 404 for an unknown or rotated link', async () => {
    expect((await w.request('/area/nao-existe-este-token-aqui')).status).toBe(404)
    expect((await w.request(`/area/${'A'.repeat(43)}`)).status).toBe(404)
  })

  it('makes the first user an active admin with a session, the second pending without one', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const path = `${w.loginPath(client)}/register`
    const first = await register(w, path, 'ana')
    expect(first.status).toBe(303)
    expect(first.headers.get('location')).toBe('/?aviso=admin')
    const cookie = sessionCookie(first)
    expect(cookie).toBeDefined()
    const home = await w.request('/?aviso=admin', { cookie })
    expect(await home.text()).toContain('Você é o administrador')

    const second = await register(w, path, 'bruno')
    expect(second.status).toBe(303)
    expect(sessionCookie(second)).toBeUndefined()
    const waiting = await w.request(second.headers.get('location')!)
    expect(await waiting.text()).toContain('administrador da sua empresa precisa ativá-la')

    const login = await w.request('/login', { form: { username: 'bruno', password: PASSWORD } })
    expect(login.status).toBe(403)
    expect(sessionCookie(login)).toBeUndefined()
    expect(await login.text()).toContain('aguardando ativação')
  })

  it('refuses a duplicate username, a short password and a too-long password with readable pages', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const path = `${w.loginPath(client)}/register`
    await register(w, path, 'ana')
    const dup = await register(w, path, 'ANA')
    expect(dup.status).toBe(409)
    expect(await dup.text()).toContain('já está em uso')
    const short = await register(w, path, 'carla', { password: 'curta' })
    expect(short.status).toBe(400)
    expect(await short.text()).toContain('curta demais')
    const long = await register(w, path, 'carla', { password: 'ç'.repeat(40) })
    expect(long.status).toBe(400)
    expect(await long.text()).toContain('longa demais')
    const noName = await register(w, path, 'carla', { name: '' })
    expect(noName.status).toBe(400)
  })
})

describe('login and logout (docs/rules.md#portal-security)', () => {
  it('logs in, issues a new HttpOnly SameSite=Lax cookie, and logs out', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    await w.user(client, 'ana', { role: 'admin' })
    const login = await w.request('/login', { form: { username: 'Ana', password: PASSWORD } })
    expect(login.status).toBe(303)
    const setCookie = login.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/HttpOnly/i)
    expect(setCookie).toMatch(/SameSite=Lax/i)
    expect(setCookie).not.toMatch(/Secure/i)
    const cookie = sessionCookie(login)!
    // Only the SHA-256 of the token is stored.
    const token = cookie.split('=')[1]
    const rows = await w.db.selectFrom('sessions').select('token_hash').execute()
    expect(rows.map((r) => r.token_hash)).not.toContain(token)
    expect(rows).toHaveLength(1)

    expect((await w.request('/', { cookie })).status).toBe(200)
    const logout = await w.request('/logout', { form: {}, cookie })
    expect(logout.status).toBe(303)
    expect(await w.db.selectFrom('sessions').selectAll().execute()).toHaveLength(0)
    expect((await w.request('/', { cookie })).status).toBe(303)
  })

  it('uses a __Host- Secure cookie when the base URL is https', async () => {
    const { setFirmOptions } = await import('../../src/core/clients/firm.js')
    await setFirmOptions(w.db, accountant('cli:test'), { baseUrl: 'https://portal.example.com.br' })
    const client = await w.client('Padaria Pão Quente Ltda')
    await w.user(client, 'ana', { role: 'admin' })
    const login = await w.request('/login', {
      form: { username: 'ana', password: PASSWORD },
      headers: { origin: 'https://portal.example.com.br' },
    })
    expect(login.status).toBe(303)
    const setCookie = login.headers.get('set-cookie') ?? ''
    // The session cookie, and the device cookie (issue 9), both bound to the host.
    const session = setCookie.split(', ').find((cookie) => cookie.includes('confi_session=')) ?? ''
    expect(session).toMatch(/^__Host-confi_session=/)
    expect(session).toMatch(/Secure/)
    expect(session).toMatch(/Path=\//)
    expect(setCookie).toMatch(/__Host-confi_device=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax/)
  })

  it('makes unknown user, wrong password and a disabled user’s wrong password look alike', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    await w.user(client, 'ana', { role: 'admin' })
    await w.user(client, 'desligado', { status: 'disabled' })
    const bodies: string[] = []
    for (const [username, password] of [['ninguem', PASSWORD], ['ana', 'senha-errada'], ['desligado', 'senha-errada']]) {
      const response = await w.request('/login', { form: { username, password } })
      expect(response.status).toBe(401)
      expect(sessionCookie(response)).toBeUndefined()
      bodies.push((await response.text()).replace(/value="[^"]*"/g, ''))
    }
    expect(new Set(bodies).size).toBe(1)
    expect(bodies[0]).toContain('Usuário ou senha incorretos')
  })

  it('throttles repeated failures per username and address with 429 and Retry-After, then lets in after the wait', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    await w.user(client, 'ana', { role: 'admin' })
    let last: Response | undefined
    for (let i = 0; i < 5; i++) last = await w.request('/login', { form: { username: 'ana', password: 'errada-123' } })
    expect(last!.status).toBe(401)
    const throttled = await w.request('/login', { form: { username: 'ana', password: PASSWORD } })
    expect(throttled.status).toBe(429)
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(sessionCookie(throttled)).toBeUndefined()
    // It says to wait and for how long, not that the password was wrong (issue 9 §4).
    const wait = await throttled.text()
    expect(wait).toMatch(/Aguarde \d+ segundos? e tente de novo/)
    expect(wait).not.toContain('incorretos')
    // The counter lives in the database.
    expect(await w.db.selectFrom('login_throttle').selectAll().execute()).not.toHaveLength(0)
    const restore = setClock(() => new Date(Date.now() + 10 * 60_000))
    try {
      const ok = await w.request('/login', { form: { username: 'ana', password: PASSWORD } })
      expect(ok.status).toBe(303)
    } finally {
      restore()
    }
  })

  it('ends idle sessions', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const cookie = await w.cookieFor(ana)
    expect((await w.request('/', { cookie })).status).toBe(200)
    const restore = setClock(() => new Date(Date.now() + 61 * 60_000))
    try {
      expect((await w.request('/', { cookie })).status).toBe(303)
    } finally {
      restore()
    }
  })

  it('ends a disabled user’s sessions at once', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const bia = await w.user(client, 'bia')
    const cookie = await w.cookieFor(bia)
    expect((await w.request('/', { cookie })).status).toBe(200)
    const admin = await w.cookieFor(ana)
    expect((await w.request(`/users/${bia.id}/disable`, { form: {}, cookie: admin })).status).toBe(303)
    expect((await w.request('/', { cookie })).status).toBe(303)
  })
})

describe('request hygiene (docs/rules.md#portal-security)', () => {
  it('sets security headers and no-store on every page', async () => {
    const response = await w.request('/login')
    const csp = response.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("object-src 'none'")
    expect(csp).toContain("base-uri 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('x-frame-options')).toBe('DENY')
  })

  it('refuses a cross-site form post (CSRF) without acting', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    await w.user(client, 'ana', { role: 'admin' })
    const response = await w.request('/login', {
      form: { username: 'ana', password: PASSWORD },
      headers: { origin: 'https://evil.example' },
    })
    expect(response.status).toBe(403)
    expect(sessionCookie(response)).toBeUndefined()
    expect(await response.text()).toContain('outro site')
  })

  it('answers a 10 MB body with a readable 413 page', async () => {
    const response = await w.request('/login', {
      body: `username=${'a'.repeat(10 * 1024 * 1024)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(response.status).toBe(413)
    expect(await response.text()).toContain('Envio grande demais')
  })

  it('answers a malformed login form with 400', async () => {
    const response = await w.request('/login', { form: { username: '' } })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('Preencha')
  })

  it('shows a 500 page without a stack trace and logs the error', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    await w.user(client, 'ana', { role: 'admin' })
    const bia = await w.user(client, 'bia')
    const cookie = await w.cookieFor(bia)
    const { sql } = await import('kysely')
    // A collaborator's scope reads this table: its loss is an unexpected failure.
    await sql`drop table user_visibility`.execute(w.db)
    const response = await w.request('/', { cookie })
    const html = await response.text()
    expect(response.status).toBe(500)
    expect(html).toContain('Erro inesperado')
    expect(html).not.toContain('user_visibility')
    expect(html).not.toMatch(/at .*\.(ts|js):\d+/)
    expect(w.errors.length).toBe(1)
  })

  it('serves nothing and answers 503 when the access log cannot be written', async () => {
    const broken = await createPortalWorld({
      deps: { accessLog: { record: async () => Promise.reject(new Error('disk full')) } },
    })
    try {
      const client = await broken.client('Padaria Pão Quente Ltda')
      const ana = await broken.user(client, 'ana', { role: 'admin' })
      const doc = await broken.doc(client, 'DAS Março')
      const cookie = await broken.cookieFor(ana)
      const page = await broken.request(`/documents/${doc.id}`, { cookie })
      expect(page.status).toBe(503)
      expect(await page.text()).not.toContain('DAS Março.pdf')
      const file = await broken.request(`/documents/${doc.id}/files/${doc.attachments[0].id}`, { cookie })
      expect(file.status).toBe(503)
      expect(Buffer.from(await file.arrayBuffer()).includes(doc.bytes)).toBe(false)
      const token = await broken.deliver(doc)
      expect((await broken.request(`/d/${token}`)).status).toBe(503)
    } finally {
      await broken.close()
    }
  })

  it('answers GET /healthz', async () => {
    const response = await w.request('/healthz')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('ok')
  })
})

describe('throttling under concurrency and against targeted lockout', () => {
  // A frozen clock: bcrypt on a busy machine may outlast the first 2 s delay between requests.
  let restoreClock: () => void
  beforeEach(() => {
    const frozen = new Date()
    restoreClock = setClock(() => frozen)
  })
  afterEach(() => restoreClock())

  const wrong = (w: PortalWorld, username: string, i: number, ip?: string) =>
    w.request('/login', { form: { username, password: `errada-${i}` }, ip })

  it('lets at most the free allowance of 25 parallel wrong guesses through; the rest get 429', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    await w.user(client, 'bruno.lima', { role: 'admin' })
    const responses = await Promise.all(Array.from({ length: 25 }, (_, i) => wrong(w, 'bruno.lima', i)))
    const statuses = responses.map((r) => r.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(20)
    for (const r of responses.filter((r) => r.status === 429)) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0)
    }
    // A wrong guess says so; a throttled one says to wait, never that the password was wrong.
    for (const r of responses) {
      const body = await r.text()
      if (r.status === 401) expect(body).toContain('Usuário ou senha incorretos')
      else expect(body).toMatch(/Aguarde \d+ (segundos?|minutos?) e tente de novo/)
      if (r.status === 429) expect(body).not.toContain('incorretos')
    }
  })

  it('does not lock the real user out from another address while someone guesses from one', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    await w.user(client, 'ana', { role: 'admin' })
    for (let i = 0; i < 10; i++) await wrong(w, 'ana', i, '203.0.113.66')
    expect((await wrong(w, 'ana', 99, '203.0.113.66')).status).toBe(429)
    const ok = await w.request('/login', { form: { username: 'ana', password: PASSWORD }, ip: '198.51.100.20' })
    expect(ok.status).toBe(303)
    // The guesser's own pair stays throttled after the real user's success.
    expect((await w.request('/login', { form: { username: 'ana', password: PASSWORD }, ip: '203.0.113.66' })).status).toBe(429)
  })

  it('counts IPv6 guesses against the /64, not the single address', async () => {
    for (let i = 0; i < 30; i++) await wrong(w, `pessoa${i}`, i, `2001:db8:1:2::${(i + 1).toString(16)}`)
    expect((await wrong(w, 'outra.pessoa', 0, '2001:db8:1:2:ffff::9')).status).toBe(429)
    expect((await wrong(w, 'outra.pessoa', 0, '2001:db8:1:3::1')).status).toBe(401)
  })

  it('throttles registrations per IP with 429 and Retry-After', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const path = `${w.loginPath(client)}/register`
    const statuses: number[] = []
    for (let i = 0; i < 21; i++) {
      // Refusals count too: each still probes usernames or costs a hash.
      const response = await register(w, path, `pessoa${i}`, { password: i % 2 ? PASSWORD : 'curta' })
      statuses.push(response.status)
    }
    expect(statuses.slice(0, 20).every((s) => s === 201 || s === 303 || s === 400)).toBe(true)
    expect(statuses[20]).toBe(429)
    const throttled = await register(w, path, 'mais.uma')
    expect(throttled.status).toBe(429)
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await throttled.text()).toContain('Muitas tentativas')
    expect(await w.db.selectFrom('client_users').select('id').where('username', '=', 'mais.uma').execute()).toHaveLength(0)
    expect((await w.request(path, { form: { name: 'Outra', username: 'outra', email: '', password: PASSWORD, password_confirm: PASSWORD }, ip: '198.51.100.7' })).status).toBe(303)
  })

  it('answers a full hashing pool with the login page, 429 and Retry-After, counting nothing', async () => {
    const { ThrottledError } = await import('../../src/core/errors.js')
    const busy = await createPortalWorld({
      deps: {
        hasher: {
          hash: async () => Promise.reject(new ThrottledError('busy', 1)),
          verify: async () => Promise.reject(new ThrottledError('busy', 1)),
        },
      },
    })
    try {
      const response = await busy.request('/login', { form: { username: 'ana', password: PASSWORD } })
      expect(response.status).toBe(429)
      expect(response.headers.get('retry-after')).toBe('1')
      expect(await response.text()).toContain('Aguarde 1 segundo e tente de novo')
      expect(await busy.db.selectFrom('login_throttle').selectAll().execute()).toHaveLength(0)
    } finally {
      await busy.close()
    }
  })

  it('throttles wrong current passwords on the account page', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const cookie = await w.cookieFor(ana)
    const change = (current: string) =>
      w.request('/account/password', { cookie, form: { current_password: current, password: 'nova-senha-123', password_confirm: 'nova-senha-123' } })
    for (let i = 0; i < 5; i++) expect((await change(`errada-${i}`)).status).toBe(403)
    const throttled = await change(PASSWORD)
    expect(throttled.status).toBe(429)
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await throttled.text()).toContain('Muitas tentativas')
    const restore = setClock(() => new Date(Date.now() + 10 * 60_000))
    try {
      expect((await change(PASSWORD)).status).toBe(303)
    } finally {
      restore()
    }
  })
})

describe('a delivery-only session after the user is activated', () => {
  it('ends the session and sends the user to log in again with a notice', async () => {
    const { client, token } = await w.link('on')
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
    expect((await w.request('/account', { cookie })).headers.get('location')).toBe('/login?next=%2Faccount&aviso=sessao')
    expect((await w.request('/', { cookie: await w.cookieFor(bruno) })).status).toBe(200)
  })

  it('does the same on the other client-area pages, and leaves pending users waiting', async () => {
    const { client } = await w.link('on')
    await w.user(client, 'ana', { role: 'admin' })
    const carla = await w.user(client, 'carla', { role: 'admin' })
    const pending = await w.user(client, 'davi', { status: 'pending' })
    const stale = await w.cookieFor(carla, 'delivery')
    const response = await w.request('/users', { cookie: stale })
    expect(response.headers.get('location')).toBe('/login?next=%2Fusers&aviso=ativada')
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
