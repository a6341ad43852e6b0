import { describe, expect, it } from 'vitest'
import { pruneExpired } from '../../src/core/ops/maintenance.js'
import { setUserRole } from '../../src/core/identity/users.js'
import { setClock } from '../../src/core/time.js'
import { usePortalWorld, PASSWORD } from '../helpers/portal.js'

// The end of a portal session, and what the login page then tells the person.

const w = usePortalWorld()

describe('a session that ended says why', () => {
  async function followToLogin(response: Response): Promise<string> {
    expect(response.status).toBe(303)
    return (await w.request(response.headers.get('location')!)).text()
  }

  it('after a password change elsewhere', async () => {
    const { ana } = await w.clientWithAdmin()
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
    const { client, ana } = await w.clientWithAdmin()
    const bia = await w.user(client, 'bia')
    const cookie = await w.cookieFor(bia)
    await setUserRole(w.db, { kind: 'client_user', userId: ana.id }, bia.id, 'admin')
    const direct = await w.request('/login', { cookie })
    expect(direct.status).toBe(200)
    expect(await direct.text()).toContain('Sua sessão terminou porque sua conta foi alterada (por exemplo, o perfil, a situação ou a verificação em duas etapas)')
    const other = await w.cookieFor(bia)
    const disabled = await w.request(`/users/${bia.id}/disable`, { form: {}, cookie: await w.cookieFor(ana) })
    expect(disabled.status).toBe(303)
    expect(await followToLogin(await w.request('/', { cookie: other }))).toContain('sua conta foi alterada')
  })

  it('after it expired, found by the request or by the hourly prune', async () => {
    const { ana } = await w.clientWithAdmin()
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
    const { ana } = await w.clientWithAdmin()
    const cookie = await w.cookieFor(ana)
    const logout = await w.request('/logout', { form: {}, cookie })
    expect(logout.headers.get('location')).toBe('/login?aviso=saiu')
    expect((await w.request('/')).headers.get('location')).toBe('/login')
    expect(await (await w.request('/login')).text()).not.toContain('Sua sessão terminou')
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
