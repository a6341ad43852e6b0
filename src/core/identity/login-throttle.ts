import { isIPv6 } from 'node:net'
import { takeLock, type Db } from '../db/database.js'
import { ThrottledError } from '../errors.js'
import { now } from '../time.js'

/**
 * Attempts that test a secret (logins, the current password on the account page) or cost a bcrypt
 * hash for anyone (registrations) are counted in `login_throttle`, so limits survive a restart and
 * hold across portal instances. Each attempt is RESERVED before the password is verified: counted
 * as a failure up front in one serialised transaction, and given back when it turns out right.
 * Checking first and counting after the ~100 ms verify let parallel guesses all pass the check.
 * After a number of free failures a key is blocked for a delay that doubles up to a cap; there is
 * no permanent lockout (docs/rules.md#portal-security). See docs/decisions.md, "Review fixes (login throttling)".
 */
export interface ThrottlePolicy {
  /** Failures allowed before the next attempt must wait. */
  freeFailures: number
  firstDelaySeconds: number
  maxDelaySeconds: number
  /** A key whose last failure is older than this starts again from zero. */
  forgetAfterSeconds: number
  /** When set, failures also leak away at this rate, so the limit reads "N an hour". */
  leakPerHour?: number
}

/** One username from one network: the guesser's own budget (the real user elsewhere is not hit). */
export const PAIR_POLICY: ThrottlePolicy = {
  freeFailures: 5,
  firstDelaySeconds: 2,
  maxDelaySeconds: 300,
  forgetAfterSeconds: 3600,
}

// A ceiling across all networks against distributed guessing. High and with a short cap, so an
// attacker cannot use it to keep the real user out; addresses the user logged in from recently
// are exempt from it (KNOWN_ADDRESS_DAYS).
export const USERNAME_POLICY: ThrottlePolicy = {
  freeFailures: 100,
  firstDelaySeconds: 1,
  maxDelaySeconds: 30,
  forgetAfterSeconds: 3600,
  leakPerHour: 100,
}

// An office behind one NAT address shares an IP, so the IP allows more failures than a pair.
export const IP_POLICY: ThrottlePolicy = {
  freeFailures: 30,
  firstDelaySeconds: 2,
  maxDelaySeconds: 300,
  forgetAfterSeconds: 3600,
}

// Every registration costs a bcrypt hash and may probe whether a username exists.
export const REGISTRATION_POLICY: ThrottlePolicy = {
  freeFailures: 20,
  firstDelaySeconds: 2,
  maxDelaySeconds: 900,
  forgetAfterSeconds: 3600,
  leakPerHour: 20,
}

/** Wrong current passwords on the account page, per user: a hijacked session must not guess. */
export const PASSWORD_CHECK_POLICY: ThrottlePolicy = PAIR_POLICY

/** Wrong two-factor codes per user: 5 free, then doubling waits (3 of 10^6 codes match a guess). */
export const SECOND_FACTOR_POLICY: ThrottlePolicy = PAIR_POLICY

/** How long a successful login exempts that address from the username's ceiling. */
export const KNOWN_ADDRESS_DAYS = 30

export interface LoginAttempt {
  /** The username's comparison key (`usernameKey` in users.ts), so "Ana" and "ana" count as one. */
  usernameKey: string
  ip: string | null
  /** The nonce of a valid device cookie for this user (device-cookies.ts), if the browser has one. */
  device?: string | null
}

interface ThrottleRow {
  failures: number
  lastFailureAt: string
  blockedUntil: string
}

interface ReservedKey {
  key: string
  /** On success: forget the key's failures, or only give this attempt back. */
  onSuccess: 'clear' | 'give-back'
  previous: ThrottleRow | null
  reserved: ThrottleRow
}

/** An attempt counted as a failure until `settleAttempt` says otherwise. */
export interface AttemptReservation {
  keys: ReservedKey[]
  /** Remembered on success so this address skips the username's ceiling next time. */
  knownKey?: string
}

/**
 * The network an address counts against: IPv4 as is, IPv6 by its /64 (one subscriber usually
 * holds a whole /64, so counting single addresses would give them 2^64 budgets).
 */
export function throttleNetwork(ip: string): string {
  const address = ip.trim().split('%')[0].toLowerCase()
  if (!isIPv6(address)) return address
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address)
  if (mapped) return mapped[1]
  const [head, tail = ''] = address.split('::')
  const groupsOf = (part: string): string[] =>
    part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]))
  const left = groupsOf(head)
  const right = address.includes('::') ? groupsOf(tail) : []
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`
}

/** How long a key is blocked after its `failures`-th failure. */
export function throttleDelaySeconds(failures: number, policy: ThrottlePolicy): number {
  const over = failures - policy.freeFailures
  if (over < 0) return 0
  return Math.min(policy.maxDelaySeconds, policy.firstDelaySeconds * 2 ** Math.min(over, 30))
}

interface ThrottlePlan {
  key: string
  policy: ThrottlePolicy
  onSuccess: ReservedKey['onSuccess']
}

function loginPlans(attempt: LoginAttempt): { net: string; plans: ThrottlePlan[] } {
  const net = attempt.ip ? throttleNetwork(attempt.ip) : 'unknown'
  const ipPlan: ThrottlePlan[] = attempt.ip ? [{ key: `ip:${net}`, policy: IP_POLICY, onSuccess: 'give-back' }] : []
  // A trusted browser answers for itself only: neither the username's ceiling nor the pair.
  if (attempt.device) {
    const device: ThrottlePlan = { key: `device:${attempt.usernameKey}|${attempt.device}`, policy: PAIR_POLICY, onSuccess: 'clear' }
    return { net, plans: [device, ...ipPlan] }
  }
  const plans: ThrottlePlan[] = [
    { key: `pair:${attempt.usernameKey}|${net}`, policy: PAIR_POLICY, onSuccess: 'clear' },
    { key: `user:${attempt.usernameKey}`, policy: USERNAME_POLICY, onSuccess: 'give-back' },
  ]
  // The IP's count is only given back on success, never cleared: otherwise an attacker holding
  // one valid account could reset it between guesses at others.
  plans.push(...ipPlan)
  return { net, plans }
}

/**
 * Reserves one login attempt: throws a ThrottledError when the (username, network) pair, the
 * username's ceiling or the network is in a delay; otherwise counts the attempt as a failure.
 */
export async function reserveLoginAttempt(
  db: Db,
  attempt: LoginAttempt,
): Promise<AttemptReservation> {
  const { net, plans } = loginPlans(attempt)
  // Only a real address can be known: 'unknown' would exempt everyone without one.
  const knownKey = attempt.ip ? `known:${attempt.usernameKey}|${net}` : undefined
  return reserve(db, plans, 'too many failed logins: wait before trying again', {
    knownKey,
    async choose(trx) {
      const known = knownKey ? await readRow(trx, knownKey) : null
      const fresh =
        known && now().getTime() - Date.parse(known.lastFailureAt) < KNOWN_ADDRESS_DAYS * 86_400_000
      return fresh ? plans.filter((plan) => plan.policy !== USERNAME_POLICY) : plans
    },
  })
}

/** Reserves one registration from `ip` (every one counts, accepted or refused). */
export async function reserveRegistrationAttempt(
  db: Db,
  input: { ip: string | null },
): Promise<void> {
  const net = input.ip ? throttleNetwork(input.ip) : 'unknown'
  await reserve(
    db,
    [{ key: `register:${net}`, policy: REGISTRATION_POLICY, onSuccess: 'give-back' }],
    'too many registrations from this address: wait before trying again',
  )
}

/** Reserves one check of a signed-in user's current password (account page). */
export async function reservePasswordCheck(db: Db, userId: number): Promise<AttemptReservation> {
  return reserve(
    db,
    [{ key: `password:${userId}`, policy: PASSWORD_CHECK_POLICY, onSuccess: 'clear' }],
    'too many wrong current passwords: wait before trying again',
  )
}

/**
 * Reserves one check of a second factor (a TOTP or recovery code) for a user: counted per user, so
 * someone holding the password cannot spread code guesses over networks, and per network, so one
 * address cannot guess codes for many users (docs/rules.md#two-factor-login).
 */
export async function reserveSecondFactorCheck(
  db: Db,
  input: { userId: number; ip: string | null },
): Promise<AttemptReservation> {
  const plans: ThrottlePlan[] = [{ key: `second-factor:${input.userId}`, policy: SECOND_FACTOR_POLICY, onSuccess: 'clear' }]
  if (input.ip) plans.push({ key: `ip:${throttleNetwork(input.ip)}`, policy: IP_POLICY, onSuccess: 'give-back' })
  return reserve(db, plans, 'too many wrong codes: wait before trying again')
}

async function reserve(
  db: Db,
  plans: ThrottlePlan[],
  message: string,
  options: { knownKey?: string; choose?: (trx: Db) => Promise<ThrottlePlan[]> } = {},
): Promise<AttemptReservation> {
  return db.transaction().execute(async (trx) => {
    // One lock per key, always in the same order, so two reservations cannot deadlock.
    for (const plan of [...plans].sort((a, b) => (a.key < b.key ? -1 : 1))) {
      await takeLock(trx, `login_throttle:${plan.key}`)
    }
    const chosen = options.choose ? await options.choose(trx) : plans
    const current = now()
    const rows: (ThrottleRow | null)[] = []
    for (const plan of chosen) rows.push(await readRow(trx, plan.key))
    const waitMs = Math.max(
      0,
      ...rows.map((row) => (row ? Date.parse(row.blockedUntil) - current.getTime() : 0)),
    )
    if (waitMs > 0) throw new ThrottledError(message, Math.ceil(waitMs / 1000))
    const keys: ReservedKey[] = []
    for (const [i, plan] of chosen.entries()) {
      const reserved = nextRow(rows[i], plan.policy, current)
      await writeRow(trx, plan.key, reserved)
      keys.push({ key: plan.key, onSuccess: plan.onSuccess, previous: rows[i], reserved })
    }
    return { keys, knownKey: options.knownKey }
  })
}

/**
 * Settles a reservation whose answer was not "wrong": 'succeeded' forgets or gives back the
 * attempt (and remembers the address for the username); 'abandoned' (no verdict, e.g. the hashing
 * pool was full) gives it back everywhere. A wrong answer needs no call: it is already counted.
 */
export async function settleAttempt(
  db: Db,
  reservation: AttemptReservation,
  outcome: 'succeeded' | 'abandoned',
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const keys = [...reservation.keys].sort((a, b) => (a.key < b.key ? -1 : 1))
    for (const { key } of keys) await takeLock(trx, `login_throttle:${key}`)
    for (const reserved of keys) {
      if (outcome === 'succeeded' && reserved.onSuccess === 'clear') {
        await trx.deleteFrom('login_throttle').where('throttle_key', '=', reserved.key).execute()
      } else {
        await giveBack(trx, reserved)
      }
    }
    if (outcome === 'succeeded' && reservation.knownKey) {
      const at = now().toISOString()
      const known = { failures: 0, lastFailureAt: at, blockedUntil: at }
      await writeRow(trx, reservation.knownKey, known)
    }
  })
}

async function giveBack(trx: Db, reserved: ReservedKey): Promise<void> {
  const row = await readRow(trx, reserved.key)
  if (!row) return
  const untouched =
    row.failures === reserved.reserved.failures &&
    row.lastFailureAt === reserved.reserved.lastFailureAt
  if (untouched && !reserved.previous) {
    await trx.deleteFrom('login_throttle').where('throttle_key', '=', reserved.key).execute()
  } else if (untouched && reserved.previous) {
    await writeRow(trx, reserved.key, reserved.previous)
  } else {
    // Later failures were counted on top of this one and set their own delays: only uncount it.
    await writeRow(trx, reserved.key, { ...row, failures: Math.max(0, row.failures - 1) })
  }
}

function nextRow(row: ThrottleRow | null, policy: ThrottlePolicy, current: Date): ThrottleRow {
  const elapsedMs = row ? current.getTime() - Date.parse(row.lastFailureAt) : Infinity
  let failures = 1
  if (row && elapsedMs <= policy.forgetAfterSeconds * 1000) {
    const leaked = policy.leakPerHour ? Math.floor((elapsedMs / 3_600_000) * policy.leakPerHour) : 0
    failures = Math.max(0, row.failures - leaked) + 1
  }
  const delayMs = throttleDelaySeconds(failures, policy) * 1000
  return {
    failures,
    lastFailureAt: current.toISOString(),
    blockedUntil: new Date(current.getTime() + delayMs).toISOString(),
  }
}

async function readRow(trx: Db, key: string): Promise<ThrottleRow | null> {
  const row = await trx
    .selectFrom('login_throttle')
    .select(['failures', 'last_failure_at', 'blocked_until'])
    .where('throttle_key', '=', key)
    .executeTakeFirst()
  if (!row) return null
  return {
    failures: Number(row.failures),
    lastFailureAt: row.last_failure_at,
    blockedUntil: row.blocked_until,
  }
}

async function writeRow(trx: Db, key: string, row: ThrottleRow): Promise<void> {
  const values = {
    failures: row.failures,
    last_failure_at: row.lastFailureAt,
    blocked_until: row.blockedUntil,
  }
  await trx
    .insertInto('login_throttle')
    .values({ throttle_key: key, ...values })
    .onConflict((oc) => oc.column('throttle_key').doUpdateSet(values))
    .execute()
}
