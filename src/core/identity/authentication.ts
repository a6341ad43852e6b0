/** Checking who someone is: password logins (under the login throttle) and session cookies. */
import { sql, type Expression } from 'kysely'
import { getFirmOptions } from '../clients/firm.js'
import { backendOf, type Db } from '../db/database.js'
import { preparedQuery } from '../db/prepared.js'
import { ThrottledError } from '../errors.js'
import { reserveLoginAttempt, settleAttempt, type AttemptReservation } from './login-throttle.js'
import { DUMMY_HASH, hashCost, inlineHasher, type PasswordHasher } from './passwords.js'
import { liveSession, sessionTokenHash, type Session, type SessionPolicy } from './sessions.js'
import { CLIENT_USER_COLUMNS, getUser, toClientUser, usernameKey, type ClientUser } from './users.js'
import { scopeFrom, visibilityOf, type VisibleScope } from './visibility.js'

// A comma-separated list of the group's values (ids, `kind:ref` of a visibility row), in SQL:
// both dialects' string aggregate, so the scope costs no row of its own.
const listOf = (db: Db, value: ReturnType<typeof sql>) =>
  backendOf(db) === 'postgres' ? sql<string | null>`string_agg(${value}, ',')` : sql<string | null>`group_concat(${value}, ',')`

/**
 * The session of a token hash with its user, second factor, terms due and visible scope (the
 * group's member companies and what is hidden from the user): everything a portal request checks,
 * as one select that the gated download extends with its document (core/documents/download-lookup.ts).
 * The hash is a value, or a column of the download's group read.
 */
export function selectSessionUser(db: Db, tokenHash: string | Expression<string>) {
  return db
    .selectFrom('sessions')
    .innerJoin('client_users', 'client_users.id', 'sessions.user_id')
    .leftJoin('two_factor', 'two_factor.user_id', 'sessions.user_id')
    .select(CLIENT_USER_COLUMNS.map((column) => `client_users.${column}` as const))
    .select([
      'sessions.id as session_id',
      'sessions.scope as session_scope',
      'sessions.created_at as session_created_at',
      'sessions.last_seen_at as session_last_seen_at',
      'sessions.expires_at as session_expires_at',
      'two_factor.enabled_at as two_factor_enabled_at',
    ])
    // The current terms version when this user has not accepted it (docs/rules.md#terms-and-consent):
    // two primary-key probes inside the same query, so the check costs no round trip.
    .select((eb) =>
      eb
        .selectFrom('terms_versions as tv')
        .select('tv.id')
        .where('tv.id', '=', eb.selectFrom('terms_versions as tl').select((e) => e.fn.max('tl.id').as('latest')))
        .where((e) =>
          e.not(
            e.exists(
              e.selectFrom('terms_acceptances as ta').select('ta.terms_id').whereRef('ta.user_id', '=', 'sessions.user_id').whereRef('ta.terms_id', '=', 'tv.id'),
            ),
          ),
        )
        .as('terms_due_id'),
    )
    // The visible scope's inputs, read in the same statement as the user's role and status
    // (core/identity/visibility.ts, scopeFrom): fresh on every request, no round trip of their own.
    .select((eb) => [
      eb
        .selectFrom('clients as member')
        .select(listOf(db, sql`cast(${sql.ref('member.id')} as text)`).as('ids'))
        .whereRef('member.group_head_id', '=', 'client_users.client_id')
        .as('area_member_ids'),
      eb
        .selectFrom('user_visibility as hidden')
        .select(listOf(db, sql`${sql.ref('hidden.kind')} || ':' || ${sql.ref('hidden.ref')}`).as('items'))
        .whereRef('hidden.user_id', '=', 'client_users.id')
        .as('hidden_items'),
    ])
    .where('sessions.token_hash', '=', tokenHash)
}

// Every portal request runs it: compiled once (core/db/prepared.ts).
const sessionUserQuery = preparedQuery(1, selectSessionUser)

type SessionUserRow = Awaited<ReturnType<typeof sessionUserQuery>>[number]

/** What a portal request knows of its session, read in one statement. */
export interface SessionUser {
  session: Session
  user: ClientUser
  twoFactorOn: boolean
  termsDueId: number | null
  /** What the user may see, read with the user (core/identity/visibility.ts, scopeFrom). */
  scope: VisibleScope
}

/**
 * The live session of a cookie token and its user as they are now, read in one query: what every
 * portal request starts with, so a disabled user or an ended session counts on the very next
 * request. Null when the token is unknown, the session expired or the user no longer exists;
 * the caller decides what a disabled or pending user, or one who owes two-factor or the
 * acceptance of the current terms (`termsDueId`), may do.
 */
export async function lookupSessionUser(db: Db, token: string, policy: Pick<SessionPolicy, 'idleMinutes'>): Promise<SessionUser | null> {
  const tokenHash = sessionTokenHash(token)
  if (!tokenHash) return null
  const [row] = await sessionUserQuery(db, tokenHash)
  return row ? sessionUserOf(db, row, policy) : null
}

/**
 * A row of `selectSessionUser` as the request's session and user; null when the session has
 * expired (it is ended here) or its row is missing.
 */
export async function sessionUserOf(
  db: Db,
  row: SessionUserRow,
  policy: Pick<SessionPolicy, 'idleMinutes'>,
): Promise<SessionUser | null> {
  const session = await liveSession(
    db,
    {
      id: row.session_id,
      user_id: row.id,
      scope: row.session_scope,
      created_at: row.session_created_at,
      last_seen_at: row.session_last_seen_at,
      expires_at: row.session_expires_at,
    },
    policy,
  )
  if (!session) return null
  const termsDueId = row.terms_due_id == null ? null : Number(row.terms_due_id)
  const user = toClientUser(row)
  const members = row.area_member_ids ? row.area_member_ids.split(',').map(Number) : []
  const hidden = row.hidden_items ? row.hidden_items.split(',').map(splitItem) : []
  return { session, user, twoFactorOn: row.two_factor_enabled_at != null, termsDueId, scope: scopeFrom(user, members, visibilityOf(hidden)) }
}

function splitItem(item: string): { kind: string; ref: string } {
  const at = item.indexOf(':')
  return { kind: item.slice(0, at), ref: item.slice(at + 1) }
}

export type AuthResult =
  | { outcome: 'ok'; user: ClientUser }
  | { outcome: 'pending'; user: ClientUser }
  | { outcome: 'invalid' }
  /** The right password of a disabled account: said so, since only its owner can learn it (docs/security.md). */
  | { outcome: 'disabled'; user: ClientUser }

const dummyHashes = new Map<number, Promise<string>>([[11, Promise.resolve(DUMMY_HASH)]])

// A stand-in hash at the given cost, so a login for an unknown user costs as much as a real one.
function dummyHash(cost: number, hasher: PasswordHasher): Promise<string> {
  let hash = dummyHashes.get(cost)
  if (!hash) {
    hash = hasher.hash('not the password of anyone', cost)
    dummyHashes.set(cost, hash)
    // A refused hash (a full pool) must not stay cached as a rejection for good.
    hash.catch(() => dummyHashes.delete(cost))
  }
  return hash
}

/**
 * Tops a failed check against a hash of cost `from` up to the work of one verify at `to`: bcrypt
 * doubles per cost step, so verifies at from, from+1, …, to-1 add up to one at `to` less one at
 * `from`. Without it a user whose hash predates a cost rise fails faster than an unknown user.
 */
async function equaliseVerifyWork(
  password: string,
  from: number,
  to: number,
  hasher: PasswordHasher,
): Promise<void> {
  for (let cost = from; cost < to; cost++) {
    await hasher.verify(password, await dummyHash(cost, hasher))
  }
}

// The work of one verify at the firm's cost, testing nothing: the unknown-user path.
async function verifyNobody(password: string, cost: number, hasher: PasswordHasher): Promise<void> {
  await hasher.verify(password.slice(0, 72), await dummyHash(cost, hasher))
}

/**
 * Checks a username and password. Unknown user, wrong password and no password all answer
 * 'invalid' after the same bcrypt work; 'pending' and 'disabled' only after the correct password.
 */
export async function authenticate(
  db: Db,
  username: string,
  password: string,
  hasher: PasswordHasher = inlineHasher,
): Promise<AuthResult> {
  const { bcryptCost } = await getFirmOptions(db)
  const key = usernameKey(username.trim())
  // A NUL cannot be in any username, and PostgreSQL refuses it in a query: an unknown user.
  const row = key.includes('\u0000')
    ? undefined
    : await db.selectFrom('client_users').selectAll().where('username_key', '=', key).executeTakeFirst()
  if (!row || !row.password_hash || Buffer.byteLength(password, 'utf8') > 72) {
    await verifyNobody(password, bcryptCost, hasher)
    return { outcome: 'invalid' }
  }
  const matches = await hasher.verify(password, row.password_hash)
  const storedCost = hashCost(row.password_hash)
  if (!matches) {
    await equaliseVerifyWork(password, storedCost, bcryptCost, hasher)
    return { outcome: 'invalid' }
  }
  if (row.status === 'disabled') return { outcome: 'disabled', user: toClientUser(row) }
  // The last login moves when the session starts (sessions.ts), after any second factor.
  if (storedCost < bcryptCost) {
    const rehash = await hasher.hash(password, bcryptCost)
    await db.updateTable('client_users').set({ password_hash: rehash }).where('id', '=', row.id).execute()
  }
  const user = await getUser(db, Number(row.id))
  return { outcome: user.status === 'active' ? 'ok' : 'pending', user }
}

export type LoginResult = AuthResult | { outcome: 'throttled'; retryAfterSeconds: number }

/**
 * A login under the throttle (docs/rules.md#portal-security): the attempt is reserved (counted as a failure) before
 * the password is verified, so parallel guesses cannot all pass, and given back when it is right.
 * A throttled attempt still does one bcrypt verify without testing the password, so it takes as
 * long as any other failure; a full hashing pool answers 'throttled' too.
 */
export async function authenticateThrottled(
  db: Db,
  input: { username: string; password: string; ip: string | null; device?: string | null },
  hasher: PasswordHasher = inlineHasher,
): Promise<LoginResult> {
  let reservation: AttemptReservation
  try {
    reservation = await reserveLoginAttempt(db, {
      usernameKey: usernameKey(input.username.trim()),
      ip: input.ip,
      device: input.device,
    })
  } catch (error) {
    if (!(error instanceof ThrottledError)) throw error
    const { bcryptCost } = await getFirmOptions(db)
    await verifyNobody(input.password, bcryptCost, hasher).catch((busy) => {
      if (!(busy instanceof ThrottledError)) throw busy
    })
    return { outcome: 'throttled', retryAfterSeconds: error.retryAfterSeconds }
  }
  let result: AuthResult
  try {
    result = await authenticate(db, input.username, input.password, hasher)
  } catch (error) {
    // No verdict (pool full, database error): the attempt tested nothing, so it does not count.
    await settleAttempt(db, reservation, 'abandoned')
    if (error instanceof ThrottledError) {
      return { outcome: 'throttled', retryAfterSeconds: error.retryAfterSeconds }
    }
    throw error
  }
  // A disabled account's right password stays counted: it opens nothing, and must not mark the address as known.
  if (result.outcome === 'ok' || result.outcome === 'pending') await settleAttempt(db, reservation, 'succeeded')
  return result
}

