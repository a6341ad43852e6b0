import { describe, expect, it } from 'vitest'
import { pruneExpired } from '../../../src/core/ops/maintenance.js'
import { createPasswordReset } from '../../../src/core/identity/password-resets.js'
import { createSession } from '../../../src/core/identity/sessions.js'
import { setClock } from '../../../src/core/time.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeUser } from '../../helpers/factories.js'
import { runConfi } from '../../helpers/cli.js'

// docs/security.md, "Housekeeping".

const t = useTestDatabase({ firm: true })

const HOUR = 3_600_000

async function throttleRow(key: string, lastFailureAt: Date, blockedUntil = lastFailureAt) {
  await t.db
    .insertInto('login_throttle')
    .values({ throttle_key: key, failures: 3, last_failure_at: lastFailureAt.toISOString(), blocked_until: blockedUntil.toISOString() })
    .execute()
}

describe('pruning', () => {
  it('removes only what has expired, and counts it', async () => {
    const client = await makeClient(t.db, t.key)
    const user = await makeUser(t.db, { clientId: client.id, role: 'admin' })
    // A reset ends its user's sessions: resets for another user.
    const other = await makeUser(t.db, { clientId: client.id })
    const start = Date.now()
    let clock = start - 30 * HOUR
    const restore = setClock(() => new Date(clock))
    try {
      await createSession(t.db, { userId: user.id, scope: 'area' }, { idleMinutes: 60, absoluteHours: 12 })
      await createPasswordReset(t.db, ACCOUNTANT, other.id)
      clock = start
      await createSession(t.db, { userId: user.id, scope: 'area' }, { idleMinutes: 60, absoluteHours: 12 })
      await createPasswordReset(t.db, ACCOUNTANT, other.id)
    } finally {
      restore()
    }
    await t.db
      .insertInto('pending_logins')
      .values([
        { token_hash: 'a', user_id: user.id, scope: 'area', next_path: null, created_at: new Date(start - HOUR).toISOString(), expires_at: new Date(start - HOUR / 2).toISOString() },
        { token_hash: 'b', user_id: user.id, scope: 'area', next_path: null, created_at: new Date(start).toISOString(), expires_at: new Date(start + HOUR).toISOString() },
      ])
      .execute()
    await throttleRow('pair:old|1.2.3.4', new Date(start - 2 * HOUR))
    await throttleRow('pair:new|1.2.3.4', new Date(start - 60_000))
    await throttleRow('known:ana|1.2.3.4', new Date(start - 2 * HOUR))
    await throttleRow('known:old|1.2.3.4', new Date(start - 40 * 24 * HOUR))

    const result = await pruneExpired(t.db)
    expect(result).toEqual({ sessions: 1, passwordResets: 1, pendingLogins: 1, throttleRows: 2, endedSessions: 0 })
    const keys = (await t.db.selectFrom('login_throttle').select('throttle_key').orderBy('throttle_key').execute()).map((r) => r.throttle_key)
    expect(keys).toEqual(['known:ana|1.2.3.4', 'pair:new|1.2.3.4'])
    expect(await pruneExpired(t.db)).toEqual({ sessions: 0, passwordResets: 0, pendingLogins: 0, throttleRows: 0, endedSessions: 0 })
  })

  it('confi maintenance prune prints the count', async () => {
    if (t.config.database.kind !== 'sqlite') return
    await throttleRow('pair:old|1.2.3.4', new Date(Date.now() - 2 * HOUR))
    const result = await runConfi(['maintenance', 'prune'], { env: t.env })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^pruned 1 rows: 0 sessions, 0 reset links, 0 two-factor logins, 1 throttle rows/)
  })
})
