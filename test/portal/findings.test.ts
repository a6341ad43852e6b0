import { afterEach, describe, expect, it } from 'vitest'
import { createPortalWorld, PASSWORD, sessionCookie, type PortalWorld } from '../helpers/portal.js'

// Issue 9 §3: tokens never in error lines; the admins' add-user form is throttled.

let w: PortalWorld
afterEach(async () => {
  await w.close()
})

describe('tokens in logs', () => {
  it('redacts the link token from the error line of a failed request', async () => {
    w = await createPortalWorld({
      deps: { accessLog: { record: async () => Promise.reject(new Error('disk full')) } },
    })
    const client = await w.client('Padaria Pão Quente Ltda')
    const doc = await w.doc(client, 'DAS Março', 'fiscal')
    const token = await w.deliver(doc)
    const response = await w.request(`/d/${token}`)
    expect(response.status).toBe(503)
    expect(w.errors.length).toBeGreaterThan(0)
    for (const { message } of w.errors) {
      expect(message).not.toContain(token)
      expect(message).toContain('/d/[token]')
    }
  })
})

describe('username probing', () => {
  it('throttles the admins’ add-user form like registration', async () => {
    w = await createPortalWorld()
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

describe('device cookies (distributed lockout)', () => {
  function deviceCookie(response: Response): string | undefined {
    return /(confi_device=[^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1]
  }

  it('lets a browser that logged in before through while the username is blocked everywhere else', async () => {
    w = await createPortalWorld()
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
    w = await createPortalWorld()
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
