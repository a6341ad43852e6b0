import { describe, expect, it } from 'vitest'
import { createSession } from '../../src/core/identity/sessions.js'
import { base32Decode, totpCode } from '../../src/core/identity/totp.js'
import { confirmTwoFactorSetup, startTwoFactorSetup, twoFactorState } from '../../src/core/identity/two-factor.js'
import { runCli } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeClient, makeUser, PASSWORD } from '../helpers/factories.js'
import { snapshot } from '../helpers/snapshot.js'

const t = useTestDatabase({ firm: true })
const confi = (args: string[]) => runCli(args, { env: t.env })

async function anaWithTwoFactor() {
  const client = await makeClient(t.db, t.key)
  const ana = await makeUser(t.db, { clientId: client.id, username: 'ana', role: 'admin' })
  const setup = await startTwoFactorSetup(t.db, t.key, ana, 'Contabilidade')
  const { session } = await createSession(t.db, { userId: ana.id, scope: 'area' }, { idleMinutes: 60, absoluteHours: 12 })
  const proof = { password: PASSWORD, sessionId: session.id }
  await confirmTwoFactorSetup(t.db, t.key, { userId: ana.id, code: totpCode(base32Decode(setup.secret), new Date()), ip: null, proof })
  return ana
}

describe('confi users reset-2fa', () => {
  it('turns two-factor off, deletes the recovery codes, ends the sessions and writes an event', async () => {
    const ana = await anaWithTwoFactor()
    const bia = await makeUser(t.db, { clientId: ana.clientId, username: 'bia' })
    const listed = JSON.parse((await confi(['users', 'list', '--json'])).stdout)
    expect(listed.map((u: { id: number; twoFactor: boolean }) => [u.id, u.twoFactor])).toEqual([[ana.id, true], [bia.id, false]])
    expect((await confi(['users', 'list'])).stdout).toMatch(/^.*\bana\b.*\bon\b.*$/m)
    const result = await confi(['users', 'reset-2fa', 'ana', '--json'])
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ userId: ana.id, username: 'ana', twoFactor: false, sessionsEnded: true })
    expect(await twoFactorState(t.db, ana.id)).toEqual({ enabled: false, recoveryCodesLeft: 0 })
    expect(await t.db.selectFrom('recovery_codes').selectAll().execute()).toHaveLength(0)
    expect(await t.db.selectFrom('sessions').selectAll().where('user_id', '=', ana.id).execute()).toHaveLength(0)
    const event = await t.db.selectFrom('events').selectAll().where('action', '=', 'user.two_factor_reset').executeTakeFirstOrThrow()
    expect(event.actor).toMatch(/^cli:/)
    expect(event.user_id).toBe(ana.id)
    expect(JSON.parse((await confi(['users', 'list', '--json'])).stdout)[0].twoFactor).toBe(false)
  })

  it('says so in one line, changing nothing, for an unknown user or one without two-factor', async () => {
    const ana = await anaWithTwoFactor()
    const text = await confi(['users', 'reset-2fa', String(ana.id)])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stdout).toBe("turned two-factor login off for ana; its recovery codes were deleted and its sessions ended\n")
    for (const [ref, message] of [
      ['ana', /^confi: 'ana' has no two-factor login: there is nothing to reset\n$/],
      ['zé', /^confi: no user 'zé'/],
    ] as const) {
      const before = await snapshot(t.db)
      const refused = await confi(['users', 'reset-2fa', ref])
      expect(refused.code).toBe(1)
      expect(refused.stdout).toBe('')
      expect(refused.stderr).toMatch(message)
      expect(await snapshot(t.db)).toEqual(before)
    }
    expect((await confi(['users', 'reset-2fa'])).code).toBe(2)
  })

  it('has help with an example', async () => {
    const help = await runCli(['users', 'reset-2fa', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/lost the phone/)
    expect(help.stdout).toMatch(/Example:\n  \$ confi users reset-2fa bruno/)
  })
})
