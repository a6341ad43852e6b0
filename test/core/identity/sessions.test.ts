import { describe, expect, it } from 'vitest'
import { createSession, deleteSession, lookupSession } from '../../../src/core/identity/sessions.js'
import { setClock } from '../../../src/core/time.js'
import { lookupSessionUser } from '../../../src/core/identity/authentication.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeClient, makeUser } from '../../helpers/factories.js'
import { getUser } from '../../../src/core/identity/users.js'

describe('sessions', () => {
  const t = useTestDatabase({ firm: true })

  it('moves the last login when a session starts, keeping the one before', async () => {
    const client = await makeClient(t.db, t.key)
    const user = await makeUser(t.db, { clientId: client.id, username: 'ana' })
    const policy = { idleMinutes: 30, absoluteHours: 1 }
    const first = await createSession(t.db, { userId: user.id, scope: 'area' }, policy)
    expect(await getUser(t.db, user.id)).toMatchObject({ lastLoginAt: first.session.createdAt })
    const restore = setClock(() => new Date(Date.now() + 60_000))
    try {
      const second = await createSession(t.db, { userId: user.id, scope: 'area' }, policy)
      expect((await getUser(t.db, user.id)).lastLoginAt).toBe(second.session.createdAt)
      const row = await t.db.selectFrom('client_users').select('previous_login_at').where('id', '=', user.id).executeTakeFirstOrThrow()
      expect(row.previous_login_at).toBe(first.session.createdAt)
    } finally {
      restore()
    }
  })

  it('stores only the SHA-256, expires on idle and absolute limits, touches at most once a minute', async () => {
    const client = await makeClient(t.db, t.key, { name: 'Padaria Ltda' })
    const user = await makeUser(t.db, { clientId: client.id, username: 'ana', name: 'Nome ana', role: 'admin' })
    const policy = { idleMinutes: 30, absoluteHours: 1 }
    const start = Date.now()
    let current = start
    const restore = setClock(() => new Date(current))
    try {
      const { token, session } = await createSession(t.db, { userId: user.id, scope: 'area' }, policy)
      expect(Buffer.from(token, 'base64url')).toHaveLength(32)
      const row = await t.db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow()
      expect(row.token_hash).not.toBe(token)
      current = start + 30_000
      expect((await lookupSession(t.db, token, policy))?.lastSeenAt).toBe(session.lastSeenAt)
      current = start + 20 * 60_000
      const touched = await lookupSession(t.db, token, policy)
      expect(touched?.lastSeenAt).toBe(new Date(current).toISOString())
      current = start + 45 * 60_000
      expect(await lookupSession(t.db, token, policy)).not.toBeNull()
      current = start + 61 * 60_000
      expect(await lookupSession(t.db, token, policy)).toBeNull()
      expect(await t.db.selectFrom('sessions').selectAll().execute()).toHaveLength(0)

      const second = await createSession(t.db, { userId: user.id, scope: 'delivery' }, policy)
      current += 31 * 60_000
      expect(await lookupSession(t.db, second.token, policy)).toBeNull()
      const third = await createSession(t.db, { userId: user.id, scope: 'area' }, policy)
      await deleteSession(t.db, third.token)
      expect(await lookupSession(t.db, third.token, policy)).toBeNull()
      expect(await lookupSession(t.db, 'x'.repeat(500), policy)).toBeNull()
    } finally {
      restore()
    }
  })

  it('lookupSessionUser: the session and the user as they are now, in one read, with the same expiry rule', async () => {
    const client = await makeClient(t.db, t.key, { name: 'Padaria Ltda' })
    const user = await makeUser(t.db, { clientId: client.id, username: 'ana', name: 'Nome ana', role: 'admin' })
    const policy = { idleMinutes: 30, absoluteHours: 1 }
    const { token, session } = await createSession(t.db, { userId: user.id, scope: 'delivery' }, policy)
    const found = await lookupSessionUser(t.db, token, policy)
    expect(found?.session).toEqual(session)
    expect(found?.user).toEqual({ ...user, lastLoginAt: session.createdAt })
    await t.db.updateTable('client_users').set({ status: 'disabled', name: 'Ana Nova' }).where('id', '=', user.id).execute()
    expect((await lookupSessionUser(t.db, token, policy))?.user).toMatchObject({ status: 'disabled', name: 'Ana Nova' })
    const restore = setClock(() => new Date(Date.now() + 31 * 60_000))
    try {
      expect(await lookupSessionUser(t.db, token, policy)).toBeNull()
      expect(await t.db.selectFrom('sessions').selectAll().execute()).toHaveLength(0)
    } finally {
      restore()
    }
    expect(await lookupSessionUser(t.db, '', policy)).toBeNull()
    expect(await lookupSessionUser(t.db, 'x'.repeat(500), policy)).toBeNull()
  })
})

