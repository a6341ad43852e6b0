import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { confiBin, runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { nextCnpj } from '../helpers/factories.js'

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

const t = useTestDatabase({ firm: true })

describe('the bundled CLI', () => {
  it('prints its version with --version and -V, and nothing else', async () => {
    for (const flag of ['--version', '-V']) {
      const result = await runConfi([flag])
      expect(result).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' })
    }
  })

  it('ends quietly with status 141 when its reader closes the pipe early', async () => {
    const at = new Date().toISOString()
    // Far more than a pipe buffer (64 KiB) of table, so the CLI is still writing when we close.
    const clients = Array.from({ length: 3000 }, (_, n) => ({
      name: `Cliente de Teste Número ${n} Comércio e Serviços Ltda`,
      tax_id: nextCnpj(),
      require_login: 'inherit' as const,
      login_link_version: 1,
      created_at: at,
      updated_at: at,
    }))
    for (let i = 0; i < clients.length; i += 500) await t.db.insertInto('clients').values(clients.slice(i, i + 500)).execute()
    const child = spawn(process.execPath, [confiBin, 'clients', 'list'], {
      env: { ...process.env, ...t.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    // Like `| head -1`: read the first chunk, then close our end before the rest is written.
    child.stdout.once('data', () => child.stdout.destroy())
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(stderr).toBe('')
    expect(code).toBe(141)
  })
})
