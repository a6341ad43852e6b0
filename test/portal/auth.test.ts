import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { accountant } from '../../src/core/actors.js'
import { activateUser } from '../../src/core/identity/users.js'
import { setClock } from '../../src/core/time.js'
import { safeNextPath } from '../../src/portal/next-path.js'
import { createPortalWorld, usePortalWorld, PASSWORD, sessionCookie, visible, type PortalWorld } from '../helpers/portal.js'

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

  it('puts "Criar conta" first, saying it makes the administrator, while the client has no user; "Já tenho conta" first after', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const order = async () => {
      const html = await (await w.request(w.loginPath(client))).text()
      return { register: html.indexOf('id="h-register"'), login: html.indexOf('id="h-login"'), html }
    }
    const before = await order()
    expect(before.login).toBeGreaterThan(0)
    expect(before.register).toBeGreaterThan(0)
    expect(before.register).toBeLessThan(before.login)
    expect(visible(before.html)).toContain('a primeira conta passa a administrar a Área do Cliente da empresa')
    // Once someone of the company has an account, most visitors of the link are logging in.
    await w.user(client, 'ana', { role: 'admin' })
    const after = await order()
    expect(after.login).toBeLessThan(after.register)
    expect(visible(after.html)).not.toContain('ainda não tem contas')
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
    expect(await home.text()).toContain('Você administra a Área do Cliente')

    const second = await register(w, path, 'bruno')
    expect(second.status).toBe(303)
    expect(sessionCookie(second)).toBeUndefined()
    const waiting = await w.request(second.headers.get('location')!)
    expect(await waiting.text()).toContain('quem administra a Área do Cliente da sua empresa precisa ativá-la')

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
    // Nothing to correct: the summary is headed "wait", never "Corrija o que está indicado abaixo".
    expect(wait).toContain('<h2 id="error-summary-title">Muitas tentativas: aguarde para tentar de novo</h2>')
    expect(wait).not.toContain('Corrija')
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

describe('tokens in logs', () => {
  it('redacts the link token from the error line of a failed request', async () => {
    const broken = await createPortalWorld({
      deps: { accessLog: { record: async () => Promise.reject(new Error('disk full')) } },
    })
    try {
      const client = await broken.client('Padaria Pão Quente Ltda')
      const doc = await broken.doc(client, 'DAS Março', 'fiscal')
      const token = await broken.deliver(doc)
      const response = await broken.request(`/d/${token}`)
      expect(response.status).toBe(503)
      expect(broken.errors.length).toBeGreaterThan(0)
      for (const { message } of broken.errors) {
        expect(message).not.toContain(token)
        expect(message).toContain('/d/[token]')
      }
    } finally {
      await broken.close()
    }
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
    const text = await throttled.text()
    expect(text).toContain('Muitas tentativas: aguarde para tentar de novo')
    expect(text).not.toContain('Corrija')
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
    const text = await throttled.text()
    expect(text).toContain('Muitas tentativas: aguarde para tentar de novo')
    expect(text).not.toContain('Corrija')
    const restore = setClock(() => new Date(Date.now() + 10 * 60_000))
    try {
      expect((await change(PASSWORD)).status).toBe(303)
    } finally {
      restore()
    }
  })
})

describe('device cookies (distributed lockout)', () => {
  function deviceCookie(response: Response): string | undefined {
    return /(confi_device=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1]
  }

  it('lets a browser that logged in before through while the username is blocked everywhere else', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    await w.user(client, 'ana', { role: 'admin' })
    await w.user(client, 'bia', { role: 'admin' })
    const first = await w.request('/login', { form: { username: 'ana', password: PASSWORD }, ip: '198.51.100.7' })
    const device = deviceCookie(first)
    expect(device).toBeDefined()
    const biaDevice = deviceCookie(await w.request('/login', { form: { username: 'bia', password: PASSWORD }, ip: '198.51.100.7' }))!
    // A distributed guesser has pushed ana's ceiling across all networks into a delay.
    const later = new Date(Date.now() + 60_000).toISOString()
    await w.db
      .insertInto('login_throttle')
      .values({ throttle_key: 'user:ana', failures: 500, last_failure_at: new Date().toISOString(), blocked_until: later })
      .execute()
    const login = { form: { username: 'ana', password: PASSWORD }, ip: '203.0.113.50' }
    expect((await w.request('/login', login)).status).toBe(429)
    // Another user's device cookie, or a forged one, is no device of ana's.
    expect((await w.request('/login', { ...login, cookie: biaDevice })).status).toBe(429)
    expect((await w.request('/login', { ...login, cookie: `${device!.slice(0, -2)}xx` })).status).toBe(429)
    const trusted = await w.request('/login', { ...login, cookie: device })
    expect(trusted.status).toBe(303)
    expect(sessionCookie(trusted)).toBeDefined()
  })

  it('counts wrong passwords from the trusted browser against that browser', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    await w.user(client, 'ana', { role: 'admin' })
    const device = deviceCookie(await w.request('/login', { form: { username: 'ana', password: PASSWORD } }))!
    for (let i = 0; i < 3; i++) {
      const response = await w.request('/login', { form: { username: 'ana', password: 'errada-123' }, cookie: device, ip: '203.0.113.60' })
      expect(response.status).toBe(401)
    }
    // Counted against this browser's own key (the pair policy's budget), not the username's.
    const rows = await w.db.selectFrom('login_throttle').select(['throttle_key', 'failures']).execute()
    const own = rows.filter((r) => r.throttle_key.startsWith('device:ana|'))
    expect(own.map((r) => Number(r.failures))).toEqual([3])
    expect(rows.some((r) => r.throttle_key === 'user:ana' || r.throttle_key.startsWith('pair:ana|'))).toBe(false)
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

describe('after login, the page that was asked for', () => {
  it('accepts only a same-origin relative path', () => {
    for (const ok of ['/', '/documents/12', '/?competence=03%2F2026&page=2', '/users#x']) expect(safeNextPath(ok), ok).toBe(ok)
    const bad = [
      '', 'documents', '//evil.example', '//evil.example/x', '/\\evil.example', '/x\\y', 'https://evil.example/',
      'javascript:alert(1)', '/\t/evil.example', '/x\ny', '/x\r\nSet-Cookie: a=b', '/\u0000', '/caf\u00e9', '/a b',
      '/\u0085x', ' /x', `/${'a'.repeat(2001)}`,
    ]
    for (const value of bad) expect(safeNextPath(value), JSON.stringify(value)).toBeNull()
    expect(safeNextPath(undefined)).toBeNull()
  })

  it('sends a guarded page to /login?next=… and returns there after the password', async () => {
    const { client } = await w.clientWithAdmin()
    const doc = await w.doc(client, 'DAS Março 2026')
    const path = `/documents/${doc.id}`
    const guarded = await w.request(path)
    expect(guarded.status).toBe(303)
    expect(guarded.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`)
    const page = await (await w.request(guarded.headers.get('location')!)).text()
    expect(page).toContain(`<input type="hidden" name="next" value="${path}"/>`)
    const login = await w.request('/login', { form: { username: 'ana', password: PASSWORD, next: path } })
    expect(login.status).toBe(303)
    expect(login.headers.get('location')).toBe(path)
    expect((await w.request(path, { cookie: sessionCookie(login) })).status).toBe(200)
    // A query string comes back too; a wrong password keeps `next` in the form.
    const filtered = await w.request('/?competence=03%2F2026')
    expect(filtered.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/?competence=03%2F2026')}`)
    const wrong = await (await w.request('/login', { form: { username: 'ana', password: 'errada-123', next: path } })).text()
    expect(wrong).toContain(`name="next" value="${path}"`)
  })

  it('goes to the default page for anything that could leave the portal', async () => {
    await w.clientWithAdmin()
    for (const next of ['//evil.example', '/\\evil.example', 'https://evil.example/', '/\t/evil.example', 'javascript:alert(1)']) {
      const login = await w.request('/login', { form: { username: 'ana', password: PASSWORD, next } })
      expect(login.status, next).toBe(303)
      expect(login.headers.get('location'), next).toBe('/')
    }
    const page = await (await w.request(`/login?next=${encodeURIComponent('//evil.example')}`)).text()
    expect(page).not.toContain('evil.example')
  })
})

describe('login refusals', () => {
  it('tells a throttled login to wait and for how long, without saying the password was wrong', async () => {
    await w.clientWithAdmin()
    for (let i = 0; i < 5; i++) await w.request('/login', { form: { username: 'ana', password: `errada-${i}` } })
    const throttled = await w.request('/login', { form: { username: 'ana', password: PASSWORD } })
    expect(throttled.status).toBe(429)
    const seconds = Number(throttled.headers.get('retry-after'))
    const page = await throttled.text()
    expect(page).toContain(`Aguarde ${seconds} segundo${seconds === 1 ? '' : 's'} e tente de novo`)
    expect(page).not.toMatch(/incorret|errad|inválid/i)
  })

  it('tells a disabled user who typed the right password that the account is disabled, and who can reactivate it', async () => {
    const { client } = await w.clientWithAdmin()
    await w.user(client, 'bia', { status: 'disabled' })
    const right = await w.request('/login', { form: { username: 'bia', password: PASSWORD } })
    expect(right.status).toBe(403)
    expect(sessionCookie(right)).toBeUndefined()
    const page = await right.text()
    expect(page).toContain('Conta desativada')
    expect(page).toContain('Quem pode reativar sua conta: Nome ana')
    const wrong = await w.request('/login', { form: { username: 'bia', password: 'errada-123' } })
    expect(wrong.status).toBe(401)
    const wrongPage = await wrong.text()
    expect(wrongPage).toContain('Usuário ou senha incorretos')
    expect(wrongPage).not.toContain('desativada')
    // Right passwords of a disabled account still count against the throttle.
    expect(await w.db.selectFrom('login_throttle').selectAll().execute()).not.toHaveLength(0)
  })
})

describe('the client login link and pending pages', () => {
  it('offers the client area, or logging out to create another account, to someone already logged in', async () => {
    const { client, ana } = await w.clientWithAdmin()
    const link = w.loginPath(client)
    const cookie = await w.cookieFor(ana)
    const html = await (await w.request(link, { cookie })).text()
    expect(html).toContain('Você já entrou como Nome ana')
    expect(html).toContain('<a class="button" href="/">Ir para a Área do Cliente</a>')
    expect(html).toMatch(/<form method="post" action="\/logout"><input type="hidden" name="next" value="\/area\/[^"]+"\/><button type="submit" class="secondary">Sair para criar outra conta<\/button>/)
    expect(html).not.toContain('name="password"')
    const logout = await w.request('/logout', { cookie, form: { next: link } })
    expect(logout.headers.get('location')).toBe(link)
    expect(await (await w.request(link, { cookie })).text()).toContain('name="password"')
  })

  it('answers a pending registration with a redirect to a page naming the admins and the firm’s contact', async () => {
    const { client } = await w.clientWithAdmin()
    await w.db.updateTable('firm_options').set({ phone: '+551133334444', contact_email: 'contato@escritorio.com.br' }).execute()
    const registered = await w.request(`${w.loginPath(client)}/register`, {
      form: { name: 'Bruno Lima', username: 'bruno', email: '', password: PASSWORD, password_confirm: PASSWORD },
    })
    expect(registered.status).toBe(303)
    const waiting = registered.headers.get('location')!
    expect(waiting).toBe(`${w.loginPath(client)}/aguardando`)
    const page = await w.request(waiting)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Conta criada — aguardando ativação')
    expect(html).toContain('Quem pode ativar sua conta: Nome ana')
    expect(html).toContain('contato@escritorio.com.br')
    expect(html).toContain('+55 11 3333-4444')
    // The guard's page for a pending user's session says the same.
    const bruno = await w.db.selectFrom('client_users').select('id').where('username', '=', 'bruno').executeTakeFirstOrThrow()
    const guarded = await w.request('/', { cookie: await w.cookieFor({ id: bruno.id } as never, 'delivery') })
    expect(guarded.status).toBe(403)
    const guardedHtml = await guarded.text()
    expect(guardedHtml).toContain('Quem pode ativar sua conta: Nome ana')
    expect(guardedHtml).toContain('contato@escritorio.com.br')
  })
})
