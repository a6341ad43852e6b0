import { takeLock, type Db } from './db.js'
import { ThrottledError } from './errors.js'
import { now } from './time.js'
import { usernameKey } from './users.js'

/**
 * Failed logins are counted per username and per IP address in `login_throttle`, so the limit
 * survives a restart and holds across portal instances. After a number of free failures each
 * further failure blocks that key for a delay that doubles up to a cap; there is no permanent
 * lockout, so nobody can lock a user out for good by guessing at their username.
 */
export interface ThrottlePolicy {
  /** Failures allowed before any delay. */
  freeFailures: number
  firstDelaySeconds: number
  maxDelaySeconds: number
  /** A key whose last failure is older than this starts again from zero. */
  forgetAfterSeconds: number
}

export const USERNAME_POLICY: ThrottlePolicy = {
  freeFailures: 5,
  firstDelaySeconds: 2,
  maxDelaySeconds: 300,
  forgetAfterSeconds: 3600,
}

// An office behind one NAT address shares an IP, so the IP allows more failures than a username.
export const IP_POLICY: ThrottlePolicy = {
  freeFailures: 30,
  firstDelaySeconds: 2,
  maxDelaySeconds: 300,
  forgetAfterSeconds: 3600,
}

export interface LoginAttempt {
  username: string
  ip: string | null
}

interface ThrottleKey {
  key: string
  policy: ThrottlePolicy
}

function keysOf(attempt: LoginAttempt): ThrottleKey[] {
  const keys: ThrottleKey[] = [{ key: `user:${usernameKey(attempt.username)}`, policy: USERNAME_POLICY }]
  if (attempt.ip) keys.push({ key: `ip:${attempt.ip}`, policy: IP_POLICY })
  return keys
}

/** How long a key is blocked after its `failures`-th failure. */
export function throttleDelaySeconds(failures: number, policy: ThrottlePolicy): number {
  const over = failures - policy.freeFailures
  if (over <= 0) return 0
  return Math.min(policy.maxDelaySeconds, policy.firstDelaySeconds * 2 ** Math.min(over - 1, 30))
}

/** Throws a ThrottledError when the username or the IP is in a delay; otherwise returns. */
export async function checkLoginThrottle(db: Db, attempt: LoginAttempt): Promise<void> {
  const keys = keysOf(attempt).map((k) => k.key)
  const rows = await db
    .selectFrom('login_throttle')
    .select(['blocked_until'])
    .where('throttle_key', 'in', keys)
    .execute()
  const current = now().getTime()
  const waitMs = Math.max(0, ...rows.map((r) => Date.parse(r.blocked_until) - current))
  if (waitMs > 0) {
    throw new ThrottledError(
      'too many failed logins: wait before trying again',
      Math.ceil(waitMs / 1000),
    )
  }
}

/** Counts one failed login against the username and the IP, extending their delays. */
export async function recordLoginFailure(db: Db, attempt: LoginAttempt): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const { key, policy } of keysOf(attempt)) {
      await takeLock(trx, `login_throttle:${key}`)
      await bumpKey(trx, key, policy)
    }
  })
}

async function bumpKey(trx: Db, key: string, policy: ThrottlePolicy): Promise<void> {
  const current = now()
  const row = await trx
    .selectFrom('login_throttle')
    .select(['failures', 'last_failure_at'])
    .where('throttle_key', '=', key)
    .executeTakeFirst()
  const stale =
    !row || current.getTime() - Date.parse(row.last_failure_at) > policy.forgetAfterSeconds * 1000
  const failures = stale ? 1 : Number(row.failures) + 1
  const blockedUntil = new Date(
    current.getTime() + throttleDelaySeconds(failures, policy) * 1000,
  ).toISOString()
  const values = {
    failures,
    last_failure_at: current.toISOString(),
    blocked_until: blockedUntil,
  }
  await trx
    .insertInto('login_throttle')
    .values({ throttle_key: key, ...values })
    .onConflict((oc) => oc.column('throttle_key').doUpdateSet(values))
    .execute()
}

/**
 * Forgets the username's failures after a successful login. The IP's count stays: otherwise an
 * attacker holding one valid account could reset its IP counter between guesses at others.
 */
export async function clearLoginFailures(db: Db, attempt: Pick<LoginAttempt, 'username'>): Promise<void> {
  await db
    .deleteFrom('login_throttle')
    .where('throttle_key', '=', `user:${usernameKey(attempt.username)}`)
    .execute()
}
