// `confi privacy erase` at the terminal and in scripts (docs/privacy.md, "Erasure").
import { describe, expect, it } from 'vitest'
import { recordAccess } from '../../src/core/access-log/chain/append.js'
import { runCli } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeClient, makeDocument, makeUser } from '../helpers/factories.js'
import { findText } from '../helpers/text-search.js'

const t = useTestDatabase({ firm: true })
const confi = (args: string[]) => runCli(args, { env: t.env, cwd: t.dir })
const backend = process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'

async function person() {
  const client = await makeClient(t.db, t.key)
  const doc = await makeDocument(t, client.id)
  const user = await makeUser(t.db, { clientId: client.id, username: 'bruno.lima', name: 'Bruno Lima', email: 'bruno@exemplo.com.br' })
  await recordAccess(t.db, { documentId: doc.id, clientId: client.id, channel: 'portal', action: 'view', ip: '198.51.100.77', userAgent: 'UA-erase', user: { id: user.id, username: user.username, name: user.name } })
  // A format-1 row, as an older release wrote it.
  const old = await recordAccess(t.db, { documentId: doc.id, clientId: client.id, channel: 'portal', action: 'view', ip: '198.51.100.77', user: { id: user.id, username: user.username, name: user.name } }, { format: 1 })
  return { user, oldRowId: old.id }
}

describe(`confi privacy erase on ${backend}`, () => {
  it('in a script without --yes: refused as a usage error, nothing erased', async () => {
    await person()
    const result = await confi(['privacy', 'erase', '--user', 'bruno.lima'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^confi: erasing a person cannot be undone: add --yes/)
    expect(await findText(t.db, ['198.51.100.77'])).not.toEqual([])
  })

  it('--dry-run says what would be erased and what is kept and why, and changes nothing', async () => {
    const { user, oldRowId } = await person()
    const result = await confi(['privacy', 'erase', '--user', 'bruno.lima', '--dry-run'])
    expect([result.code, result.stderr]).toEqual([0, ''])
    expect(result.stdout).toContain(`dry run: erasing user ${user.id} would change (nothing was changed):`)
    expect(result.stdout).toContain('  access log rows: 1\n')
    expect(result.stdout).toContain(`  access log rows of format 1: 1 (rows ${oldRowId}): written before format 2`)
    expect((await t.db.selectFrom('client_users').select('username').where('id', '=', user.id).executeTakeFirstOrThrow()).username).toBe('bruno.lima')
  })

  it('--yes --json erases; docs verify passes; again by id says already erased (exit 0); an unknown user exits 1', async () => {
    const { user } = await person()
    const result = await confi(['privacy', 'erase', '--user', 'bruno.lima', '--yes', '--json'])
    expect([result.code, result.stderr]).toEqual([0, ''])
    const report = JSON.parse(result.stdout)
    expect(report).toMatchObject({ dryRun: false, userId: user.id, erased: { access_log_rows: 1, account: 1 } })
    // Only the format-1 row, kept and reported, still holds the name and address.
    expect(await findText(t.db, ['UA-erase', 'Bruno Lima', 'bruno@exemplo.com.br', '198.51.100.77'])).toEqual(['access_log.user_name: Bruno Lima', 'access_log.ip: 198.51.100.77'])
    const verify = await confi(['docs', 'verify'])
    expect(verify.code).toBe(0)
    const again = await confi(['privacy', 'erase', '--user', String(user.id), '--yes'])
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(new RegExp(`^user ${user.id} was already erased on \\d{4}-\\S+: nothing to do\\n$`))
    const unknown = await confi(['privacy', 'erase', '--user', 'bruno.lima', '--yes'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/^confi: no user 'bruno.lima'/)
  })
})
