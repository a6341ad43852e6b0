import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setFirmOptions } from '../../src/core/clients/firm.js'
import { changePassword, setPassword } from '../../src/core/identity/credentials.js'
import { createPasswordReset } from '../../src/core/identity/password-resets.js'
import { base32Decode, totpCode } from '../../src/core/identity/totp.js'
import type { ClientUser } from '../../src/core/identity/users.js'
import { setClock } from '../../src/core/time.js'
import { runCli } from '../helpers/cli.js'
import { ACCOUNTANT } from '../helpers/factories.js'
import { PASSWORD, sessionCookie, usePortalWorld } from '../helpers/portal.js'

// Issue 9 §2 through the portal (docs/rules.md#two-factor-login).

const w = usePortalWorld()
let current = Date.parse('2026-03-10T12:00:10Z')
let restore: () => void = () => {}
beforeEach(() => {
  current = Date.parse('2026-03-10T12:00:10Z')
  restore = setClock(() => new Date(current))
})
afterEach(() => restore())

const pendingCookie = (response: Response) => /(confi_pending=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1]
const secretOf = (html: string) => /<code id="two-factor-secret">([A-Z2-7 ]+)<\/code>/.exec(html)![1]
const codeNow = (secret: string) => totpCode(base32Decode(secret), new Date(current))
const codesOf = (html: string) => [...html.matchAll(/<li><code>([a-z2-7]{5}-[a-z2-7]{5})<\/code><\/li>/g)].map((m) => m[1])

/** Turns two-factor on through /account; returns the secret and the recovery codes shown. */
async function enableOnAccount(user: ClientUser): Promise<{ secret: string; codes: string[] }> {
  const cookie = await w.cookieFor(user)
  const page = await w.request('/account/2fa', { cookie })
  const secret = secretOf(await page.text())
  const done = await w.request('/account/2fa', { cookie, form: { code: codeNow(secret), password: PASSWORD } })
  expect(done.status).toBe(200)
  return { secret, codes: codesOf(await done.text()) }
}

async function ana(role: 'admin' | 'collaborator' = 'admin') {
  const client = await w.client('Padaria Pão Quente Ltda')
  // A client's first user is its admin.
  if (role === 'collaborator') await w.user(client, 'zeca', { role: 'admin' })
  return { client, user: await w.user(client, 'ana', { role }) }
}

const login = (extra: { path?: string; ip?: string } = {}) =>
  w.request(extra.path ?? '/login', { form: { username: 'ana', password: PASSWORD }, ip: extra.ip })

describe('turning two-factor on and off on /account', () => {
  it('shows a server-rendered QR code and the secret, turns on with a valid code and shows 10 recovery codes once', async () => {
    const { user } = await ana()
    const cookie = await w.cookieFor(user)
    const account = await (await w.request('/account', { cookie })).text()
    expect(account).toContain('Verificação em duas etapas')
    expect(account).toContain('href="/account/2fa"')
    const response = await w.request('/account/2fa', { cookie })
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html).toMatch(/<figure role="img" aria-label="[^"]+"><svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*viewBox/)
    expect(html).not.toContain('<script')
    const secret = secretOf(html)
    expect(secret).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/)
    // Not in clear in the database.
    const row = await w.db.selectFrom('two_factor').selectAll().executeTakeFirstOrThrow()
    expect(row.secret_sealed).not.toContain(secret.replace(/ /g, ''))

    const wrong = await w.request('/account/2fa', { cookie, form: { code: '000000', password: PASSWORD } })
    expect(wrong.status).toBe(403)
    expect(await wrong.text()).toContain('Código incorreto')
    const done = await w.request('/account/2fa', { cookie, form: { code: codeNow(secret), password: PASSWORD } })
    expect(done.status).toBe(200)
    const codes = codesOf(await done.text())
    expect(codes).toHaveLength(10)
    // Shown once: the set-up page now leads back to the account, which says it is on.
    expect((await w.request('/account/2fa', { cookie })).headers.get('location')).toBe('/account')
    const after = await (await w.request('/account', { cookie })).text()
    expect(after).toContain('10 de 10')
    for (const code of codes) expect(after).not.toContain(code)
  })

  it('turns off with the current password, not with a wrong one or nothing', async () => {
    const { user } = await ana()
    await enableOnAccount(user)
    const cookie = await w.cookieFor(user)
    expect((await w.request('/account/2fa/off', { cookie, form: { password: '', code: '' } })).status).toBe(400)
    const wrong = await w.request('/account/2fa/off', { cookie, form: { password: 'errada-errada' } })
    expect(wrong.status).toBe(403)
    const users = async () => (await (await w.request('/users', { cookie })).text()).split('Verificação em duas etapas ativa').length - 1
    expect(await users()).toBe(1)
    const off = await w.request('/account/2fa/off', { cookie, form: { password: PASSWORD } })
    expect(off.headers.get('location')).toBe('/account?feito=2fa')
    expect(await (await w.request('/account?feito=2fa', { cookie })).text()).toContain('Verificação em duas etapas desativada')
    expect(await users()).toBe(0)
    expect((await login()).headers.get('location')).toBe('/')
  })
})

describe('login with two-factor on', () => {
  it('asks for the code after the password, gives no session before it, and a session after', async () => {
    const { user } = await ana()
    const { secret } = await enableOnAccount(user)
    current += 30_000
    const lastLogin = async () => (await w.db.selectFrom('client_users').select('last_login_at').where('id', '=', user.id).executeTakeFirstOrThrow()).last_login_at
    const before = await lastLogin()
    const first = await login()
    expect(first.status).toBe(303)
    // The password alone is not a login: "último acesso" and "novos desde sua última visita" stay.
    expect(await lastLogin()).toBe(before)
    expect(first.headers.get('location')).toBe('/login/codigo')
    expect(sessionCookie(first)).toBeUndefined()
    const pending = pendingCookie(first)!
    expect(first.headers.get('set-cookie')).toMatch(/confi_pending=[^;]+;.*HttpOnly/i)
    // Half logged in is not logged in.
    expect((await w.request('/', { cookie: pending })).headers.get('location')).toMatch(/^\/login/)
    const rows = await w.db.selectFrom('pending_logins').selectAll().execute()
    expect(rows).toHaveLength(1)
    expect(rows[0].token_hash).not.toBe(pending.split('=')[1])

    const page = await w.request('/login/codigo', { cookie: pending })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('autocomplete="one-time-code"')
    const wrong = await w.request('/login/codigo', { cookie: pending, form: { code: '123456' } })
    expect(wrong.status).toBe(403)
    expect(sessionCookie(wrong)).toBeUndefined()
    expect(await wrong.text()).toContain('Código incorreto')

    const code = codeNow(secret)
    const right = await w.request('/login/codigo', { cookie: pending, form: { code } })
    expect(right.status).toBe(303)
    expect(right.headers.get('location')).toBe('/')
    const session = sessionCookie(right)!
    expect((await w.request('/', { cookie: session })).status).toBe(200)
    expect(await lastLogin()).not.toBe(before)
    expect(await w.db.selectFrom('pending_logins').selectAll().execute()).toHaveLength(0)
    // The same pending cookie, and the same code in a new login, open nothing more.
    expect((await w.request('/login/codigo', { cookie: pending, form: { code } })).status).toBe(401)
    const again = pendingCookie(await login())!
    const replay = await w.request('/login/codigo', { cookie: again, form: { code } })
    expect(replay.status).toBe(403)
    expect(sessionCookie(replay)).toBeUndefined()
  })

  it('accepts a recovery code once', async () => {
    const { user } = await ana()
    const { codes } = await enableOnAccount(user)
    const pending = pendingCookie(await login())!
    const ok = await w.request('/login/codigo', { cookie: pending, form: { code: codes[3] } })
    expect(sessionCookie(ok)).toBeDefined()
    const second = pendingCookie(await login())!
    expect((await w.request('/login/codigo', { cookie: second, form: { code: codes[3] } })).status).toBe(403)
  })

  it('throttles wrong codes with 429 and Retry-After, and a half-finished login expires after 5 minutes', async () => {
    const { user } = await ana()
    const { secret } = await enableOnAccount(user)
    current += 30_000
    const pending = pendingCookie(await login())!
    for (let i = 0; i < 5; i++) {
      expect((await w.request('/login/codigo', { cookie: pending, form: { code: '000000' } })).status).toBe(403)
    }
    const throttled = await w.request('/login/codigo', { cookie: pending, form: { code: codeNow(secret) } })
    expect(throttled.status).toBe(429)
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(sessionCookie(throttled)).toBeUndefined()
    current += 5 * 60_000
    const expired = await w.request('/login/codigo', { cookie: pending, form: { code: codeNow(secret) } })
    expect(expired.status).toBe(401)
    expect(await expired.text()).toContain('Entre novamente')
    expect(sessionCookie(expired)).toBeUndefined()
  })

  it('gives a delivery-link login the same second step and returns to the document', async () => {
    const { client, doc, token } = await w.link('on')
    const user = await w.user(client, 'ana', { role: 'admin' })
    const { secret } = await enableOnAccount(user)
    current += 30_000
    const first = await w.request(`/d/${token}/login`, { form: { username: 'ana', password: PASSWORD } })
    expect(first.headers.get('location')).toBe('/login/codigo')
    expect(sessionCookie(first)).toBeUndefined()
    const pending = pendingCookie(first)!
    expect((await w.request(`/d/${token}`, { cookie: pending })).status).toBe(401)
    const right = await w.request('/login/codigo', { cookie: pending, form: { code: codeNow(secret) } })
    expect(right.headers.get('location')).toBe(`/d/${token}`)
    const page = await w.request(`/d/${token}`, { cookie: sessionCookie(right) })
    expect(page.status).toBe(200)
    expect(await page.text()).toContain(doc.title)
  })
})

describe("the firm's policy (confi firm set --require-2fa)", () => {
  it('leads a covered user without two-factor to set it up before anything else, shows the codes once, then continues', async () => {
    const { user } = await ana('admin')
    await setFirmOptions(w.db, ACCOUNTANT, { require2fa: 'admins' })
    const first = await login()
    expect(first.headers.get('location')).toBe('/login/configurar')
    expect(sessionCookie(first)).toBeUndefined()
    const pending = pendingCookie(first)!
    expect((await w.request('/login/codigo', { cookie: pending })).headers.get('location')).toBe('/login/configurar')
    const page = await w.request('/login/configurar', { cookie: pending })
    const html = await page.text()
    expect(html).toContain('O escritório exige a verificação em duas etapas')
    expect(html).toContain('<svg')
    const secret = secretOf(html)
    const wrong = await w.request('/login/configurar', { cookie: pending, form: { code: '000000' } })
    expect(wrong.status).toBe(403)
    expect(secretOf(await wrong.text())).toBe(secret)
    const done = await w.request('/login/configurar', { cookie: pending, form: { code: codeNow(secret) } })
    expect(done.status).toBe(200)
    const body = await done.text()
    expect(codesOf(body)).toHaveLength(10)
    expect(body).toContain('<a href="/">Continuar</a>')
    const session = sessionCookie(done)!
    expect((await w.request('/', { cookie: session })).status).toBe(200)
    // Required: cannot be turned off; the next login asks for the code.
    const account = await (await w.request('/account', { cookie: session })).text()
    expect(account).not.toContain('/account/2fa/off')
    expect((await w.request('/account/2fa/off', { cookie: session, form: { password: PASSWORD } })).status).toBe(409)
    expect((await login()).headers.get('location')).toBe('/login/codigo')
    expect(user.role).toBe('admin')
  })

  it("'admins' leaves collaborators alone; 'all' covers them", async () => {
    await ana('collaborator')
    await setFirmOptions(w.db, ACCOUNTANT, { require2fa: 'admins' })
    const free = await login()
    expect(free.headers.get('location')).toBe('/')
    expect(sessionCookie(free)).toBeDefined()
    await setFirmOptions(w.db, ACCOUNTANT, { require2fa: 'all' })
    expect((await login()).headers.get('location')).toBe('/login/configurar')
  })

  it('applies to a registration through the client login link too', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    await setFirmOptions(w.db, ACCOUNTANT, { require2fa: 'admins' })
    const form = { name: 'Ana', username: 'ana', email: '', password: PASSWORD, password_confirm: PASSWORD }
    const registered = await w.request(`${w.loginPath(client)}/register`, { form })
    expect(registered.headers.get('location')).toBe('/login/configurar')
    expect(sessionCookie(registered)).toBeUndefined()
    const pending = pendingCookie(registered)!
    const secret = secretOf(await (await w.request('/login/configurar', { cookie: pending })).text())
    const done = await w.request('/login/configurar', { cookie: pending, form: { code: codeNow(secret) } })
    expect(await done.text()).toContain('<a href="/?aviso=admin">Continuar</a>')
  })
})

describe('turning two-factor on asks for the password and ends the other sessions (issue 19, §4)', () => {
  it('refuses without the current password or with a wrong one, and stays off', async () => {
    const { user } = await ana()
    const cookie = await w.cookieFor(user)
    const page = await (await w.request('/account/2fa', { cookie })).text()
    expect(page).toContain('autocomplete="current-password"')
    const secret = secretOf(page)
    const none = await w.request('/account/2fa', { cookie, form: { code: codeNow(secret) } })
    expect(none.status).toBe(400)
    expect(await none.text()).toContain('Digite sua senha atual para ativar')
    const wrong = await w.request('/account/2fa', { cookie, form: { code: codeNow(secret), password: 'errada-errada' } })
    expect(wrong.status).toBe(403)
    // The same secret: the phone that scanned it need not scan again.
    expect(secretOf(await wrong.text())).toBe(secret)
    expect((await w.db.selectFrom('two_factor').select('enabled_at').executeTakeFirstOrThrow()).enabled_at).toBeNull()
  })

  it("ends the user's other sessions and keeps this one", async () => {
    const { client, user } = await ana()
    const other = await w.cookieFor(user)
    const bia = await w.cookieFor(await w.user(client, 'bia'))
    const cookie = await w.cookieFor(user)
    const secret = secretOf(await (await w.request('/account/2fa', { cookie })).text())
    const done = await w.request('/account/2fa', { cookie, form: { code: codeNow(secret), password: PASSWORD } })
    expect(done.status).toBe(200)
    expect((await w.request('/', { cookie })).status).toBe(200)
    const ended = await w.request('/', { cookie: other })
    expect(ended.headers.get('location')).toBe('/login?aviso=sessao-conta')
    expect((await w.request('/', { cookie: bia })).status).toBe(200)
  })
})

describe('a policy set while sessions are open (issue 19, §4)', () => {
  it('sends a covered session without two-factor to the set-up on its very next request, whatever it asks for', async () => {
    const { client, user } = await ana('admin')
    const cookie = await w.cookieFor(user)
    const collaborator = await w.cookieFor(await w.user(client, 'bia'))
    expect((await w.request('/', { cookie })).status).toBe(200)
    // As the accountant sets it, while the session is open.
    const set = await runCli(['firm', 'set', '--require-2fa', 'admins'], { env: w.t.env, cwd: w.t.dir })
    expect(set.code, set.stderr).toBe(0)
    for (const path of ['/', '/documents', '/users', '/account']) {
      const response = await w.request(path, { cookie })
      expect([path, response.status, response.headers.get('location')]).toEqual([path, 303, '/account/2fa'])
    }
    const posted = await w.request('/account/password', { cookie, form: { current_password: PASSWORD, password: 'nova-senha-123', password_confirm: 'nova-senha-123' } })
    expect(posted.headers.get('location')).toBe('/account/2fa')
    // 'admins': the collaborator goes on as before.
    expect((await w.request('/', { cookie: collaborator })).status).toBe(200)

    const page = await w.request('/account/2fa', { cookie })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('O escritório exige a verificação em duas etapas')
    const done = await w.request('/account/2fa', { cookie, form: { code: codeNow(secretOf(html)), password: PASSWORD } })
    expect(done.status).toBe(200)
    expect((await w.request('/', { cookie })).status).toBe(200)
    // Logging out stays possible while the set-up is owed.
    await setFirmOptions(w.db, ACCOUNTANT, { require2fa: 'all' })
    expect((await w.request('/', { cookie: collaborator })).headers.get('location')).toBe('/account/2fa')
    const out = await w.request('/logout', { cookie: collaborator, form: {} })
    expect(out.headers.get('location')).not.toBe('/account/2fa')
    expect(await w.db.selectFrom('sessions').select('user_id').where('user_id', '!=', user.id).execute()).toEqual([])
  })

  it('ends a covered delivery-only session, whose login then owes the set-up', async () => {
    const { client } = await ana('admin')
    const pendingUser = await w.user(client, 'caio', { status: 'pending' })
    const doc = await w.doc(client, 'DAS Março 2026')
    const token = await w.deliver(doc)
    const cookie = await w.cookieFor(pendingUser, 'delivery')
    await setFirmOptions(w.db, ACCOUNTANT, { require2fa: 'all' })
    const response = await w.request(`/d/${token}`, { cookie })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`/login?next=${encodeURIComponent(`/d/${token}`)}`)
    expect(await w.db.selectFrom('sessions').selectAll().where('user_id', '=', pendingUser.id).execute()).toEqual([])
  })
})

describe('a half-finished login when the password changes', () => {
  // Whoever typed the old password must not finish with it after a reset, a change or an
  // admin's new password: the login waits for its second step, but the password it proved is gone.
  it.each([
    ['the firm issues a reset link', async (userId: number) => void (await createPasswordReset(w.db, ACCOUNTANT, userId))],
    ['an administrator sets a new password', async (userId: number) => void (await setPassword(w.db, ACCOUNTANT, userId, 'outra-senha-longa-2026'))],
    ['the user changes it', async (userId: number) => void (await changePassword(w.db, userId, PASSWORD, 'outra-senha-longa-2026'))],
  ])('%s: a set-up owed, and a code owed, open no session', async (_case, change) => {
    const { user } = await ana('admin')
    const { secret } = await enableOnAccount(user)
    current += 30_000
    const codeLogin = pendingCookie(await login())!
    await w.db.updateTable('two_factor').set({ enabled_at: null }).where('user_id', '=', user.id).execute()
    await w.db.deleteFrom('two_factor').where('user_id', '=', user.id).execute()
    await setFirmOptions(w.db, ACCOUNTANT, { require2fa: 'admins' })
    const setupLogin = pendingCookie(await login())!
    const setupSecret = secretOf(await (await w.request('/login/configurar', { cookie: setupLogin })).text())
    await change(user.id)
    const setup = await w.request('/login/configurar', { cookie: setupLogin, form: { code: codeNow(setupSecret) } })
    expect(sessionCookie(setup)).toBeUndefined()
    expect(setup.status).not.toBe(200)
    const code = await w.request('/login/codigo', { cookie: codeLogin, form: { code: codeNow(secret) } })
    expect(sessionCookie(code)).toBeUndefined()
    expect(await w.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute()).toEqual([])
    expect(await w.db.selectFrom('pending_logins').select('id').execute()).toEqual([])
  })
})
