import { spawn } from 'node:child_process'
import { beforeEach, describe, expect, it } from 'vitest'
import { confiBin, runCli } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'

const t = useTestDatabase()
beforeEach(async () => {
  await runCli(['init', '--firm-name', 'Contabilidade CLI'], { env: t.env })
})

describe('confi demo and confi serve', () => {
  it('fills an empty database once and refuses a second time', async () => {
    const first = await runCli(['demo'], { env: t.env })
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/\/area\/[A-Za-z0-9_-]{43}/)
    expect(first.stdout).toContain('ana.souza')
    expect(first.stdout).toContain('demo-confi-2026')
    const statuses = await t.db.selectFrom('client_users').select('status').distinct().execute()
    expect(statuses.map((s) => s.status).sort()).toEqual(['active', 'disabled', 'pending'])
    const categories = await t.db.selectFrom('documents').select('category').distinct().execute()
    expect(categories).toHaveLength(5)
    const again = await runCli(['demo'], { env: t.env })
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('already has clients')
  }, 30_000)

  it('serves, answers /healthz, prints the URL and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [confiBin, 'serve', '--port', '0'], { env: { ...process.env, ...t.env } })
    let out = ''
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d
        const match = /portal at (\S+)/.exec(out)
        if (match) resolve(match[1])
      })
      child.once('exit', () => reject(new Error(out)))
    })
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    expect(await exit).toBe(0)
    expect(out).toContain('stopping the portal')
  }, 30_000)

  it('signs a checkpoint every period when the log grew, and once more on SIGTERM', async () => {
    const { recordAccess } = await import('../../src/core/access-log/chain/append.js')
    await runCli(['demo'], { env: t.env })
    const env = { ...process.env, ...t.env, CONFI_CHECKPOINT_SECONDS: '1' }
    const child = spawn(process.execPath, [confiBin, 'serve', '--port', '0'], { env })
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve))
    const sizes = async () => (await t.db.selectFrom('checkpoints').select('tree_size').orderBy('id').execute()).map((r) => Number(r.tree_size))
    const doc = await t.db.selectFrom('documents').select(['id', 'client_id']).limit(1).executeTakeFirstOrThrow()
    await recordAccess(t.db, { documentId: doc.id, clientId: doc.client_id, channel: 'link', action: 'view' })
    const head = Number((await t.db.selectFrom('access_log').select('id').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow()).id)
    for (let i = 0; i < 100 && (await sizes()).at(-1) !== head; i++) await new Promise((r) => setTimeout(r, 200))
    expect((await sizes()).at(-1)).toBe(head)
    const before = (await sizes()).length
    await new Promise((r) => setTimeout(r, 2500))
    expect((await sizes()).length).toBe(before) // nothing new to sign
    await recordAccess(t.db, { documentId: doc.id, clientId: doc.client_id, channel: 'link', action: 'download' })
    child.kill('SIGTERM')
    expect(await exit).toBe(0)
    expect((await sizes()).at(-1)).toBe(head + 1)
  }, 60_000)

  it('refuses a bad port with exit 2', async () => {
    const result = await runCli(['serve', '--port', 'abc'], { env: t.env })
    expect(result.code).toBe(2)
  })
})
