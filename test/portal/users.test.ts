import { describe, expect, it } from 'vitest'
import { accountant } from '../../src/core/actors.js'
import { createPasswordReset } from '../../src/core/identity/password-resets.js'
import { getUser } from '../../src/core/identity/users.js'
import { getVisibility } from '../../src/core/identity/visibility.js'
import { usePortalWorld, PASSWORD, sessionCookie } from '../helpers/portal.js'

const w = usePortalWorld()

async function team() {
  const client = await w.client('Padaria Pão Quente Ltda')
  const admin = await w.user(client, 'ana', { role: 'admin' })
  const colab = await w.user(client, 'bia')
  const pending = await w.user(client, 'caio', { status: 'pending' })
  return { client, admin, colab, pending, cookie: await w.cookieFor(admin) }
}

describe('user administration (docs/rules.md#registration-and-activation)', () => {
  it('lists the client’s users, pending first, and only to admins', async () => {
    const { colab, cookie } = await team()
    const other = await w.client('Outra SA')
    await w.user(other, 'zeca', { role: 'admin' })
    const page = await w.request('/users', { cookie })
    const html = await page.text()
    expect(page.status).toBe(200)
    expect(html.indexOf('caio')).toBeLessThan(html.indexOf('bia'))
    expect(html).toContain('Aguardando ativação')
    expect(html).not.toContain('zeca')
    const asColab = await w.request('/users', { cookie: await w.cookieFor(colab) })
    expect(asColab.status).toBe(403)
    expect(await asColab.text()).toContain('Apenas quem tem o perfil Administração')
    expect((await w.request('/users')).status).toBe(303)
  })

  it('activates, disables, enables and changes roles with POSTs', async () => {
    const { colab, pending, cookie } = await team()
    const act = (id: number, what: string, form: Record<string, string> = {}) =>
      w.request(`/users/${id}/${what}`, { form, cookie })
    expect((await act(pending.id, 'activate')).headers.get('location')).toBe('/users?feito=activated')
    expect((await getUser(w.db, pending.id)).status).toBe('active')
    await act(colab.id, 'disable')
    expect((await getUser(w.db, colab.id)).status).toBe('disabled')
    await act(colab.id, 'enable')
    expect((await getUser(w.db, colab.id)).status).toBe('active')
    await act(colab.id, 'role', { role: 'admin' })
    expect((await getUser(w.db, colab.id)).role).toBe('admin')
    const notice = await w.request('/users?feito=role', { cookie })
    expect(await notice.text()).toContain('Perfil alterado')
  })

  it('refuses to demote or disable the last admin with a clear message', async () => {
    const { admin, cookie } = await team()
    const response = await w.request(`/users/${admin.id}/role`, { form: { role: 'collaborator' }, cookie })
    expect(response.status).toBe(409)
    expect(await response.text()).toContain('pelo menos uma pessoa ativa com perfil Administração')
    expect((await getUser(w.db, admin.id)).role).toBe('admin')
  })

  it('answers 404 for a user of another client', async () => {
    const { cookie } = await team()
    const stranger = await w.user(await w.client('Outra SA'), 'zeca', { role: 'admin' })
    expect((await w.request(`/users/${stranger.id}/disable`, { form: {}, cookie })).status).toBe(404)
    expect((await getUser(w.db, stranger.id)).status).toBe('active')
    expect((await w.request(`/users/${stranger.id}`, { cookie })).status).toBe(404)
  })

  it('does not let a collaborator act, even by posting directly', async () => {
    const { colab, pending } = await team()
    const response = await w.request(`/users/${pending.id}/activate`, { form: {}, cookie: await w.cookieFor(colab) })
    expect(response.status).toBe(403)
    expect((await getUser(w.db, pending.id)).status).toBe('pending')
  })

  it('creates active users, refusing duplicates', async () => {
    const { cookie } = await team()
    const created = await w.request('/users', {
      form: { name: 'Duda Alves', username: 'duda', email: 'duda@padaria.com.br', password: PASSWORD, password_confirm: PASSWORD, role: 'collaborator' },
      cookie,
    })
    expect(created.status).toBe(303)
    const login = await w.request('/login', { form: { username: 'duda', password: PASSWORD } })
    expect(login.status).toBe(303)
    const dup = await w.request('/users', { form: { name: 'Outra', username: 'DUDA', password: PASSWORD, password_confirm: PASSWORD }, cookie })
    expect(dup.status).toBe(409)
    expect(await dup.text()).toContain('já está em uso')
  })

  it('stores a pasted address bare and refuses an address list (issue 19, §4)', async () => {
    const { client, cookie } = await team()
    const base = { name: 'Duda Alves', password: PASSWORD, password_confirm: PASSWORD, role: 'collaborator' }
    const created = await w.request('/users', { form: { ...base, username: 'duda', email: 'Duda Alves <duda@padaria.com.br>' }, cookie })
    expect(created.status).toBe(303)
    const list = await w.request('/users', { form: { ...base, username: 'eva', email: 'eva@padaria.com.br, <chefe@x.com>' }, cookie })
    expect(list.status).toBeGreaterThanOrEqual(400)
    expect(await list.text()).toContain('E-mail inválido')
    const emails = await w.db.selectFrom('client_users').select(['username', 'email']).where('client_id', '=', client.id).where('username', 'in', ['duda', 'eva']).execute()
    expect(emails).toEqual([{ username: 'duda', email: 'duda@padaria.com.br' }])
  })

  it('sets what a collaborator sees', async () => {
    const { client, colab, cookie } = await team()
    const filial = await w.client('Filial Ltda')
    await w.group(client, [filial])
    const form = await w.request(`/users/${colab.id}`, { cookie })
    expect(await form.text()).toContain('Filial Ltda')
    const saved = await w.request(`/users/${colab.id}/visibility`, {
      form: { category: ['pessoal', 'contabil'], company: [String(client.id)] },
      cookie,
    })
    expect(saved.status).toBe(303)
    const visibility = await getVisibility(w.db, colab.id)
    expect(visibility.hiddenCategories).toEqual(['fiscal', 'societario', 'outros'])
    expect(visibility.hiddenCompanyIds).toEqual([filial.id])
  })
})

describe('account and password reset', () => {
  it('changes the password after checking the current one, ending other sessions', async () => {
    const { admin, cookie } = await team()
    const other = await w.cookieFor(admin)
    const wrong = await w.request('/account/password', { form: { current_password: 'nao-e-essa', password: 'nova-senha-123', password_confirm: 'nova-senha-123' }, cookie })
    expect(wrong.status).toBe(403)
    expect(await wrong.text()).toContain('senha atual não confere')
    const ok = await w.request('/account/password', { form: { current_password: PASSWORD, password: 'nova-senha-123', password_confirm: 'nova-senha-123' }, cookie })
    expect(ok.status).toBe(303)
    const fresh = sessionCookie(ok)!
    expect((await w.request('/account', { cookie: fresh })).status).toBe(200)
    expect((await w.request('/account', { cookie: other })).status).toBe(303)
    expect((await w.request('/login', { form: { username: 'ana', password: 'nova-senha-123' } })).status).toBe(303)
  })

  it('resets a password through a one-time link', async () => {
    const { admin } = await team()
    const { token } = await createPasswordReset(w.db, accountant('cli:test'), admin.id)
    const page = await w.request(`/reset/${token}`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('ana')
    const done = await w.request(`/reset/${token}`, { form: { password: 'outra-senha-123', password_confirm: 'outra-senha-123' } })
    expect(done.status).toBe(303)
    expect(done.headers.get('location')).toBe('/login?aviso=senha')
    expect((await w.request(`/reset/${token}`, { form: { password: 'mais-uma-123', password_confirm: 'mais-uma-123' } })).status).toBe(410)
    expect((await w.request(`/reset/${token}`)).status).toBe(404)
    expect((await w.request('/reset/inexistente')).status).toBe(404)
    expect((await w.request('/login', { form: { username: 'ana', password: 'outra-senha-123' } })).status).toBe(303)
  })
})

describe('the users table and the wording', () => {
  it('gives an admin’s own row no empty "Ações" label', async () => {
    const { client, ana } = await w.clientWithAdmin()
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

  it('speaks of the new person on the admins’ form, lists every username character, and never says to share a password', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const html = await (await w.request('/users', { cookie: await w.cookieFor(ana) })).text()
    const form = html.slice(html.indexOf('action="/users"'))
    expect(form).toContain('O nome que a pessoa usará para entrar')
    expect(form).not.toContain('você usará')
    for (const allowed of ['ponto (.)', 'hífen (-)', 'sublinhado (_)', 'arroba (@)']) expect(form).toContain(allowed)
    expect(html.toLowerCase()).not.toMatch(/compartilhe (o usuário e )?a senha/)
  })
})

describe('username probing', () => {
  it('throttles the admins’ add-user form like registration', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const cookie = await w.cookieFor(ana)
    const statuses: number[] = []
    for (let i = 0; i < 25; i++) {
      const response = await w.request('/users', {
        cookie,
        form: { name: 'Tentativa', username: `ana`, password: PASSWORD, password_confirm: PASSWORD, role: 'collaborator' },
      })
      statuses.push(response.status)
    }
    expect(statuses.slice(0, 5)).toEqual([409, 409, 409, 409, 409])
    expect(statuses).toContain(429)
  })
})
