import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setFirmOptions } from '../../src/core/clients/firm.js'
import { createPortalWorld, PASSWORD, sessionCookie, type PortalWorld } from '../helpers/portal.js'
import { ACCOUNTANT } from '../helpers/factories.js'

// docs/security.md: origins, cross-site downloads, HSTS (issue 9 §3).

let w: PortalWorld
beforeEach(async () => {
  w = await createPortalWorld()
})
afterEach(async () => {
  await w.close()
})

async function rawPost(path: string, headers: Record<string, string>, body: string): Promise<Response> {
  return w.app.request(path, { method: 'POST', headers, body, redirect: 'manual' }, {
    incoming: { socket: { remoteAddress: '127.0.0.1', remotePort: 40000 } },
  } as never)
}

describe('forms and origins', () => {
  it('sends Referrer-Policy same-origin so forms carry the real Origin', async () => {
    const response = await w.request('/login')
    expect(response.headers.get('referrer-policy')).toBe('same-origin')
  })

  it('refuses a JSON or text POST without same-origin evidence, and acts on none', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const cookie = await w.cookieFor(ana)
    const json = await rawPost('/logout', { cookie, 'content-type': 'application/json' }, '{}')
    expect(json.status).toBe(403)
    const text = await rawPost('/logout', { cookie, 'content-type': 'application/octet-stream' }, 'x')
    expect(text.status).toBe(403)
    const nullOrigin = await rawPost('/logout', { cookie, origin: 'null', 'content-type': 'application/json' }, '{}')
    expect(nullOrigin.status).toBe(403)
    // The session survived all three.
    expect((await w.request('/', { cookie })).status).toBe(200)
  })

  it('accepts Origin null only with Sec-Fetch-Site same-origin', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    await w.user(client, 'ana', { role: 'admin' })
    const body = new URLSearchParams({ username: 'ana', password: PASSWORD }).toString()
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: 'null' }
    expect((await rawPost('/login', form, body)).status).toBe(403)
    const ok = await rawPost('/login', { ...form, 'sec-fetch-site': 'same-origin' }, body)
    expect(ok.status).toBe(303)
    expect(sessionCookie(ok)).toBeDefined()
  })
})

describe('cross-site downloads', () => {
  it('answers a cross-site download with a button and logs nothing until it is pressed', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const doc = await w.doc(client, 'DAS Março', 'fiscal')
    const cookie = await w.cookieFor(ana)
    const path = `/documents/${doc.id}/files/${doc.attachments[0].id}`
    const forged = await w.request(path, { cookie, headers: { 'sec-fetch-site': 'cross-site' } })
    expect(forged.status).toBe(200)
    expect(forged.headers.get('content-type')).toContain('text/html')
    const html = await forged.text()
    expect(html).toContain(`href="${path}"`)
    expect(html).toContain('Baixar o arquivo')
    expect(await w.accessRows()).toHaveLength(0)
    const pressed = await w.request(path, { cookie, headers: { 'sec-fetch-site': 'same-origin' } })
    expect(Buffer.from(await pressed.arrayBuffer()).equals(doc.bytes)).toBe(true)
    expect((await w.accessRows()).map((r) => r.action)).toEqual(['download'])
  })

  it('does the same on a delivery link’s file for a logged-in visitor', async () => {
    const client = await w.client('Padaria Pão Quente Ltda', { requireLogin: 'on' })
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const doc = await w.doc(client, 'DAS Março', 'fiscal')
    const token = await w.deliver(doc)
    const path = `/d/${token}/files/${doc.attachments[0].id}`
    const forged = await w.request(path, { cookie: await w.cookieFor(ana), headers: { 'sec-fetch-site': 'cross-site' } })
    expect(await forged.text()).toContain('Baixar o arquivo')
    expect(await w.accessRows()).toHaveLength(0)
  })

  it('does the same for ZIP downloads, keeping the list filters', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    await w.doc(client, 'DAS Março', 'fiscal')
    const cookie = await w.cookieFor(ana)
    const path = '/documents/zip?category=fiscal'
    const forged = await w.request(path, { cookie, headers: { 'sec-fetch-site': 'cross-site' } })
    expect(forged.headers.get('content-type')).toContain('text/html')
    expect(await forged.text()).toContain('href="/documents/zip?category=fiscal"')
    expect(await w.accessRows()).toHaveLength(0)
    const pressed = await w.request(path, { cookie, headers: { 'sec-fetch-site': 'same-origin' } })
    expect(pressed.headers.get('content-type')).toBe('application/zip')
    await pressed.arrayBuffer()
    expect((await w.accessRows()).map((r) => r.action)).toEqual(['download'])
  })
})

describe('HSTS', () => {
  it('is sent only when the portal is served over https', async () => {
    expect((await w.request('/login')).headers.get('strict-transport-security')).toBeNull()
    await setFirmOptions(w.db, ACCOUNTANT, { baseUrl: 'https://portal.example.com.br' })
    const response = await w.request('/login')
    expect(response.headers.get('strict-transport-security')).toContain('max-age=')
  })
})

describe('Permissions-Policy', () => {
  it('turns every device and powerful feature off on every response: pages, errors, files, health', async () => {
    const { file } = await w.link('off')
    const responses = [
      await w.request('/login'),
      await w.request('/nada-aqui'),
      await w.request(file),
      await w.request('/healthz'),
      await rawPost('/login', { 'content-type': 'text/plain' }, 'x'),
    ]
    expect(responses.map((r) => r.status)).toEqual([200, 404, 200, 200, 403])
    for (const response of responses) {
      const policy = response.headers.get('permissions-policy') ?? ''
      for (const feature of ['camera', 'microphone', 'geolocation', 'payment', 'usb', 'display-capture', 'publickey-credentials-get']) {
        expect(policy).toContain(`${feature}=()`)
      }
      // Nothing is allowed to anyone.
      expect(policy).not.toMatch(/=\(?(self|\*)/)
    }
  })
})

describe('malformed form bodies', () => {
  // A form whose body cannot be read (a broken multipart, one without a boundary) is the sender's
  // mistake: 400 with the pt-BR page, never "Erro inesperado" (500) and an error in the log.
  it('answer 400 "Dados inválidos" on every form, and log nothing', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const cookie = await w.cookieFor(ana)
    const bodies = [
      { 'content-type': 'multipart/form-data; boundary=zz' },
      { 'content-type': 'multipart/form-data' },
    ]
    for (const path of ['/login', '/logout', `${w.loginPath(client)}/register`, '/account/password', `/users/${ana.id}/role`, '/reset/abc']) {
      for (const headers of bodies) {
        const response = await rawPost(path, { cookie, origin: 'http://localhost', ...headers }, 'garbage')
        expect({ path, status: response.status }).toEqual({ path, status: 400 })
        expect(await response.text()).toContain('<title>Dados inválidos')
      }
    }
    expect(w.errors).toEqual([])
    // Nothing was acted on: the session is still there.
    expect((await w.request('/', { cookie })).status).toBe(200)
  })
})

describe('a known address asked with another method', () => {
  it('answers 405 with Allow and the pt-BR page, and does nothing', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const ana = await w.user(client, 'ana', { role: 'admin' })
    const cookie = await w.cookieFor(ana)
    const cases: [string, string, string][] = [
      ['GET', '/logout', 'POST'],
      ['GET', `/users/${ana.id}/activate`, 'POST'],
      ['GET', '/account/meus-dados', 'POST'],
      ['POST', '/documents/1', 'GET, HEAD'],
      ['PUT', '/login', 'GET, HEAD, POST'],
      ['DELETE', `/users/${ana.id}`, 'GET, HEAD'],
    ]
    for (const [method, path, allow] of cases) {
      const response = await w.request(path, { method, cookie, headers: { origin: 'http://localhost' } })
      expect({ method, path, status: response.status, allow: response.headers.get('allow') }).toEqual({ method, path, status: 405, allow })
      expect(await response.text()).toContain('<title>Pedido não aceito neste endereço')
    }
    // Still logged in (GET /logout did not log out); an unknown address is still a 404.
    expect((await w.request('/', { cookie })).status).toBe(200)
    expect((await w.request('/nada-aqui', { cookie })).status).toBe(404)
    expect((await w.request('/users/1/nada', { cookie })).status).toBe(404)
  })
})
