import type { Db } from '../db/database.js'
import { getFirmOptions } from '../clients/firm.js'
import { KNOWN_ADDRESS_DAYS, PAIR_POLICY, IP_POLICY, REGISTRATION_POLICY, USERNAME_POLICY } from '../identity/login-throttle.js'
import { endExpiredSessions } from '../identity/sessions.js'
import { now } from '../time.js'

// Rows that only ever grow unless removed (docs/security.md, "Housekeeping"): expired or idle
// sessions, used or expired reset links, half-finished two-factor logins and throttle rows past
// their window. None of them opens anything once expired; removing them keeps tables and
// indexes small. Run hourly by `confi serve` and by `confi maintenance prune` (cron).

export interface PruneResult {
  sessions: number
  passwordResets: number
  pendingLogins: number
  throttleRows: number
  /** Notes of why a session ended, past the two weeks they are kept (sessions.ts). */
  endedSessions: number
}

const HOUR_MS = 3_600_000

// The longest any throttle policy remembers a failure: older rows count as zero anyway.
const THROTTLE_WINDOW_MS =
  Math.max(...[PAIR_POLICY, IP_POLICY, REGISTRATION_POLICY, USERNAME_POLICY].map((p) => p.forgetAfterSeconds)) * 1000

/** Deletes what has expired; returns how many rows of each kind. */
export async function pruneExpired(db: Db): Promise<PruneResult> {
  const current = now()
  const at = current.toISOString()
  const { sessionIdleMinutes } = await getFirmOptions(db)
  const idleSince = new Date(current.getTime() - sessionIdleMinutes * 60_000).toISOString()
  const sessions = await endExpiredSessions(db, { at, idleSince })
  const endedSessions = await db.deleteFrom('ended_sessions').where('forget_at', '<=', at).executeTakeFirst()
  const passwordResets = await db
    .deleteFrom('password_resets')
    .where((eb) => eb.or([eb('used_at', 'is not', null), eb('expires_at', '<=', at)]))
    .executeTakeFirst()
  const pendingLogins = await db.deleteFrom('pending_logins').where('expires_at', '<=', at).executeTakeFirst()
  const forgotten = new Date(current.getTime() - THROTTLE_WINDOW_MS).toISOString()
  const knownForgotten = new Date(current.getTime() - KNOWN_ADDRESS_DAYS * 24 * HOUR_MS).toISOString()
  const throttle = await db
    .deleteFrom('login_throttle')
    .where((eb) =>
      eb.or([
        eb.and([
          eb('throttle_key', 'not like', 'known:%'),
          eb('last_failure_at', '<', forgotten),
          eb('blocked_until', '<=', at),
        ]),
        eb.and([eb('throttle_key', 'like', 'known:%'), eb('last_failure_at', '<', knownForgotten)]),
      ]),
    )
    .executeTakeFirst()
  return {
    sessions,
    passwordResets: Number(passwordResets.numDeletedRows),
    pendingLogins: Number(pendingLogins.numDeletedRows),
    throttleRows: Number(throttle.numDeletedRows),
    endedSessions: Number(endedSessions.numDeletedRows),
  }
}

/** The total of a prune, for one line of output. */
export function prunedTotal(result: PruneResult): number {
  return result.sessions + result.passwordResets + result.pendingLogins + result.throttleRows + result.endedSessions
}
