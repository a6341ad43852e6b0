import { describe, expect, it } from 'vitest'
import { usePortalWorld, PASSWORD } from '../helpers/portal.js'

// The portal's forms: passwords asked twice, errors next to their field and summed up first.

const w = usePortalWorld()

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
    const { client } = await w.clientWithAdmin()
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
    const { ana } = await w.clientWithAdmin()
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
    const { ana } = await w.clientWithAdmin()
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
