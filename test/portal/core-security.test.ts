import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import bcrypt from 'bcryptjs'
import { resolveClientAddress } from '../../src/core/clients/client-address.js'
import { ThrottledError } from '../../src/core/errors.js'
import {
  IP_POLICY,
  PAIR_POLICY,
  reserveLoginAttempt,
  settleAttempt,
  throttleDelaySeconds,
} from '../../src/core/identity/login-throttle.js'
import { createPasswordPool } from '../../src/core/identity/password-pool.js'
import { createSession, deleteSession, lookupSession } from '../../src/core/identity/sessions.js'
import { setClock } from '../../src/core/time.js'
import { lookupSessionUser } from '../../src/core/identity/authentication.js'
import { createPortalWorld, type PortalWorld } from './world.js'

// The security modules the portal stands on: sessions, login throttling, the bcrypt pool and
// the client-address rule.

describe('sessions', () => {
  let w: PortalWorld
  beforeEach(async () => {
    w = await createPortalWorld()
  })
  afterEach(async () => {
    await w.close()
  })

  it('stores only the SHA-256, expires on idle and absolute limits, touches at most once a minute', async () => {
    const client = await w.client('Padaria Ltda')
    const user = await w.user(client, 'ana', { role: 'admin' })
    const policy = { idleMinutes: 30, absoluteHours: 1 }
    const start = Date.now()
    let current = start
    const restore = setClock(() => new Date(current))
    try {
      const { token, session } = await createSession(w.db, { userId: user.id, scope: 'area' }, policy)
      expect(Buffer.from(token, 'base64url')).toHaveLength(32)
      const row = await w.db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow()
      expect(row.token_hash).not.toBe(token)
      current = start + 30_000
      expect((await lookupSession(w.db, token, policy))?.lastSeenAt).toBe(session.lastSeenAt)
      current = start + 20 * 60_000
      const touched = await lookupSession(w.db, token, policy)
      expect(touched?.lastSeenAt).toBe(new Date(current).toISOString())
      current = start + 45 * 60_000
      expect(await lookupSession(w.db, token, policy)).not.toBeNull()
      current = start + 61 * 60_000
      expect(await lookupSession(w.db, token, policy)).toBeNull()
      expect(await w.db.selectFrom('sessions').selectAll().execute()).toHaveLength(0)

      const second = await createSession(w.db, { userId: user.id, scope: 'delivery' }, policy)
      current += 31 * 60_000
      expect(await lookupSession(w.db, second.token, policy)).toBeNull()
      const third = await createSession(w.db, { userId: user.id, scope: 'area' }, policy)
      await deleteSession(w.db, third.token)
      expect(await lookupSession(w.db, third.token, policy)).toBeNull()
      expect(await lookupSession(w.db, 'x'.repeat(500), policy)).toBeNull()
    } finally {
      restore()
    }
  })

  it('lookupSessionUser: the session and the user as they are now, in one read, with the same expiry rule', async () => {
    const client = await w.client('Padaria Ltda')
    const user = await w.user(client, 'ana', { role: 'admin' })
    const policy = { idleMinutes: 30, absoluteHours: 1 }
    const { token, session } = await createSession(w.db, { userId: user.id, scope: 'delivery' }, policy)
    const found = await lookupSessionUser(w.db, token, policy)
    expect(found?.session).toEqual(session)
    expect(found?.user).toEqual(user)
    await w.db.updateTable('client_users').set({ status: 'disabled', name: 'Ana Nova' }).where('id', '=', user.id).execute()
    expect((await lookupSessionUser(w.db, token, policy))?.user).toMatchObject({ status: 'disabled', name: 'Ana Nova' })
    const restore = setClock(() => new Date(Date.now() + 31 * 60_000))
    try {
      expect(await lookupSessionUser(w.db, token, policy)).toBeNull()
      expect(await w.db.selectFrom('sessions').selectAll().execute()).toHaveLength(0)
    } finally {
      restore()
    }
    expect(await lookupSessionUser(w.db, '', policy)).toBeNull()
    expect(await lookupSessionUser(w.db, 'x'.repeat(500), policy)).toBeNull()
  })

  it('throttles per (username, network) and per network with growing, capped delays and forgets after a while', async () => {
    expect(throttleDelaySeconds(4, PAIR_POLICY)).toBe(0)
    expect(throttleDelaySeconds(5, PAIR_POLICY)).toBe(2)
    expect(throttleDelaySeconds(6, PAIR_POLICY)).toBe(4)
    expect(throttleDelaySeconds(1000, PAIR_POLICY)).toBe(PAIR_POLICY.maxDelaySeconds)
    let current = Date.now()
    const restore = setClock(() => new Date(current))
    const reserve = (usernameKey: string, ip: string | null) => reserveLoginAttempt(w.db, { usernameKey, ip })
    try {
      // Per IP: many usernames from one address.
      for (let i = 0; i < IP_POLICY.freeFailures; i++) await reserve(`u${i}`, '203.0.113.7')
      await expect(reserve('someone', '203.0.113.7')).rejects.toBeInstanceOf(ThrottledError)
      await reserve('someone', '203.0.113.8')
      // Per pair: one username from one address.
      for (let i = 0; i < PAIR_POLICY.freeFailures; i++) await reserve('ana', '198.51.100.1')
      const error = await reserve('ana', '198.51.100.1').then(() => null, (e: unknown) => e)
      expect(error).toBeInstanceOf(ThrottledError)
      expect((error as ThrottledError).retryAfterSeconds).toBe(2)
      current += 3000
      const ok = await reserve('ana', '198.51.100.1')
      await settleAttempt(w.db, ok, 'succeeded')
      await reserve('ana', '198.51.100.1')
      await reserve('ana', '198.51.100.1')
    } finally {
      restore()
    }
  })
})

describe('password pool', () => {
  const pool = createPasswordPool(2)
  afterAll(async () => {
    await pool.close()
  })

  it('hashes and verifies on worker threads, compatible with bcryptjs, without stalling the event loop', async () => {
    const hash = await pool.hash('senha-segura-1', 10)
    expect(await bcrypt.compare('senha-segura-1', hash)).toBe(true)
    expect(await pool.verify('senha-segura-1', hash)).toBe(true)
    expect(await pool.verify('outra', hash)).toBe(false)
    let maxGap = 0
    let last = Date.now()
    const timer = setInterval(() => {
      const now = Date.now()
      maxGap = Math.max(maxGap, now - last)
      last = now
    }, 5)
    await Promise.all(Array.from({ length: 6 }, () => pool.verify('senha-segura-1', hash)))
    clearInterval(timer)
    // One hash is ~70 ms; six inline would block for ~400 ms.
    expect(maxGap).toBeLessThan(150)
  })

  it('refuses jobs beyond its queue bound with a ThrottledError instead of queueing without end', async () => {
    const small = createPasswordPool(1, { maxQueued: 3 })
    try {
      const hash = await small.hash('senha-segura-1', 10)
      // One job runs, three wait; the rest are refused at once.
      const jobs = Array.from({ length: 10 }, () => small.verify('senha-segura-1', hash))
      const results = await Promise.allSettled(jobs)
      const refused = results.filter((r) => r.status === 'rejected')
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4)
      expect(refused).toHaveLength(6)
      for (const r of refused) {
        const reason = (r as PromiseRejectedResult).reason
        expect(reason).toBeInstanceOf(ThrottledError)
        expect(reason.retryAfterSeconds).toBeGreaterThan(0)
      }
      // Once the queue drains the pool serves again.
      expect(await small.verify('senha-segura-1', hash)).toBe(true)
    } finally {
      await small.close()
    }
  })
})

describe('client address (Marco Civil, art. 15)', () => {
  const trusted = ['10.0.0.1']
  it('uses the socket peer and its port, ignoring X-Forwarded-For from untrusted peers', () => {
    expect(resolveClientAddress({ remoteAddress: '::ffff:203.0.113.5', remotePort: 51000, forwardedFor: '1.2.3.4', trustedProxies: trusted })).toEqual({ ip: '203.0.113.5', port: 51000 })
  })
  it('reads X-Forwarded-For from the right when the peer is a trusted proxy', () => {
    expect(resolveClientAddress({ remoteAddress: '10.0.0.1', remotePort: 443, forwardedFor: '6.6.6.6, 203.0.113.9, 10.0.0.1', trustedProxies: trusted })).toEqual({ ip: '203.0.113.9', port: null })
    // Garbage where a trusted proxy should have written an address: only the peer is certain.
    expect(resolveClientAddress({ remoteAddress: '10.0.0.1', remotePort: 443, forwardedFor: '203.0.113.9, =cmd()', trustedProxies: trusted })).toEqual({ ip: '10.0.0.1', port: null })
  })
  it('answers nulls without a socket', () => {
    expect(resolveClientAddress({ trustedProxies: trusted })).toEqual({ ip: null, port: null })
  })
})
