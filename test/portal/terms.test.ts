import { describe, expect, it } from 'vitest'
import { publishTerms } from '../../src/core/identity/terms.js'
import { ACCOUNTANT } from '../helpers/factories.js'
import { ORIGIN, PASSWORD, sessionCookie, usePortalWorld, visible, type PortalWorld } from '../helpers/portal.js'

const w = usePortalWorld()

const TERMS_V1 = '# Termos de uso\n\nO escritório trata seus dados para prestar os serviços contábeis.\n\n- Dados de acesso\n- Documentos\n'
const TERMS_V2 = `${TERMS_V1}\n## Mudanças\n\nVersão 2.\n`
const UA = 'Mozilla/5.0 (Android 14; Mobile) Teste'

const publish = (text: string) => publishTerms(w.db, ACCOUNTANT, { bytes: Buffer.from(text), sourceName: 'termos.md' })

const register = (w: PortalWorld, path: string, username: string, extra: Record<string, string> = {}) =>
  w.request(path, {
    form: { name: `Pessoa ${username}`, username, email: '', password: PASSWORD, password_confirm: PASSWORD, ...extra },
    headers: { 'user-agent': UA },
    ip: '203.0.113.50',
  })

async function acceptedRows(userId: number) {
  return w.db.selectFrom('terms_acceptances').selectAll().where('user_id', '=', userId).orderBy('terms_id').execute()
}

async function termsLogRows() {
  return w.db
    .selectFrom('access_log as a')
    .leftJoin('access_log_personal as p', 'p.id', 'a.id')
    .select(['a.id', 'a.kind', 'a.client_id', 'a.user_id', 'a.channel', 'a.details', 'p.username', 'p.ip', 'p.port', 'p.user_agent'])
    .where('a.kind', '=', 'terms.accepted')
    .orderBy('a.id')
    .execute()
}

describe('terms at registration (docs/rules.md#terms-and-consent)', () => {
  it('asks nothing when the firm published no terms', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const page = await (await w.request(w.loginPath(client))).text()
    expect(page).not.toContain('name="terms"')
    expect((await register(w, `${w.loginPath(client)}/register`, 'ana')).status).toBe(303)
    expect((await w.request('/termos')).status).toBe(404)
  })

  it('refuses a registration without the box, creating nothing, and records the consent with the account', async () => {
    const { version } = await publish(TERMS_V1)
    const client = await w.client('Padaria Pão Quente Ltda')
    const page = await (await w.request(w.loginPath(client))).text()
    expect(page).toContain('name="terms"')
    expect(page).toContain(`name="terms_id" value="${version.id}"`)
    expect(page).toContain('href="/termos"')
    expect(visible(page)).toContain('Li e concordo com os termos de uso e o aviso de privacidade')

    const path = `${w.loginPath(client)}/register`
    const attempts: Record<string, string>[] = [{}, { terms_id: String(version.id) }, { terms: '1' }, { terms: '1', terms_id: 'abc' }]
    for (const extra of attempts) {
      const refused = await register(w, path, 'ana', extra)
      expect(refused.status).toBe(400)
      expect(sessionCookie(refused)).toBeUndefined()
      const html = await refused.text()
      expect(visible(html)).toContain('Para criar a conta, marque “Li e concordo com os termos de uso e o aviso de privacidade”.')
      expect(html).toContain('id="register-terms-error"')
      // What the person typed stays in the form.
      expect(html).toContain('value="Pessoa ana"')
    }
    expect(await w.db.selectFrom('client_users').select('id').execute()).toEqual([])
    expect(await termsLogRows()).toEqual([])

    const created = await register(w, path, 'ana', { terms: '1', terms_id: String(version.id) })
    expect(created.status).toBe(303)
    const user = await w.db.selectFrom('client_users').select(['id', 'client_id']).where('username', '=', 'ana').executeTakeFirstOrThrow()
    const [acceptance] = await acceptedRows(Number(user.id))
    const [row] = await termsLogRows()
    expect(acceptance).toMatchObject({ terms_id: version.id, log_id: row.id })
    expect(row).toMatchObject({ client_id: client.id, channel: 'portal', username: 'ana', ip: '203.0.113.50', user_agent: UA })
    expect(Number(row.port)).toBe(40000)
    expect(JSON.parse(row.details!)).toEqual({ sha256: version.sha256, terms_id: version.id })
    // Accepted at registration: the area opens at once.
    expect((await w.request('/', { cookie: sessionCookie(created) })).status).toBe(200)
  })

  it('refuses a consent to a version replaced while the form was open', async () => {
    const { version: old } = await publish(TERMS_V1)
    await publish(TERMS_V2)
    const client = await w.client('Padaria Pão Quente Ltda')
    const refused = await register(w, `${w.loginPath(client)}/register`, 'ana', { terms: '1', terms_id: String(old.id) })
    expect(refused.status).toBe(409)
    expect(visible(await refused.text())).toContain('nova versão dos termos')
    expect(await w.db.selectFrom('client_users').select('id').execute()).toEqual([])
  })

  it('asks for the consent on a document link registration too', async () => {
    const { version } = await publish(TERMS_V1)
    const { token } = await w.link('on')
    const page = await w.request(`/d/${token}`)
    expect(await page.text()).toContain('name="terms"')
    const refused = await register(w, `/d/${token}/register`, 'ana')
    expect(refused.status).toBe(400)
    expect(await w.db.selectFrom('client_users').select('id').execute()).toEqual([])
    const created = await register(w, `/d/${token}/register`, 'ana', { terms: '1', terms_id: String(version.id) })
    expect(created.status).toBe(303)
    expect(created.headers.get('location')).toBe(`/d/${token}`)
    expect((await w.request(`/d/${token}`, { cookie: sessionCookie(created) })).status).toBe(200)
    expect(await termsLogRows()).toHaveLength(1)
  })
})

describe('accepting before reaching anything (docs/rules.md#terms-and-consent)', () => {
  async function world() {
    const { client, ana } = await w.clientWithAdmin()
    const doc = await w.doc(client, 'DAS Março 2026')
    const token = await w.deliver(doc)
    return { client, ana, doc, token, cookie: await w.cookieFor(ana) }
  }

  it('sends a user who has not accepted the current version to the acceptance page from every kind of page', async () => {
    const { ana, doc, token, cookie } = await world()
    // Before terms exist, nothing changes.
    expect((await w.request('/', { cookie })).status).toBe(200)
    const { version } = await publish(TERMS_V1)
    const file = doc.attachments[0].id
    const gets = [
      '/', '/?aviso=admin', `/documents/${doc.id}`, `/documents/${doc.id}/files/${file}`, '/enviar', '/pendencias/1', '/users',
      `/users/${ana.id}`, '/account', '/account/2fa', `/d/${token}`, `/d/${token}/files/${file}`, `/d/${token}/zip`, '/login', '/nao-existe',
    ]
    for (const path of gets) {
      const response = await w.request(path, { cookie })
      expect([path, response.status]).toEqual([path, 303])
      const location = response.headers.get('location')!
      expect(location.startsWith('/termos/aceitar')).toBe(true)
      if (path !== '/') expect(new URL(location, ORIGIN).searchParams.get('next')).toBe(path)
    }
    const posts: [string, Record<string, string>][] = [
      ['/account/password', { current_password: PASSWORD, password: 'outra-senha-1', password_confirm: 'outra-senha-1' }],
      ['/users', { name: 'Bruno', username: 'bruno', password: PASSWORD, password_confirm: PASSWORD }],
      ['/enviar', { categoria: 'fiscal' }],
    ]
    for (const [path, form] of posts) {
      const response = await w.request(path, { cookie, form })
      expect([path, response.status, response.headers.get('location')]).toEqual([path, 303, '/termos/aceitar'])
    }
    // Nothing was downloaded or changed meanwhile.
    expect(await w.accessRows()).toEqual([])
    expect(await w.db.selectFrom('client_users').select('username').where('username', '=', 'bruno').execute()).toEqual([])

    // The terms themselves and logging out stay reachable.
    expect((await w.request('/termos', { cookie })).status).toBe(200)
    const accept = await w.request(`/termos/aceitar?next=${encodeURIComponent(`/documents/${doc.id}`)}`, { cookie })
    expect(accept.status).toBe(200)
    const html = await accept.text()
    expect(visible(html)).toContain('O escritório trata seus dados')
    expect(html).toContain(`name="terms_id" value="${version.id}"`)
    expect(html).toContain('action="/logout"')

    const accepted = await w.request('/termos/aceitar', {
      cookie,
      form: { terms_id: String(version.id), next: `/documents/${doc.id}` },
      headers: { 'user-agent': UA },
    })
    expect(accepted.status).toBe(303)
    expect(accepted.headers.get('location')).toBe(`/documents/${doc.id}`)
    for (const path of ['/', `/documents/${doc.id}`, '/account', `/d/${token}`]) expect((await w.request(path, { cookie })).status).toBe(200)
    expect(await acceptedRows(ana.id)).toHaveLength(1)
    const [row] = await termsLogRows()
    expect(row).toMatchObject({ user_id: ana.id, username: 'ana', user_agent: UA })
    // Accepted already: the acceptance page sends the user on, and a second POST records nothing.
    expect((await w.request('/termos/aceitar', { cookie })).headers.get('location')).toBe('/')
    await w.request('/termos/aceitar', { cookie, form: { terms_id: String(version.id) } })
    expect(await termsLogRows()).toHaveLength(1)

    const logout = await w.request('/logout', { cookie, form: {} })
    expect(logout.status).toBe(303)
  })

  it('asks again for a new version, not for the same text published again', async () => {
    const { ana, cookie } = await world()
    const first = await publish(TERMS_V1)
    await w.request('/termos/aceitar', { cookie, form: { terms_id: String(first.version.id) } })
    expect((await w.request('/', { cookie })).status).toBe(200)

    // The same text, saved by another editor (a BOM, CRLF line ends): nothing new to accept.
    const again = await publish(`\uFEFF${TERMS_V1.replace(/\n/g, '\r\n')}`)
    expect(again).toMatchObject({ published: false, version: { id: first.version.id } })
    expect((await w.request('/', { cookie })).status).toBe(200)

    const second = await publish(TERMS_V2)
    expect(second.published).toBe(true)
    expect((await w.request('/', { cookie })).headers.get('location')).toBe('/termos/aceitar')
    // A form still holding the old version is refused and shows the new one.
    const stale = await w.request('/termos/aceitar', { cookie, form: { terms_id: String(first.version.id) } })
    expect(stale.status).toBe(409)
    const staleHtml = visible(await stale.text())
    expect(staleHtml).toContain('nova versão dos termos')
    expect(staleHtml).toContain('Versão 2.')
    expect((await w.request('/termos/aceitar', { cookie, form: { terms_id: 'x' } })).status).toBe(409)
    await w.request('/termos/aceitar', { cookie, form: { terms_id: String(second.version.id) } })
    expect((await w.request('/', { cookie })).status).toBe(200)
    expect((await acceptedRows(ana.id)).map((r) => r.terms_id)).toEqual([first.version.id, second.version.id])
    expect((await termsLogRows()).map((r) => JSON.parse(r.details!).sha256)).toEqual([first.version.sha256, second.version.sha256])
  })

  it('refuses a cross-site acceptance', async () => {
    const { ana, cookie } = await world()
    const { version } = await publish(TERMS_V1)
    const forged = await w.request('/termos/aceitar', { cookie, form: { terms_id: String(version.id) }, headers: { origin: 'https://evil.example' } })
    expect(forged.status).toBe(403)
    expect(await acceptedRows(ana.id)).toEqual([])
  })

  it('asks a delivery-only session, never a visitor of a link that needs no login', async () => {
    await publish(TERMS_V1)
    const open = await w.link('off')
    expect((await w.request(`/d/${open.token}`)).status).toBe(200)
    expect((await w.request(open.file)).status).toBe(200)

    const gated = await w.link('on')
    const bruno = await w.user(gated.client, 'bruno', { role: 'admin' })
    const cookie = await w.cookieFor(bruno, 'delivery')
    const response = await w.request(`/d/${gated.token}`, { cookie })
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`/termos/aceitar?next=${encodeURIComponent(`/d/${gated.token}`)}`)
    expect((await w.request('/termos/aceitar', { cookie })).status).toBe(200)
  })

  it('sends nobody without a session to the acceptance page, but to the login', async () => {
    await publish(TERMS_V1)
    expect((await w.request('/termos/aceitar')).headers.get('location')).toBe('/login?next=%2Ftermos%2Faceitar')
    expect((await w.request('/')).headers.get('location')).toMatch(/^\/login/)
  })
})

describe('the terms page (docs/rules.md#terms-and-consent)', () => {
  it('shows the Markdown as headings, lists and paragraphs, and any HTML in it as text', async () => {
    await publish('# Termos\n\nTexto com <script>alert(1)</script> e <img src=x onerror=alert(2)> e **negrito**.\n\n1. Um\n2. Dois\n\n<b>fim</b>\n')
    const response = await w.request('/termos')
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html).toContain('<h2>Termos</h2>')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;')
    expect(html).toContain('<strong>negrito</strong>')
    expect(html).toContain('<ol><li>Um</li><li>Dois</li></ol>')
    expect(html).toContain('&lt;b&gt;fim&lt;/b&gt;')
    expect(html).not.toContain('<script>')
    expect(html).not.toContain('<img')
  })
})
