import { afterEach, describe, expect, it } from 'vitest'
import { clientUser } from '../../../src/core/actors.js'
import { ConflictError, ForbiddenError, ThrottledError } from '../../../src/core/errors.js'
import { createPendingLogin, lookupPendingLogin } from '../../../src/core/identity/pending-logins.js'
import { createSession } from '../../../src/core/identity/sessions.js'
import { base32Decode, totpCode } from '../../../src/core/identity/totp.js'
import {
  confirmTwoFactorSetup,
  disableTwoFactor,
  resetTwoFactor,
  secondStepFor,
  startTwoFactorSetup,
  twoFactorState,
  verifySecondFactor,
  owesTwoFactorSetup,
  type TwoFactorSetupProof,
} from '../../../src/core/identity/two-factor.js'
import type { ClientUser } from '../../../src/core/identity/users.js'
import { pruneExpired } from '../../../src/core/ops/maintenance.js'
import { setClock } from '../../../src/core/time.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, eventActions, makeClient, makeUser, memoHasher, PASSWORD } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const START = Date.parse('2026-03-10T12:00:10Z')
let current = START
let restore: () => void = () => {}
afterEach(() => restore())

async function user(role: 'admin' | 'collaborator' = 'admin'): Promise<ClientUser> {
  current = START
  restore = setClock(() => new Date(current))
  const client = await makeClient(t.db, t.key, { name: 'Padaria Ltda' })
  return makeUser(t.db, { clientId: client.id, username: `ana-${role}`, name: 'Ana', role })
}

const POLICY = { idleMinutes: 60, absoluteHours: 12 }

/** What a signed-in user turning two-factor on gives: the password and the session kept open. */
async function sessionProof(u: ClientUser): Promise<TwoFactorSetupProof> {
  const { session } = await createSession(t.db, { userId: u.id, scope: 'area' }, POLICY)
  return { password: PASSWORD, sessionId: session.id }
}

/** Turns two-factor on for `u`; returns its secret and recovery codes. */
async function enable(u: ClientUser): Promise<{ secret: Buffer; codes: string[] }> {
  const setup = await startTwoFactorSetup(t.db, t.key, u, 'Contabilidade Teste')
  const secret = base32Decode(setup.secret)
  const proof = await sessionProof(u)
  const codes = await confirmTwoFactorSetup(t.db, t.key, { userId: u.id, code: totpCode(secret, new Date(current)), ip: '10.0.0.1', proof }, memoHasher)
  return { secret, codes }
}

const check = (u: ClientUser, code: string, ip = '10.0.0.1') => verifySecondFactor(t.db, t.key, { userId: u.id, code, ip })

describe('two-factor set-up (docs/rules.md#two-factor-login)', () => {
  it('stores the secret sealed, resumes the same secret, turns on with a valid code and gives 10 hashed recovery codes', async () => {
    const ana = await user()
    const first = await startTwoFactorSetup(t.db, t.key, ana, 'Contabilidade Teste')
    expect(first.secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(first.uri).toContain(`secret=${first.secret}`)
    expect((await startTwoFactorSetup(t.db, t.key, ana, 'Contabilidade Teste')).secret).toBe(first.secret)
    const row = await t.db.selectFrom('two_factor').selectAll().executeTakeFirstOrThrow()
    const raw = base32Decode(first.secret)
    for (const clear of [first.secret, raw.toString('hex'), raw.toString('base64'), raw.toString('base64url')]) {
      expect(row.secret_sealed).not.toContain(clear)
    }
    expect(row.enabled_at).toBeNull()
    expect(await secondStepFor(t.db, ana, 'off')).toBe('none')

    const proof = await sessionProof(ana)
    await expect(confirmTwoFactorSetup(t.db, t.key, { userId: ana.id, code: '000000', ip: null, proof }, memoHasher)).rejects.toThrow(ForbiddenError)
    const codes = await confirmTwoFactorSetup(t.db, t.key, { userId: ana.id, code: totpCode(raw, new Date(current)), ip: null, proof }, memoHasher)
    expect(codes).toHaveLength(10)
    expect(new Set(codes).size).toBe(10)
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/)
    const stored = await t.db.selectFrom('recovery_codes').select('code_hash').execute()
    expect(stored).toHaveLength(10)
    for (const { code_hash } of stored) for (const code of codes) expect(code_hash).not.toContain(code.replace('-', ''))
    expect(await twoFactorState(t.db, ana.id)).toEqual({ enabled: true, recoveryCodesLeft: 10 })
    expect(await secondStepFor(t.db, ana, 'off')).toBe('code')
    await expect(startTwoFactorSetup(t.db, t.key, ana, 'X')).rejects.toThrow(ConflictError)
    expect(await eventActions(t.db)).toContain('user.two_factor_enabled')
  })

  it('opens a sealed secret only for its own user: a row copied to another user does not verify', async () => {
    const ana = await user()
    const { secret } = await enable(ana)
    const bia = await makeUser(t.db, { clientId: ana.clientId, username: 'bia', name: 'Bia', role: 'collaborator' })
    const row = await t.db.selectFrom('two_factor').selectAll().where('user_id', '=', ana.id).executeTakeFirstOrThrow()
    await t.db.insertInto('two_factor').values({ user_id: bia.id, secret_sealed: row.secret_sealed, enabled_at: row.enabled_at }).execute()
    current += 30_000
    await expect(check(bia, totpCode(secret, new Date(current)))).rejects.toThrow(/cannot be opened with this secret key file/)
  })

  it('makes the policy ask covered users without two-factor to set it up', async () => {
    const admin = await user('admin')
    const collaborator = await makeUser(t.db, { clientId: admin.clientId, username: 'caio', name: 'Caio', role: 'collaborator' })
    expect(await secondStepFor(t.db, admin, 'admins')).toBe('setup')
    expect(await secondStepFor(t.db, collaborator, 'admins')).toBe('none')
    expect(await secondStepFor(t.db, collaborator, 'all')).toBe('setup')
  })
})

describe('second factor at login', () => {
  it('accepts a code once: the same code is refused again within its window, the next step is accepted', async () => {
    const ana = await user()
    const { secret } = await enable(ana)
    // The set-up's own code is spent too.
    await expect(check(ana, totpCode(secret, new Date(current)))).rejects.toThrow(ForbiddenError)
    current += 30_000
    const code = totpCode(secret, new Date(current))
    expect(await check(ana, code)).toBe('totp')
    current += 10_000
    await expect(check(ana, code)).rejects.toMatchObject({ reason: 'wrong_code' })
    // A code of an older step than the last accepted one is refused even inside the window.
    await expect(check(ana, totpCode(secret, new Date(current - 30_000)))).rejects.toThrow(ForbiddenError)
    current += 30_000
    expect(await check(ana, totpCode(secret, new Date(current)).replace(/(\d{3})/, '$1 '))).toBe('totp')
  })

  it('gives two parallel checks of one code a single success', async () => {
    const ana = await user()
    const { secret, codes } = await enable(ana)
    current += 30_000
    const code = totpCode(secret, new Date(current))
    const totp = await Promise.allSettled([check(ana, code), check(ana, code)])
    expect(totp.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    const recovery = await Promise.allSettled([check(ana, codes[0]), check(ana, codes[0])])
    expect(recovery.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
  })

  it('accepts each recovery code once, in any case and spacing, and records its use', async () => {
    const ana = await user()
    const { codes } = await enable(ana)
    expect(await check(ana, ` ${codes[0].toUpperCase().replace('-', ' ')} `)).toBe('recovery')
    await expect(check(ana, codes[0])).rejects.toThrow(ForbiddenError)
    expect(await twoFactorState(t.db, ana.id)).toEqual({ enabled: true, recoveryCodesLeft: 9 })
    expect(await check(ana, codes[1])).toBe('recovery')
    expect(await eventActions(t.db)).toEqual(expect.arrayContaining(['user.recovery_code_used']))
    // Another user's recovery code is not this user's.
    const bia = await makeUser(t.db, { clientId: ana.clientId, username: 'bia', name: 'Bia', role: 'collaborator' })
    const { codes: biaCodes } = await enable(bia)
    await expect(check(ana, biaCodes[0])).rejects.toThrow(ForbiddenError)
  })

  it('throttles wrong codes like passwords: after 5 wrong ones even the right code waits', async () => {
    const ana = await user()
    const { secret } = await enable(ana)
    current += 30_000
    for (let i = 0; i < 5; i++) await expect(check(ana, '000000')).rejects.toThrow(ForbiddenError)
    const right = totpCode(secret, new Date(current))
    await expect(check(ana, right)).rejects.toThrow(ThrottledError)
    // From another network too: the count is the user's.
    await expect(check(ana, right, '10.9.9.9')).rejects.toThrow(ThrottledError)
    current += 3_000
    expect(await check(ana, right)).toBe('totp')
    const rows = await t.db.selectFrom('login_throttle').select('throttle_key').execute()
    expect(rows.map((r) => r.throttle_key)).not.toContain(`second-factor:${ana.id}`)
  })
})

describe('turning two-factor off', () => {
  it('needs the password or a code, and is refused while the policy covers the user', async () => {
    const ana = await user()
    const { secret } = await enable(ana)
    const off = (extra: { password?: string; code?: string }, policy: 'off' | 'admins' = 'off') =>
      disableTwoFactor(t.db, t.key, { user: ana, policy, ip: null, ...extra }, memoHasher)
    await expect(off({ password: PASSWORD }, 'admins')).rejects.toMatchObject({ reason: 'two_factor_required' })
    await expect(off({ password: 'senha errada' })).rejects.toMatchObject({ reason: 'wrong_current_password' })
    await expect(off({ code: '000000' })).rejects.toMatchObject({ reason: 'wrong_code' })
    expect((await twoFactorState(t.db, ana.id)).enabled).toBe(true)
    current += 30_000
    await off({ code: totpCode(secret, new Date(current)) })
    expect(await twoFactorState(t.db, ana.id)).toEqual({ enabled: false, recoveryCodesLeft: 0 })
    expect(await t.db.selectFrom('recovery_codes').selectAll().execute()).toHaveLength(0)
    await expect(off({ password: PASSWORD })).rejects.toMatchObject({ reason: 'two_factor_off' })
    expect(await eventActions(t.db)).toContain('user.two_factor_disabled')
  })
})

describe('the accountant resets two-factor', () => {
  it('turns it off, deletes the recovery codes, ends sessions and half-finished logins, writes an event', async () => {
    const ana = await user()
    await enable(ana)
    const policy = { idleMinutes: 60, absoluteHours: 12 }
    await createSession(t.db, { userId: ana.id, scope: 'area' }, policy)
    const { token } = await createPendingLogin(t.db, { userId: ana.id, scope: 'area', step: 'code' })
    await expect(resetTwoFactor(t.db, clientUser(ana.id), ana.id)).rejects.toThrow(ForbiddenError)
    await resetTwoFactor(t.db, ACCOUNTANT, ana.id)
    expect(await twoFactorState(t.db, ana.id)).toEqual({ enabled: false, recoveryCodesLeft: 0 })
    expect(await t.db.selectFrom('two_factor').selectAll().execute()).toHaveLength(0)
    expect(await t.db.selectFrom('recovery_codes').selectAll().execute()).toHaveLength(0)
    expect(await t.db.selectFrom('sessions').selectAll().execute()).toHaveLength(0)
    expect(await lookupPendingLogin(t.db, token)).toBeNull()
    const event = await t.db.selectFrom('events').selectAll().where('action', '=', 'user.two_factor_reset').executeTakeFirstOrThrow()
    expect(event).toMatchObject({ actor: 'cli:test', user_id: ana.id, client_id: ana.clientId })
    await expect(resetTwoFactor(t.db, ACCOUNTANT, ana.id)).rejects.toThrow(/nothing to reset/)
  })
})

describe('pending logins', () => {
  it('keep only the token hash and expire after 5 minutes (15 for a set-up)', async () => {
    const ana = await user()
    const code = await createPendingLogin(t.db, { userId: ana.id, scope: 'delivery', nextPath: '/d/x', step: 'code' })
    const setup = await createPendingLogin(t.db, { userId: ana.id, scope: 'area', step: 'setup' })
    const rows = await t.db.selectFrom('pending_logins').selectAll().execute()
    expect(rows.map((r) => r.token_hash)).not.toContain(code.token)
    expect(await lookupPendingLogin(t.db, code.token)).toMatchObject({ userId: ana.id, scope: 'delivery', nextPath: '/d/x' })
    current += 5 * 60_000
    expect(await lookupPendingLogin(t.db, code.token)).toBeNull()
    expect(await lookupPendingLogin(t.db, setup.token)).not.toBeNull()
    // Pruning (confi maintenance prune, and confi serve hourly) removes what expired unread.
    await createPendingLogin(t.db, { userId: ana.id, scope: 'area', step: 'code' })
    current += 10 * 60_000
    expect((await pruneExpired(t.db)).pendingLogins).toBe(2)
    expect(await lookupPendingLogin(t.db, setup.token)).toBeNull()
    expect(await t.db.selectFrom('pending_logins').selectAll().execute()).toHaveLength(0)
  })
})

describe('turning two-factor on (issue 19, §4)', () => {
  it('asks for the current password, throttled, and changes nothing when it is wrong', async () => {
    const ana = await user()
    const setup = await startTwoFactorSetup(t.db, t.key, ana, 'Contabilidade Teste')
    const code = totpCode(base32Decode(setup.secret), new Date(current))
    const { session } = await createSession(t.db, { userId: ana.id, scope: 'area' }, POLICY)
    await expect(
      confirmTwoFactorSetup(t.db, t.key, { userId: ana.id, code, ip: null, proof: { password: 'errada-errada', sessionId: session.id } }, memoHasher),
    ).rejects.toThrow(ForbiddenError)
    await expect(
      confirmTwoFactorSetup(t.db, t.key, { userId: ana.id, code, ip: null, proof: { password: '', sessionId: session.id } }, memoHasher),
    ).rejects.toThrow(ForbiddenError)
    expect((await twoFactorState(t.db, ana.id)).enabled).toBe(false)
    for (let i = 0; i < 10; i++) {
      await confirmTwoFactorSetup(t.db, t.key, { userId: ana.id, code, ip: null, proof: { password: `errada-${i}`, sessionId: session.id } }, memoHasher).catch(() => {})
    }
    // Guessing the password through the set-up is throttled like a login.
    await expect(
      confirmTwoFactorSetup(t.db, t.key, { userId: ana.id, code, ip: null, proof: { password: PASSWORD, sessionId: session.id } }, memoHasher),
    ).rejects.toThrow(ThrottledError)
    expect((await twoFactorState(t.db, ana.id)).enabled).toBe(false)
  })

  it("ends the user's other sessions, keeps the one making the change, and leaves other users alone", async () => {
    const ana = await user()
    const bia = await makeUser(t.db, { clientId: ana.clientId, username: 'bia' })
    const other = await createSession(t.db, { userId: ana.id, scope: 'area' }, POLICY)
    const delivery = await createSession(t.db, { userId: ana.id, scope: 'delivery' }, POLICY)
    const bias = await createSession(t.db, { userId: bia.id, scope: 'area' }, POLICY)
    const here = await createSession(t.db, { userId: ana.id, scope: 'area' }, POLICY)
    const setup = await startTwoFactorSetup(t.db, t.key, ana, 'Contabilidade Teste')
    const code = totpCode(base32Decode(setup.secret), new Date(current))
    await confirmTwoFactorSetup(t.db, t.key, { userId: ana.id, code, ip: null, proof: { password: PASSWORD, sessionId: here.session.id } }, memoHasher)
    const left = await t.db.selectFrom('sessions').select('id').orderBy('id').execute()
    expect(left.map((r) => Number(r.id))).toEqual([bias.session.id, here.session.id])
    const ended = await t.db.selectFrom('ended_sessions').select(['user_id', 'reason']).execute()
    expect(ended).toEqual([
      { user_id: ana.id, reason: 'user_changed' },
      { user_id: ana.id, reason: 'user_changed' },
    ])
    for (const gone of [other, delivery]) expect(left.map((r) => Number(r.id))).not.toContain(gone.session.id)
  })

  it('from a login that owes the set-up: only while that login is live, and every session of the user ends', async () => {
    const ana = await user()
    const open = await createSession(t.db, { userId: ana.id, scope: 'area' }, POLICY)
    const { token } = await createPendingLogin(t.db, { userId: ana.id, scope: 'area', step: 'setup' })
    const pending = (await lookupPendingLogin(t.db, token))!
    const setup = await startTwoFactorSetup(t.db, t.key, ana, 'Contabilidade Teste')
    const secret = base32Decode(setup.secret)
    // Another user's pending login proves nothing for ana.
    const bia = await makeUser(t.db, { clientId: ana.clientId, username: 'bia' })
    const { token: biaToken } = await createPendingLogin(t.db, { userId: bia.id, scope: 'area', step: 'setup' })
    const biaPending = (await lookupPendingLogin(t.db, biaToken))!
    await expect(
      confirmTwoFactorSetup(t.db, t.key, { userId: ana.id, code: totpCode(secret, new Date(current)), ip: null, proof: { pendingLogin: biaPending } }),
    ).rejects.toThrow(ForbiddenError)
    await confirmTwoFactorSetup(t.db, t.key, { userId: ana.id, code: totpCode(secret, new Date(current)), ip: null, proof: { pendingLogin: pending } })
    expect((await twoFactorState(t.db, ana.id)).enabled).toBe(true)
    expect(await t.db.selectFrom('sessions').select('id').where('id', '=', open.session.id).execute()).toEqual([])
  })

  it('owesTwoFactorSetup: covered by the policy and without a second factor', () => {
    const admin = { role: 'admin' as const }
    const collaborator = { role: 'collaborator' as const }
    expect(owesTwoFactorSetup('all', collaborator, false)).toBe(true)
    expect(owesTwoFactorSetup('admins', admin, false)).toBe(true)
    expect(owesTwoFactorSetup('admins', collaborator, false)).toBe(false)
    expect(owesTwoFactorSetup('all', admin, true)).toBe(false)
    expect(owesTwoFactorSetup('off', admin, false)).toBe(false)
  })
})
