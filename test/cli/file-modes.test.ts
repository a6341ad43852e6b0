import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { confiBin } from '../helpers/cli.js'

// docs/security.md, "Files on disk": 0600 files and a 0700 data directory whatever the umask.
// SQLite only: a PostgreSQL database's files belong to the server.

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'confi-modes-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function confi(args: string[]): { status: number | null; stderr: string } {
  // A permissive umask, as a careless cron environment may have.
  const env: NodeJS.ProcessEnv = { ...process.env, CONFI_DB: join(dir, 'confi.db'), NO_COLOR: '1' }
  delete env.DATABASE_URL
  const result = spawnSync('sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, confiBin, ...args], {
    env,
    cwd: dir,
    encoding: 'utf8',
  })
  return { status: result.status, stderr: result.stderr }
}

const mode = (path: string) => statSync(path).mode & 0o777

describe('file modes', () => {
  it('creates the database, WAL, SHM, backups and exports 0600 and the data directory 0700', () => {
    expect(confi(['init']).status).toBe(0)
    expect(confi(['clients', 'add', '--name', 'Padaria Ltda', '--tax-id', '11222333000181']).status).toBe(0)
    expect(mode(join(dir, 'confi.db'))).toBe(0o600)
    expect(mode(join(dir, 'confi-data'))).toBe(0o700)
    expect(mode(join(dir, 'confi-data', 'secret.key'))).toBe(0o600)
    expect(confi(['backup', join(dir, 'copia.db')]).status).toBe(0)
    expect(mode(join(dir, 'copia.db'))).toBe(0o600)
    expect(confi(['docs', 'log', '--format', 'csv', '--output', join(dir, 'acessos.csv')]).status).toBe(0)
    expect(mode(join(dir, 'acessos.csv'))).toBe(0o600)
  })

  it('narrows a database created before, WAL and SHM included, when it is opened', async () => {
    expect(confi(['init']).status).toBe(0)
    const { chmodSync, existsSync } = await import('node:fs')
    chmodSync(join(dir, 'confi.db'), 0o644)
    expect(confi(['clients', 'list']).status).toBe(0)
    expect(mode(join(dir, 'confi.db'))).toBe(0o600)
    for (const extra of ['-wal', '-shm']) {
      const path = join(dir, `confi.db${extra}`)
      if (existsSync(path)) expect(mode(path)).toBe(0o600)
    }
  })
})
