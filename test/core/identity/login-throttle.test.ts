import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ThrottledError } from '../../../src/core/errors.js'
import {
  IP_POLICY,
  PAIR_POLICY,
  REGISTRATION_POLICY,
  USERNAME_POLICY,
  reserveLoginAttempt,
  reservePasswordCheck,
  reserveRegistrationAttempt,
  settleAttempt,
  throttleDelaySeconds,
  throttleNetwork,
} from '../../../src/core/identity/login-throttle.js'
import { setClock } from '../../../src/core/time.js'
import { authenticateThrottled } from '../../../src/core/identity/authentication.js'
import { useTestDatabase } from '../../helpers/db.js'
import { PASSWORD, makeClient, makeUser, memoHasher } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
let current: number
let restoreClock: () => void
beforeEach(async () => {
  current = Date.now()
  restoreClock = setClock(() => new Date(current))
})
afterEach(async () => {
  restoreClock()
})

const reserve = (usernameKey: string, ip: string | null) =>
  reserveLoginAttempt(t.db, { usernameKey, ip })

/** The ThrottledError a promise is refused with (fails the test when it is not refused). */
async function refusal(promise: Promise<unknown>): Promise<ThrottledError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ThrottledError)
  return error as ThrottledError
}

async function failures(key: string): Promise<number | undefined> {
  const row = await t.db
    .selectFrom('login_throttle')
    .select('failures')
    .where('throttle_key', '=', key)
    .executeTakeFirst()
  return row ? Number(row.failures) : undefined
}

describe('reservation before verification (parallel guesses)', () => {
  it('lets exactly the free allowance of 25 parallel reservations through', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 25 }, () => reserve('bruno.lima', '203.0.113.5')),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(PAIR_POLICY.freeFailures)
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(refused).toHaveLength(25 - PAIR_POLICY.freeFailures)
    for (const r of refused) expect(r.reason).toBeInstanceOf(ThrottledError)
  })

  it('answers at most the free allowance of 25 parallel wrong logins with a verdict', async () => {
    const client = await makeClient(t.db, t.key)
    await makeUser(t.db, { clientId: client.id, username: 'bruno.lima' })
    const results = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        authenticateThrottled(
          t.db,
          { username: 'bruno.lima', password: `wrong-${i}`, ip: '203.0.113.5' },
          memoHasher,
        ),
      ),
    )
    const outcomes = results.map((r) => r.outcome)
    expect(outcomes.filter((o) => o === 'invalid')).toHaveLength(PAIR_POLICY.freeFailures)
    expect(outcomes.filter((o) => o === 'throttled')).toHaveLength(25 - PAIR_POLICY.freeFailures)
    for (const r of results) if (r.outcome === 'throttled') expect(r.retryAfterSeconds).toBeGreaterThan(0)
  })

  it('gives a successful attempt back: the pair is cleared, the IP and username only uncounted', async () => {
    for (let i = 0; i < 3; i++) await reserve('ana', '203.0.113.5')
    await settleAttempt(t.db, await reserve('ana', '203.0.113.5'), 'succeeded')
    expect(await failures('pair:ana|203.0.113.5')).toBeUndefined()
    expect(await failures('ip:203.0.113.5')).toBe(3)
    expect(await failures('user:ana')).toBe(3)
  })

  it('gives an abandoned attempt (no verdict) back everywhere', async () => {
    await reserve('ana', '203.0.113.5')
    await settleAttempt(t.db, await reserve('ana', '203.0.113.5'), 'abandoned')
    expect(await failures('pair:ana|203.0.113.5')).toBe(1)
    expect(await failures('ip:203.0.113.5')).toBe(1)
    await settleAttempt(t.db, await reserve('bia', '203.0.113.9'), 'abandoned')
    expect(await failures('pair:bia|203.0.113.9')).toBeUndefined()
  })

  it('a success that a later failure overtook only uncounts itself', async () => {
    const first = await reserve('ana', '203.0.113.5')
    await reserve('bia', '203.0.113.5')
    await settleAttempt(t.db, first, 'succeeded')
    expect(await failures('ip:203.0.113.5')).toBe(1)
  })
})

describe('no targeted lockout (docs/rules.md#portal-security)', () => {
  it('throttles the guessing address, not the real user at another one', async () => {
    for (let i = 0; i < PAIR_POLICY.freeFailures; i++) await reserve('ana', '203.0.113.66')
    await expect(reserve('ana', '203.0.113.66')).rejects.toBeInstanceOf(ThrottledError)
    await reserve('ana', '198.51.100.20')
  })

  it('keeps a high per-username ceiling across addresses, with a short delay', async () => {
    for (let i = 0; i < USERNAME_POLICY.freeFailures; i++) {
      await reserve('ana', `10.${i >> 8}.${i & 255}.1`)
    }
    const error = await refusal(reserve('ana', '198.51.100.20'))
    expect(error.retryAfterSeconds).toBeLessThanOrEqual(USERNAME_POLICY.maxDelaySeconds)
    // Other usernames from those addresses are unaffected by this username's ceiling.
    await reserve('bia', '198.51.100.20')
  })

  it('exempts an address the user recently logged in from from the ceiling, not from the pair', async () => {
    await settleAttempt(t.db, await reserve('ana', '198.51.100.20'), 'succeeded')
    for (let i = 0; i < USERNAME_POLICY.freeFailures; i++) {
      await reserve('ana', `10.${i >> 8}.${i & 255}.1`)
    }
    await expect(reserve('ana', '198.51.100.21')).rejects.toBeInstanceOf(ThrottledError)
    await reserve('ana', '198.51.100.20')
    current += 31 * 86_400_000
    for (let i = 0; i < USERNAME_POLICY.freeFailures; i++) {
      await reserve('ana', `10.${i >> 8}.${i & 255}.2`)
    }
    await expect(reserve('ana', '198.51.100.20')).rejects.toBeInstanceOf(ThrottledError)
  })

  it('lets the ceiling leak at its hourly rate rather than waiting for a quiet hour', async () => {
    for (let i = 0; i < 60; i++) await reserve('ana', `10.0.${i}.1`)
    current += 30 * 60_000
    await reserve('ana', '10.1.0.1')
    // 60 less 50 leaked in half an hour, plus this one.
    expect(await failures('user:ana')).toBe(11)
  })
})

describe('networks', () => {
  it('keys IPv4 by address and IPv6 by its /64', () => {
    expect(throttleNetwork('203.0.113.5')).toBe('203.0.113.5')
    expect(throttleNetwork('::ffff:203.0.113.5')).toBe('203.0.113.5')
    expect(throttleNetwork('2001:db8:1:2::a')).toBe('2001:db8:1:2::/64')
    expect(throttleNetwork('2001:0DB8:0001:0002:ffff:0:0:1')).toBe('2001:db8:1:2::/64')
    expect(throttleNetwork('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(throttleNetwork('::1')).toBe('0:0:0:0::/64')
    expect(throttleNetwork('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(throttleNetwork('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64')
  })

  it('counts every address of a /64 against one IP counter', async () => {
    for (let i = 0; i < IP_POLICY.freeFailures; i++) await reserve(`u${i}`, `2001:db8:1:2::${i + 1}`)
    await expect(reserve('other', '2001:db8:1:2:abcd::1')).rejects.toBeInstanceOf(ThrottledError)
    await reserve('other', '2001:db8:1:3::1')
  })
})

describe('registrations and password checks', () => {
  it('throttles registrations per address with a growing delay, forgiving at the hourly rate', async () => {
    for (let i = 0; i < REGISTRATION_POLICY.freeFailures; i++) {
      await reserveRegistrationAttempt(t.db, { ip: '203.0.113.5' })
    }
    const first = await refusal(reserveRegistrationAttempt(t.db, { ip: '203.0.113.5' }))
    current += first.retryAfterSeconds * 1000
    await reserveRegistrationAttempt(t.db, { ip: '203.0.113.5' })
    const second = await refusal(reserveRegistrationAttempt(t.db, { ip: '203.0.113.5' }))
    expect(second.retryAfterSeconds).toBeGreaterThan(first.retryAfterSeconds)
    await reserveRegistrationAttempt(t.db, { ip: '198.51.100.7' })
    current += 3600_000
    await reserveRegistrationAttempt(t.db, { ip: '203.0.113.5' })
  })

  it('throttles current-password checks per user and clears them on success', async () => {
    for (let i = 0; i < PAIR_POLICY.freeFailures; i++) await reservePasswordCheck(t.db, 7)
    await expect(reservePasswordCheck(t.db, 7)).rejects.toBeInstanceOf(ThrottledError)
    await reservePasswordCheck(t.db, 8)
    current += 3000
    await settleAttempt(t.db, await reservePasswordCheck(t.db, 7), 'succeeded')
    expect(await failures('password:7')).toBeUndefined()
  })
})

it('answers a login with the same outcome whether the user exists or not when throttled', async () => {
  const client = await makeClient(t.db, t.key)
  await makeUser(t.db, { clientId: client.id, username: 'ana' })
  for (let i = 0; i < PAIR_POLICY.freeFailures; i++) {
    await authenticateThrottled(t.db, { username: 'ana', password: 'wrong', ip: null }, memoHasher)
    await authenticateThrottled(t.db, { username: 'nobody', password: 'wrong', ip: null }, memoHasher)
  }
  const known = await authenticateThrottled(t.db, { username: 'ana', password: PASSWORD, ip: null }, memoHasher)
  const unknown = await authenticateThrottled(t.db, { username: 'nobody', password: PASSWORD, ip: null }, memoHasher)
  expect(known).toEqual({ outcome: 'throttled', retryAfterSeconds: PAIR_POLICY.firstDelaySeconds })
  expect(unknown).toEqual(known)
})

describe('delays', () => {
  it('throttles per (username, network) and per network with growing, capped delays and forgets after a while', async () => {
    expect(throttleDelaySeconds(4, PAIR_POLICY)).toBe(0)
    expect(throttleDelaySeconds(5, PAIR_POLICY)).toBe(2)
    expect(throttleDelaySeconds(6, PAIR_POLICY)).toBe(4)
    expect(throttleDelaySeconds(1000, PAIR_POLICY)).toBe(PAIR_POLICY.maxDelaySeconds)
    let current = Date.now()
    const restore = setClock(() => new Date(current))
    const reserve = (usernameKey: string, ip: string | null) => reserveLoginAttempt(t.db, { usernameKey, ip })
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
      await settleAttempt(t.db, ok, 'succeeded')
      await reserve('ana', '198.51.100.1')
      await reserve('ana', '198.51.100.1')
    } finally {
      restore()
    }
  })
})
