import { afterEach, describe, expect, it } from 'vitest'
import { createPortalWorld, PASSWORD, type PortalWorld } from './world.js'

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
