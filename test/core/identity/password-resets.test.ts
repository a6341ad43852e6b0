import { afterEach, describe, expect, it } from 'vitest'
import { GoneError, NotFoundError } from '../../../src/core/errors.js'
import {
  createPasswordReset,
  findPasswordReset,
  resetPasswordWithToken,
} from '../../../src/core/identity/password-resets.js'
import { setClock } from '../../../src/core/time.js'
import { authenticate } from '../../../src/core/identity/authentication.js'
import { useTestDatabase } from '../../helpers/db.js'
import {
  ACCOUNTANT,
  PASSWORD,
  makeClient,
  makeUser,
  memoHasher,
} from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
let restoreClock: (() => void) | undefined
afterEach(async () => {
  restoreClock?.()
  restoreClock = undefined
})

async function setup() {
  const client = await makeClient(t.db, t.key)
  const user = await makeUser(t.db, { clientId: client.id, username: 'ana' })
  const at = new Date().toISOString()
  await t.db
    .insertInto('sessions')
    .values({
      token_hash: 'x',
      user_id: user.id,
      scope: 'area',
      created_at: at,
      last_seen_at: at,
      expires_at: at,
      ip: null,
      user_agent: null,
    })
    .execute()
  return user
}

describe('password resets', () => {
  it('creates a one-time link valid for 24 hours, storing only a digest', async () => {
    const user = await setup()
    const reset = await createPasswordReset(t.db, ACCOUNTANT, user.id)
    expect(reset.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(reset.url).toBe(`http://localhost:3000/reset/${reset.token}`)
    expect(Date.parse(reset.expiresAt) - Date.now()).toBeGreaterThan(23.9 * 3600_000)
    const rows = await t.db.selectFrom('password_resets').selectAll().execute()
    expect(JSON.stringify(rows)).not.toContain(reset.token)
    expect(await findPasswordReset(t.db, reset.token)).toEqual({ userId: user.id, username: 'ana' })
    // The sessions end when the link is made: the password is suspect.
    expect(await t.db.selectFrom('sessions').selectAll().execute()).toHaveLength(0)
  })

  it('sets the new password once; the link cannot be used again', async () => {
    const user = await setup()
    const { token } = await createPasswordReset(t.db, ACCOUNTANT, user.id)
    await expect(resetPasswordWithToken(t.db, token, 'curta', memoHasher)).rejects.toThrow(
      /too short/,
    )
    await resetPasswordWithToken(t.db, token, 'nova-senha-123', memoHasher)
    expect((await authenticate(t.db, 'ana', 'nova-senha-123', memoHasher)).outcome).toBe('ok')
    expect((await authenticate(t.db, 'ana', PASSWORD, memoHasher)).outcome).toBe('invalid')
    expect(await findPasswordReset(t.db, token)).toBeNull()
    await expect(resetPasswordWithToken(t.db, token, 'outra-senha-1', memoHasher)).rejects.toThrow(
      GoneError,
    )
  })

  it('consumes a token atomically when two requests race', async () => {
    const user = await setup()
    const { token } = await createPasswordReset(t.db, ACCOUNTANT, user.id)
    const results = await Promise.allSettled([
      resetPasswordWithToken(t.db, token, 'primeira-senha', memoHasher),
      resetPasswordWithToken(t.db, token, 'segunda-senha', memoHasher),
    ])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({
      reason: expect.any(GoneError),
    })
  })

  it('refuses unknown, expired and superseded tokens', async () => {
    const user = await setup()
    await expect(
      resetPasswordWithToken(t.db, 'a'.repeat(43), 'nova-senha-123', memoHasher),
    ).rejects.toThrow(NotFoundError)
    const old = await createPasswordReset(t.db, ACCOUNTANT, user.id)
    const fresh = await createPasswordReset(t.db, ACCOUNTANT, user.id)
    expect(await findPasswordReset(t.db, old.token)).toBeNull()
    restoreClock = setClock(() => new Date(Date.now() + 25 * 3600_000))
    expect(await findPasswordReset(t.db, fresh.token)).toBeNull()
    await expect(
      resetPasswordWithToken(t.db, fresh.token, 'nova-senha-123', memoHasher),
    ).rejects.toThrow(GoneError)
  })
})
