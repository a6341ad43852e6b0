import { describe, expect, it } from 'vitest'
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ThrottledError,
  ValidationError,
} from '../../../src/core/errors.js'
import { setFirmOptions } from '../../../src/core/clients/firm.js'
import { hashCost, type PasswordHasher } from '../../../src/core/identity/passwords.js'
import { setClock } from '../../../src/core/time.js'
import {
  activateUser,
  disableUser,
  enableUser,
  getUser,
  listUsers,
  resolveUser,
  setUserRole,
  usernameKey,
  validateUsername,
} from '../../../src/core/identity/users.js'
import { authenticate } from '../../../src/core/identity/authentication.js'
import { changePassword, setPassword } from '../../../src/core/identity/credentials.js'
import { findPasswordReset } from '../../../src/core/identity/password-resets.js'
import { addUser, addUserWithResetLink, registerUser } from '../../../src/core/identity/registration.js'
import { useTestDatabase } from '../../helpers/db.js'
import {
  ACCOUNTANT,
  PASSWORD,
  eventActions,
  makeClient,
  makeUser,
  memoHasher,
} from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })

async function addSession(userId: number): Promise<void> {
  const at = new Date().toISOString()
  await t.db
    .insertInto('sessions')
    .values({
      token_hash: `h${Math.random()}`,
      user_id: userId,
      scope: 'area',
      created_at: at,
      last_seen_at: at,
      expires_at: at,
      ip: null,
      user_agent: null,
    })
    .execute()
}

async function sessionCount(userId: number): Promise<number> {
  return (await t.db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute())
    .length
}

function register(clientId: number, username: string, password = PASSWORD) {
  return registerUser(
    t.db,
    { clientId, username, name: `Pessoa ${username}`, password, origin: 'login_link', ip: null },
    memoHasher,
  )
}

describe('usernames', () => {
  it('compares after NFKC and lower case', () => {
    expect(usernameKey('Bruno')).toBe('bruno')
    expect(usernameKey('ｂｒｕｎｏ')).toBe('bruno')
    expect(usernameKey('JOÃO')).toBe(usernameKey('joa\u0303o'))
  })

  it('accepts letters, digits and . _ - @ from 3 to 64 characters', () => {
    expect(validateUsername(' joão.silva@padaria ')).toBe('joão.silva@padaria')
    expect(() => validateUsername('ab')).toThrow(/3 to 64/)
    expect(() => validateUsername('a'.repeat(65))).toThrow(/3 to 64/)
    expect(() => validateUsername('joão silva')).toThrow(/not allowed/)
    expect(() => validateUsername('x<script>')).toThrow(ValidationError)
  })
})

describe('registration (first-user rule)', () => {
  it('makes the first user an active admin and later ones pending collaborators', async () => {
    const client = await makeClient(t.db, t.key)
    const ana = await register(client.id, 'ana')
    const bruno = await register(client.id, 'Bruno')
    expect(ana).toMatchObject({
      role: 'admin',
      status: 'active',
      origin: 'login_link',
      activatedBy: 'first-user',
    })
    expect(ana.activatedAt).not.toBeNull()
    expect(bruno).toMatchObject({ role: 'collaborator', status: 'pending', activatedAt: null })
    const other = await makeClient(t.db, t.key)
    expect(await register(other.id, 'carla')).toMatchObject({ role: 'admin', status: 'active' })
    expect(await eventActions(t.db, client.id)).toEqual([
      'client.added',
      'user.registered',
      'user.registered',
    ])
  })

  it('holds under 20 concurrent first registrations: exactly one admin', async () => {
    const client = await makeClient(t.db, t.key)
    const users = await Promise.all(
      Array.from({ length: 20 }, (_, i) => register(client.id, `pessoa${i}`)),
    )
    expect(users.filter((u) => u.role === 'admin')).toHaveLength(1)
    expect(users.filter((u) => u.status === 'active')).toHaveLength(1)
    expect(users.filter((u) => u.status === 'pending')).toHaveLength(19)
  })

  it('refuses a taken username in any case or width, and bad passwords', async () => {
    const client = await makeClient(t.db, t.key)
    await register(client.id, 'bruno')
    await expect(register(client.id, 'BRUNO')).rejects.toThrow(ConflictError)
    await expect(register(client.id, 'ｂｒｕｎｏ')).rejects.toThrow(/already taken/)
    await expect(register(client.id, 'curto', 'abc')).rejects.toThrow(/too short/)
    await expect(register(client.id, 'longo', 'á'.repeat(37))).rejects.toThrow(
      /too long \(74 bytes\)/,
    )
    await expect(register(999, 'ninguem')).rejects.toThrow(NotFoundError)
    expect(await listUsers(t.db)).toHaveLength(1)
  })

  it('counts every attempt, refused or not, under the registration throttle of its address', async () => {
    const client = await makeClient(t.db, t.key)
    const from = (ip: string, username: string, password = PASSWORD) =>
      registerUser(t.db, { clientId: client.id, username, name: 'Pessoa', password, origin: 'login_link', ip }, memoHasher)
    for (let i = 0; i < 20; i++) {
      await expect(from('203.0.113.5', `p${i}`, 'curta')).rejects.toThrow(ValidationError)
    }
    await expect(from('203.0.113.5', 'ana')).rejects.toThrow(ThrottledError)
    expect(await listUsers(t.db)).toHaveLength(0)
    expect(await from('198.51.100.7', 'ana')).toMatchObject({ role: 'admin', status: 'active' })
  })
})

describe('accountant-created users', () => {
  it('follow the first-user rule unless role/active are given', async () => {
    const client = await makeClient(t.db, t.key)
    const first = await makeUser(t.db, { clientId: client.id })
    const second = await makeUser(t.db, { clientId: client.id })
    const third = await makeUser(t.db, { clientId: client.id, active: true })
    const fourth = await makeUser(t.db, { clientId: client.id, role: 'admin', active: true })
    expect(first).toMatchObject({
      role: 'admin',
      status: 'active',
      origin: 'cli',
      activatedBy: 'cli:test',
    })
    expect(second).toMatchObject({ role: 'collaborator', status: 'pending' })
    expect(third).toMatchObject({ role: 'collaborator', status: 'active' })
    expect(fourth).toMatchObject({ role: 'admin', status: 'active' })
  })

  it('refuses a first user that would not be an active admin', async () => {
    const client = await makeClient(t.db, t.key)
    await expect(makeUser(t.db, { clientId: client.id, role: 'collaborator' })).rejects.toThrow(
      /first user .* must be an active admin/,
    )
    await expect(makeUser(t.db, { clientId: client.id, active: false })).rejects.toThrow(
      ConflictError,
    )
    expect(await listUsers(t.db)).toHaveLength(0)
  })

  it('may have no password: it cannot log in until one is set', async () => {
    const client = await makeClient(t.db, t.key)
    const user = await makeUser(t.db, { clientId: client.id, password: null })
    expect(await authenticate(t.db, user.username, 'anything-at-all', memoHasher)).toEqual({
      outcome: 'invalid',
    })
    await setPassword(t.db, ACCOUNTANT, user.id, 'nova-senha-123', memoHasher)
    expect((await authenticate(t.db, user.username, 'nova-senha-123', memoHasher)).outcome).toBe(
      'ok',
    )
  })
})

describe('users added with a reset link', () => {
  it('creates the user and their one-time link together, or neither', async () => {
    const client = await makeClient(t.db, t.key)
    const input = { clientId: client.id, username: 'ana', name: 'Ana' }
    await expect(
      addUserWithResetLink(t.db, ACCOUNTANT, { ...input, role: 'collaborator' }),
    ).rejects.toThrow(ConflictError)
    expect(await listUsers(t.db)).toHaveLength(0)
    expect(await t.db.selectFrom('password_resets').select('id').execute()).toEqual([])
    const { user, reset } = await addUserWithResetLink(t.db, ACCOUNTANT, input)
    expect(user).toMatchObject({ username: 'ana', role: 'admin', status: 'active' })
    expect(reset.url).toBe(`http://localhost:3000/reset/${reset.token}`)
    expect(await findPasswordReset(t.db, reset.token)).toEqual({ userId: user.id, username: 'ana' })
    expect(await eventActions(t.db, client.id)).toEqual([
      'client.added',
      'user.added',
      'user.reset_link_created',
    ])
  })
})

describe('portal admins', () => {
  it('an active admin creates active users of its own client', async () => {
    const client = await makeClient(t.db, t.key)
    const admin = await makeUser(t.db, { clientId: client.id, username: 'ana' })
    const created = await addUser(
      t.db,
      { kind: 'client_user', userId: admin.id },
      { clientId: client.id, username: 'bia', name: 'Bia', password: PASSWORD },
      memoHasher,
    )
    expect(created).toMatchObject({
      role: 'collaborator',
      status: 'active',
      origin: 'portal_admin',
      activatedBy: 'user:ana',
    })
    const event = await t.db
      .selectFrom('events')
      .selectAll()
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow()
    expect(event).toMatchObject({ actor: 'user:ana', action: 'user.added', user_id: created.id })
  })

  it('collaborators, pending users and admins of other clients may not manage users', async () => {
    const client = await makeClient(t.db, t.key)
    const other = await makeClient(t.db, t.key)
    await makeUser(t.db, { clientId: client.id })
    const collaborator = await makeUser(t.db, { clientId: client.id, active: true })
    const pending = await makeUser(t.db, { clientId: client.id })
    const strangerAdmin = await makeUser(t.db, { clientId: other.id })
    for (const actor of [collaborator, strangerAdmin]) {
      await expect(
        activateUser(t.db, { kind: 'client_user', userId: actor.id }, pending.id),
      ).rejects.toThrow(ForbiddenError)
    }
    await expect(
      addUser(
        t.db,
        { kind: 'client_user', userId: pending.id },
        { clientId: client.id, username: 'x1x', name: 'X' },
      ),
    ).rejects.toThrow(ForbiddenError)
    expect((await getUser(t.db, pending.id)).status).toBe('pending')
  })
})

describe('activation, disabling, roles', () => {
  it('activates pending users and records who did it', async () => {
    const client = await makeClient(t.db, t.key)
    const admin = await makeUser(t.db, { clientId: client.id, username: 'ana' })
    const bruno = await makeUser(t.db, { clientId: client.id, username: 'bruno' })
    const active = await activateUser(t.db, { kind: 'client_user', userId: admin.id }, bruno.id)
    expect(active).toMatchObject({ status: 'active', activatedBy: 'user:ana' })
    expect(await activateUser(t.db, ACCOUNTANT, bruno.id)).toEqual(active)
  })

  it('disables and enables, ending sessions; refuses activate on disabled', async () => {
    const client = await makeClient(t.db, t.key)
    await makeUser(t.db, { clientId: client.id })
    const user = await makeUser(t.db, { clientId: client.id, active: true })
    await addSession(user.id)
    expect((await disableUser(t.db, ACCOUNTANT, user.id)).status).toBe('disabled')
    expect(await sessionCount(user.id)).toBe(0)
    // Only the right password learns that the account is disabled (docs/rules.md#login-failures-look-alike).
    expect((await authenticate(t.db, user.username, PASSWORD, memoHasher)).outcome).toBe('disabled')
    expect(await authenticate(t.db, user.username, 'wrong-password', memoHasher)).toEqual({ outcome: 'invalid' })
    await expect(activateUser(t.db, ACCOUNTANT, user.id)).rejects.toThrow(/enable/)
    expect((await enableUser(t.db, ACCOUNTANT, user.id)).status).toBe('active')
    expect(await eventActions(t.db, client.id)).toEqual(
      expect.arrayContaining(['user.disabled', 'user.enabled']),
    )
  })

  it('refuses to disable or demote the last active admin, and allows it when another exists', async () => {
    const client = await makeClient(t.db, t.key)
    const ana = await makeUser(t.db, { clientId: client.id, username: 'ana' })
    const bruno = await makeUser(t.db, { clientId: client.id, username: 'bruno', active: true })
    await expect(disableUser(t.db, ACCOUNTANT, ana.id)).rejects.toThrow(ConflictError)
    await expect(disableUser(t.db, ACCOUNTANT, ana.id)).rejects.toThrow(
      /last active admin of .*\(Empresa/,
    )
    await expect(setUserRole(t.db, ACCOUNTANT, ana.id, 'collaborator')).rejects.toThrow(
      /cannot demote 'ana'/,
    )
    await expect(
      disableUser(t.db, { kind: 'client_user', userId: ana.id }, ana.id),
    ).rejects.toThrow(ConflictError)
    expect(await getUser(t.db, ana.id)).toMatchObject({ role: 'admin', status: 'active' })

    await addSession(ana.id)
    await setUserRole(t.db, ACCOUNTANT, bruno.id, 'admin')
    expect((await setUserRole(t.db, ACCOUNTANT, ana.id, 'collaborator')).role).toBe('collaborator')
    expect(await sessionCount(ana.id)).toBe(0)
    await expect(disableUser(t.db, ACCOUNTANT, bruno.id)).rejects.toThrow(/last active admin/)
  })

  it('a pending admin does not count as the active admin', async () => {
    const client = await makeClient(t.db, t.key)
    const ana = await makeUser(t.db, { clientId: client.id })
    await makeUser(t.db, { clientId: client.id, role: 'admin' })
    await expect(disableUser(t.db, ACCOUNTANT, ana.id)).rejects.toThrow(/last active admin/)
  })

  it('holds the last-admin rule when two admins disable each other at once', async () => {
    const client = await makeClient(t.db, t.key)
    const ana = await makeUser(t.db, { clientId: client.id })
    const bia = await makeUser(t.db, { clientId: client.id, role: 'admin', active: true })
    const results = await Promise.allSettled([
      disableUser(t.db, ACCOUNTANT, ana.id),
      disableUser(t.db, ACCOUNTANT, bia.id),
    ])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const admins = await t.db
      .selectFrom('client_users')
      .select('id')
      .where('role', '=', 'admin')
      .where('status', '=', 'active')
      .execute()
    expect(admins).toHaveLength(1)
  })
})

describe('authentication', () => {
  it('answers ok, pending (only with the right password) or invalid', async () => {
    const client = await makeClient(t.db, t.key)
    const ana = await makeUser(t.db, { clientId: client.id, username: 'ana' })
    await makeUser(t.db, { clientId: client.id, username: 'bruno' })
    const ok = await authenticate(t.db, 'ANA', PASSWORD, memoHasher)
    expect(ok.outcome).toBe('ok')
    // The last login moves when a session starts, not at the password (a second factor may follow).
    expect(ok.outcome === 'ok' && ok.user.lastLoginAt).toBeNull()
    expect(await authenticate(t.db, 'ana', 'wrong-password', memoHasher)).toEqual({
      outcome: 'invalid',
    })
    expect((await authenticate(t.db, 'bruno', PASSWORD, memoHasher)).outcome).toBe('pending')
    expect(await authenticate(t.db, 'bruno', 'wrong-password', memoHasher)).toEqual({
      outcome: 'invalid',
    })
    expect(await authenticate(t.db, 'nobody', PASSWORD, memoHasher)).toEqual({ outcome: 'invalid' })
    expect(await authenticate(t.db, 'ana', 'x'.repeat(100), memoHasher)).toEqual({
      outcome: 'invalid',
    })
    expect((await resolveUser(t.db, 'Ana')).id).toBe(ana.id)
  })

  it('upgrades the hash when the firm raises the cost', async () => {
    const client = await makeClient(t.db, t.key)
    const ana = await makeUser(t.db, { clientId: client.id })
    const hashOf = async () =>
      (
        await t.db
          .selectFrom('client_users')
          .select('password_hash')
          .where('id', '=', ana.id)
          .executeTakeFirstOrThrow()
      ).password_hash!
    expect(hashCost(await hashOf())).toBe(10)
    await setFirmOptions(t.db, ACCOUNTANT, { bcryptCost: 11 })
    expect((await authenticate(t.db, ana.username, PASSWORD, memoHasher)).outcome).toBe('ok')
    expect(hashCost(await hashOf())).toBe(11)
    expect((await authenticate(t.db, ana.username, PASSWORD, memoHasher)).outcome).toBe('ok')
  })

  it('changes the password after checking the current one, ending sessions', async () => {
    const client = await makeClient(t.db, t.key)
    const ana = await makeUser(t.db, { clientId: client.id })
    await addSession(ana.id)
    await expect(
      changePassword(t.db, ana.id, 'wrong-one', 'nova-senha-1', memoHasher),
    ).rejects.toThrow(ForbiddenError)
    await expect(changePassword(t.db, ana.id, PASSWORD, 'curta', memoHasher)).rejects.toThrow(
      /too short/,
    )
    expect(await sessionCount(ana.id)).toBe(1)
    await changePassword(t.db, ana.id, PASSWORD, 'nova-senha-1', memoHasher)
    expect(await sessionCount(ana.id)).toBe(0)
    expect((await authenticate(t.db, ana.username, 'nova-senha-1', memoHasher)).outcome).toBe('ok')
    expect((await authenticate(t.db, ana.username, PASSWORD, memoHasher)).outcome).toBe('invalid')
  })
})

/** memoHasher that records the cost of every verify and counts hashes. */
function countingHasher() {
  const verifies: number[] = []
  let hashes = 0
  const hasher: PasswordHasher = {
    hash(password, cost) {
      hashes += 1
      return memoHasher.hash(password, cost)
    },
    verify(password, hash) {
      verifies.push(hashCost(hash))
      return memoHasher.verify(password, hash)
    },
  }
  return { hasher, verifies, hashes: () => hashes }
}

describe('password hashing work and throttling', () => {
  it('refuses a taken username, an unknown client or a short password before hashing', async () => {
    const client = await makeClient(t.db, t.key)
    await register(client.id, 'ana')
    const counting = countingHasher()
    const attempt = (clientId: number, username: string, password = PASSWORD) =>
      registerUser(
        t.db,
        { clientId, username, name: 'Pessoa', password, origin: 'login_link', ip: null },
        counting.hasher,
      )
    await expect(attempt(client.id, 'ANA')).rejects.toThrow(ConflictError)
    await expect(attempt(client.id + 999, 'bia')).rejects.toThrow(NotFoundError)
    await expect(attempt(client.id, 'bia', 'curta')).rejects.toThrow(ValidationError)
    expect(counting.hashes()).toBe(0)
    await attempt(client.id, 'bia')
    expect(counting.hashes()).toBe(1)
  })

  it('throttles wrong current passwords per user and clears the count on success', async () => {
    const client = await makeClient(t.db, t.key)
    const ana = await makeUser(t.db, { clientId: client.id })
    let current = Date.now()
    const restore = setClock(() => new Date(current))
    try {
      for (let i = 0; i < 5; i++) {
        await expect(
          changePassword(t.db, ana.id, `wrong-${i}`, 'nova-senha-1', memoHasher),
        ).rejects.toThrow(ForbiddenError)
      }
      const counting = countingHasher()
      // Even the right password is not tested while throttled.
      await expect(
        changePassword(t.db, ana.id, PASSWORD, 'nova-senha-1', counting.hasher),
      ).rejects.toThrow(ThrottledError)
      expect(counting.verifies).toHaveLength(0)
      current += 3000
      await changePassword(t.db, ana.id, PASSWORD, 'nova-senha-1', memoHasher)
      await expect(
        changePassword(t.db, ana.id, 'wrong', 'nova-senha-2', memoHasher),
      ).rejects.toThrow(ForbiddenError)
    } finally {
      restore()
    }
  })

  it('makes a failure against an old-cost hash do the work of one verify at the firm cost', async () => {
    const client = await makeClient(t.db, t.key)
    const ana = await makeUser(t.db, { clientId: client.id, username: 'ana' })
    await makeUser(t.db, { clientId: client.id, username: 'off' })
    await disableUser(t.db, ACCOUNTANT, (await resolveUser(t.db, 'off')).id)
    const run = async (username: string, password: string) => {
      const counting = countingHasher()
      const result = await authenticate(t.db, username, password, counting.hasher)
      return { outcome: result.outcome, verifies: counting.verifies }
    }
    // Same cost: one verify each way.
    expect(await run('ana', 'wrong')).toEqual({ outcome: 'invalid', verifies: [10] })
    expect(await run('nobody', 'wrong')).toEqual({ outcome: 'invalid', verifies: [10] })
    await setFirmOptions(t.db, ACCOUNTANT, { bcryptCost: 12 })
    // Unknown user: one verify at 12. Stored cost 10: 10 + 10 + 11 = the work of one at 12.
    expect(await run('nobody', 'wrong')).toEqual({ outcome: 'invalid', verifies: [12] })
    expect(await run('ana', 'wrong')).toEqual({ outcome: 'invalid', verifies: [10, 10, 11] })
    expect(await run('off', 'wrong')).toEqual({ outcome: 'invalid', verifies: [10, 10, 11] })
    expect((await run('off', PASSWORD)).outcome).toBe('disabled')
    expect((await run('ana', PASSWORD)).outcome).toBe('ok')
    expect(await run('ana', 'wrong')).toEqual({ outcome: 'invalid', verifies: [12] })
    expect(ana.username).toBe('ana')
  })
})
