import { describe, expect, it } from 'vitest'
import { pruneExpired } from '../../src/core/ops/maintenance.js'
import { setUserRole } from '../../src/core/identity/users.js'
import { setClock } from '../../src/core/time.js'
import { safeNextPath } from '../../src/portal/next-path.js'
import { usePortalWorld, PASSWORD, sessionCookie } from '../helpers/portal.js'

// Issue 9 §4: what a client notices — return after login, why a session ended, throttled and
// disabled logins.

const w = usePortalWorld()

async function clientWithAdmin() {
  const client = await w.client('Padaria Pão Quente Ltda')
  const ana = await w.user(client, 'ana', { role: 'admin' })
  return { client, ana }
}

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
    const { client } = await clientWithAdmin()
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
    await clientWithAdmin()
    for (const next of ['//evil.example', '/\\evil.example', 'https://evil.example/', '/\t/evil.example', 'javascript:alert(1)']) {
      const login = await w.request('/login', { form: { username: 'ana', password: PASSWORD, next } })
      expect(login.status, next).toBe(303)
      expect(login.headers.get('location'), next).toBe('/')
    }
    const page = await (await w.request(`/login?next=${encodeURIComponent('//evil.example')}`)).text()
    expect(page).not.toContain('evil.example')
  })
})

describe('a session that ended says why', () => {
  async function followToLogin(response: Response): Promise<string> {
    expect(response.status).toBe(303)
    return (await w.request(response.headers.get('location')!)).text()
  }

  it('after a password change elsewhere', async () => {
    const { ana } = await clientWithAdmin()
    const here = await w.cookieFor(ana)
    const elsewhere = await w.cookieFor(ana)
    const change = await w.request('/account/password', {
      cookie: here,
      form: { current_password: PASSWORD, password: 'nova-senha-123', password_confirm: 'nova-senha-123' },
    })
    expect(change.status).toBe(303)
    const response = await w.request('/account', { cookie: elsewhere })
    expect(response.headers.get('location')).toBe('/login?next=%2Faccount&aviso=sessao-senha')
    // The stale cookie is cleared, so the notice shows once.
    expect(response.headers.get('set-cookie')).toMatch(/confi_session=;.*Max-Age=0/)
    expect(await followToLogin(response)).toContain('Sua sessão terminou porque a senha da conta foi alterada')
  })

  it('after an administrator changed the user, and on /login itself', async () => {
    const { client, ana } = await clientWithAdmin()
    const bia = await w.user(client, 'bia')
    const cookie = await w.cookieFor(bia)
    await setUserRole(w.db, { kind: 'client_user', userId: ana.id }, bia.id, 'admin')
    const direct = await w.request('/login', { cookie })
    expect(direct.status).toBe(200)
    expect(await direct.text()).toContain('Sua sessão terminou porque sua conta foi alterada por quem administra')
    const other = await w.cookieFor(bia)
    const disabled = await w.request(`/users/${bia.id}/disable`, { form: {}, cookie: await w.cookieFor(ana) })
    expect(disabled.status).toBe(303)
    expect(await followToLogin(await w.request('/', { cookie: other }))).toContain('sua conta foi alterada')
  })

  it('after it expired, found by the request or by the hourly prune', async () => {
    const { ana } = await clientWithAdmin()
    const first = await w.cookieFor(ana)
    const second = await w.cookieFor(ana)
    const restore = setClock(() => new Date(Date.now() + 61 * 60_000))
    try {
      const response = await w.request('/', { cookie: first })
      expect(response.headers.get('location')).toBe('/login?aviso=sessao-expirou')
      expect(await followToLogin(response)).toContain('Sua sessão terminou porque ficou muito tempo sem uso')
      expect((await pruneExpired(w.db)).sessions).toBe(1)
      expect((await w.request('/', { cookie: second })).headers.get('location')).toBe('/login?aviso=sessao-expirou')
    } finally {
      restore()
    }
  })

  it('says nothing to a browser that logged out or never logged in', async () => {
    const { ana } = await clientWithAdmin()
    const cookie = await w.cookieFor(ana)
    const logout = await w.request('/logout', { form: {}, cookie })
    expect(logout.headers.get('location')).toBe('/login?aviso=saiu')
    expect((await w.request('/')).headers.get('location')).toBe('/login')
    expect(await (await w.request('/login')).text()).not.toContain('Sua sessão terminou')
  })
})

describe('login refusals', () => {
  it('tells a throttled login to wait and for how long, without saying the password was wrong', async () => {
    await clientWithAdmin()
    for (let i = 0; i < 5; i++) await w.request('/login', { form: { username: 'ana', password: `errada-${i}` } })
    const throttled = await w.request('/login', { form: { username: 'ana', password: PASSWORD } })
    expect(throttled.status).toBe(429)
    const seconds = Number(throttled.headers.get('retry-after'))
    const page = await throttled.text()
    expect(page).toContain(`Aguarde ${seconds} segundo${seconds === 1 ? '' : 's'} e tente de novo`)
    expect(page).not.toMatch(/incorret|errad|inválid/i)
  })

  it('tells a disabled user who typed the right password that the account is disabled, and who can reactivate it', async () => {
    const { client } = await clientWithAdmin()
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
    const { client, ana } = await clientWithAdmin()
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
    const { client } = await clientWithAdmin()
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

describe('password forms ask twice; errors sit next to their field', () => {
  /** The input of `id` and the error it points at, from a page's HTML. */
  function fieldState(html: string, id: string) {
    const input = new RegExp(`<input[^>]*id="${id}"[^>]*>`).exec(html)?.[0] ?? ''
    const describedBy = /aria-describedby="([^"]+)"/.exec(input)?.[1]?.split(' ') ?? []
    const errorId = describedBy.find((d) => d.endsWith('-error'))
    const error = errorId ? new RegExp(`<p class="field-error" id="${errorId}">([^<]*)</p>`).exec(html)?.[1] : undefined
    return { invalid: input.includes('aria-invalid="true"'), error }
  }

  function summary(html: string) {
    const box = /<div class="error-summary" role="alert"[^>]*>(.*?)<\/div>/s.exec(html)?.[1] ?? ''
    return { box, links: [...box.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]), first: html.indexOf('error-summary') < html.indexOf('<h1') }
  }

  it('registration through the login link: a mismatch saves nothing and points at the repeated field', async () => {
    const { client } = await clientWithAdmin()
    const path = `${w.loginPath(client)}/register`
    const page = await (await w.request(w.loginPath(client))).text()
    expect(page).toContain('name="password_confirm"')
    const response = await w.request(path, {
      form: { name: 'Bruno Lima', username: 'bruno', email: '', password: PASSWORD, password_confirm: `${PASSWORD}x` },
    })
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(fieldState(html, 'register-password-confirm')).toEqual({ invalid: true, error: expect.stringContaining('senhas digitadas são diferentes') })
    expect(fieldState(html, 'register-password').invalid).toBe(false)
    expect(summary(html).links).toEqual(['register-password-confirm'])
    expect(summary(html).first).toBe(true)
    expect(html).toContain('value="Bruno Lima"')
    expect(await w.db.selectFrom('client_users').select('id').where('username', '=', 'bruno').execute()).toHaveLength(0)
    // A taken username points at the username field.
    const taken = await (await w.request(path, { form: { name: 'Outra Ana', username: 'ANA', email: '', password: PASSWORD, password_confirm: PASSWORD } })).text()
    expect(fieldState(taken, 'register-username')).toEqual({ invalid: true, error: expect.stringContaining('já está em uso') })
    expect(summary(taken).links).toEqual(['register-username'])
  })

  it('/account and /reset/…: a mismatch changes nothing', async () => {
    const { ana } = await clientWithAdmin()
    const cookie = await w.cookieFor(ana)
    expect(await (await w.request('/account', { cookie })).text()).toContain('id="account-password-confirm"')
    const account = await w.request('/account/password', {
      cookie,
      form: { current_password: PASSWORD, password: 'nova-senha-123', password_confirm: 'nova-senha-124' },
    })
    expect(account.status).toBe(400)
    const accountHtml = await account.text()
    expect(fieldState(accountHtml, 'account-password-confirm').invalid).toBe(true)
    expect(summary(accountHtml).links).toEqual(['account-password-confirm'])
    // The old password still works, the session still lives.
    expect((await w.request('/', { cookie })).status).toBe(200)
    const wrongCurrent = await (await w.request('/account/password', {
      cookie,
      form: { current_password: 'nao-e-essa', password: 'nova-senha-123', password_confirm: 'nova-senha-123' },
    })).text()
    expect(fieldState(wrongCurrent, 'account-current-password')).toEqual({ invalid: true, error: 'A senha atual não confere.' })

    const { issuePasswordReset } = await import('../../src/core/identity/password-resets.js')
    const { ACCOUNTANT } = await import('../helpers/factories.js')
    const reset = await w.db.transaction().execute((trx) => issuePasswordReset(trx, ACCOUNTANT, ana, 'http://localhost'))
    const resetPath = new URL(reset.url).pathname
    expect(await (await w.request(resetPath)).text()).toContain('id="reset-password-confirm"')
    const mismatch = await w.request(resetPath, { form: { password: 'outra-senha-123', password_confirm: 'outra-senha-321' } })
    expect(mismatch.status).toBe(400)
    expect(fieldState(await mismatch.text(), 'reset-password-confirm').invalid).toBe(true)
    expect((await w.request(resetPath, { form: { password: 'outra-senha-123', password_confirm: 'outra-senha-123' } })).status).toBe(303)
  })

  it('a failed login marks the password field and lists the error first; the menu marks the current page', async () => {
    const { ana } = await clientWithAdmin()
    const html = await (await w.request('/login', { form: { username: 'ana', password: 'errada-123' } })).text()
    expect(fieldState(html, 'login-password')).toEqual({ invalid: true, error: expect.stringContaining('Usuário ou senha incorretos') })
    expect(summary(html)).toMatchObject({ links: ['login-password'], first: true })
    expect(html).toContain('<title>Erro: Entrar')
    const cookie = await w.cookieFor(ana)
    const users = await (await w.request('/users', { cookie })).text()
    expect(users).toContain('<a href="/users" aria-current="page">Usuários</a>')
    expect(users).toContain('<a href="/">Documentos</a>')
    expect(await (await w.request('/account', { cookie })).text()).toContain('<a href="/account" aria-current="page">')
  })
})

describe('the users table and the wording', () => {
  it('gives an admin’s own row no empty "Ações" label', async () => {
    const { client, ana } = await clientWithAdmin()
    await w.user(client, 'bia')
    const html = await (await w.request('/users', { cookie: await w.cookieFor(ana) })).text()
    const rows = [...html.matchAll(/<tr>(.*?)<\/tr>/gs)].map((m) => m[1])
    const own = rows.find((row) => row.includes('(você)'))!
    expect(own).not.toContain('data-label="Ações"')
    const other = rows.find((row) => row.includes('>bia<'))!
    expect(other).toContain('data-label="Ações"')
  })

  it('no text of the portal tells anyone to share a password', async () => {
    const { readFileSync, readdirSync } = await import('node:fs')
    const dir = new URL('../../src/portal/', import.meta.url)
    const files = ['messages.ts', ...readdirSync(new URL('views/', dir)).map((f) => `views/${f}`)]
    for (const file of files) {
      const text = readFileSync(new URL(file, dir), 'utf8').toLowerCase()
      expect(text, file).not.toMatch(/compartilh\w* (a |sua |o usuário e a )?senha|(envie|passe|informe|diga)\w* (a |sua )?senha/)
    }
  })
})

describe('login forms on links say why a session ended', () => {
  it('on a gated document link', async () => {
    const { client, token } = await w.link('on')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const cookie = await w.cookieFor(ana, 'delivery')
    const { changePassword } = await import('../../src/core/identity/credentials.js')
    await changePassword(w.db, ana.id, PASSWORD, 'nova-senha-123')
    const page = await w.request(`/d/${token}`, { cookie })
    expect(page.status).toBe(401)
    expect(await page.text()).toContain('Sua sessão terminou porque a senha da conta foi alterada')
  })
})

describe('the documents filters', () => {
  it('marks a refused competência next to its field, keeping what was typed', async () => {
    const { ana } = await clientWithAdmin()
    const response = await w.request(`/?competence=${encodeURIComponent('13/2026')}`, { cookie: await w.cookieFor(ana) })
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(html).toMatch(/<input id="f-competence" name="competence" type="text" value="13\/2026"[^>]*aria-invalid="true" aria-describedby="f-competence-error f-competence-hint"/)
    expect(html).toContain('<p class="field-error" id="f-competence-error">A competência deve estar no formato')
    expect(html).toMatch(/role="alert".*href="#f-competence"/s)
  })
})
