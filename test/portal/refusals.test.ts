import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ConflictError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  ThrottledError,
  UnavailableError,
  ValidationError,
} from '../../src/core/errors.js'
import { m, waitText } from '../../src/portal/messages.js'
import { FormError, refusalOf } from '../../src/portal/refusals.js'
import { createPortalWorld, PASSWORD, type PortalWorld } from '../helpers/portal.js'

describe('the refusal map (docs/decisions.md, "One refusal map")', () => {
  it('gives every core refusal class one status and a pt-BR page title', () => {
    const cases: [Error, number, string][] = [
      [new NotFoundError('no user 7'), 404, m.errors.notFoundTitle],
      [new GoneError('delivery revoked'), 410, m.errors.goneTitle],
      [new ThrottledError('slow down', 90), 429, m.errors.throttledTitle],
      [new ValidationError('bad'), 400, m.errors.badRequestTitle],
      [new ForbiddenError('no'), 403, m.errors.forbiddenTitle],
      [new ConflictError('changed'), 409, m.errors.conflictTitle],
    ]
    for (const [error, status, title] of cases) expect(refusalOf(error)).toMatchObject({ status, title })
  })

  it('words a refusal by its reason, the portal’s own text, or its class; never core’s English', () => {
    const taken = new ConflictError("username 'ana' is already taken", { reason: 'username_taken' })
    expect(refusalOf(taken)?.message).toBe('Este nome de usuário já está em uso. Escolha outro.')
    const wrong = new ForbiddenError('the current password is wrong', { reason: 'wrong_current_password' })
    expect(refusalOf(wrong)).toMatchObject({ status: 403, message: m.account.wrongCurrent })
    expect(refusalOf(new FormError('Preencha o campo Nome.'))?.message).toBe('Preencha o campo Nome.')
    expect(refusalOf(new ValidationError('page size 0 is not valid'))?.message).toBe(m.errors.badRequest)
    expect(refusalOf(new ForbiddenError('only admins'))?.message).toBe(m.errors.forbidden)
    expect(refusalOf(new ConflictError('state changed'))?.message).toBe(m.errors.conflict)
    expect(refusalOf(new ThrottledError('slow down', 90))).toMatchObject({ message: waitText(90), retryAfterSeconds: 90 })
  })

  it('leaves outages and unexpected errors to the error handler', () => {
    expect(refusalOf(new UnavailableError('disk gone'))).toBeNull()
    expect(refusalOf(new Error('bug'))).toBeNull()
  })
})

describe('forms and the error page answer through the same map', () => {
  let w: PortalWorld
  beforeEach(async () => {
    w = await createPortalWorld()
  })
  afterEach(async () => {
    await w.close()
  })

  it('answers Forbidden with 403 on the account form, keeping the page and its sentence', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const cookie = await w.cookieFor(await w.user(client, 'ana', { role: 'admin' }))
    const form = { current_password: 'nao-e-essa', password: 'nova-senha-123', password_confirm: 'nova-senha-123' }
    const response = await w.request('/account/password', { cookie, form })
    expect(response.status).toBe(403)
    const html = await response.text()
    expect(html).toContain(m.account.wrongCurrent)
    expect(html).toContain(m.account.changePassword)
  })

  it('answers a Conflict with 409 on the users form, keeping what was typed', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const cookie = await w.cookieFor(await w.user(client, 'ana', { role: 'admin' }))
    const form = { name: 'Outra Ana', username: 'ana', email: '', password: PASSWORD, password_confirm: PASSWORD, role: 'collaborator' }
    const response = await w.request('/users', { cookie, form })
    expect(response.status).toBe(409)
    const html = await response.text()
    expect(html).toContain('Este nome de usuário já está em uso')
    expect(html).toContain('value="Outra Ana"')
  })

  it('answers a throttled registration with 429, Retry-After and the wait on the form', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const path = `${w.loginPath(client)}/register`
    let response: Response | undefined
    for (let i = 0; i < 50 && response?.status !== 429; i++) {
      const form = { name: `Pessoa ${i}`, username: '', email: '', password: '' }
      response = await w.request(path, { form, ip: '203.0.113.9' })
    }
    expect(response?.status).toBe(429)
    expect(Number(response?.headers.get('retry-after'))).toBeGreaterThan(0)
    const html = await response!.text()
    expect(html).toContain('Muitas tentativas')
    expect(html).toContain('value="Pessoa')
  })

  it('sends what a form does not handle (an unknown id) to the error page', async () => {
    const client = await w.client('Padaria Pão Quente Ltda')
    const cookie = await w.cookieFor(await w.user(client, 'ana', { role: 'admin' }))
    const response = await w.request('/users/999999/disable', { cookie, form: {} })
    expect(response.status).toBe(404)
    expect(await response.text()).toContain(m.errors.notFoundTitle)
  })
})
