import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runConfi } from '../helpers/cli.js'

// docs/security.md, "Files on disk": 0600 files and a 0700 data directory whatever the umask.
// SQLite only: a PostgreSQL database's files belong to the server.

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'confi-modes-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

// A permissive umask, as a careless cron environment may have.
const confi = (args: string[]) => runConfi(args, { env: { CONFI_DB: join(dir, 'confi.db') }, cwd: dir, umask: 0o000 })

const mode = (path: string) => statSync(path).mode & 0o777

describe('file modes', () => {
  it('creates the database, WAL, SHM, backups and exports 0600 and the data directory 0700', async () => {
    expect((await confi(['init'])).code).toBe(0)
    expect((await confi(['clients', 'add', '--name', 'Padaria Ltda', '--tax-id', '11222333000181'])).code).toBe(0)
    expect(mode(join(dir, 'confi.db'))).toBe(0o600)
    expect(mode(join(dir, 'confi-data'))).toBe(0o700)
    expect(mode(join(dir, 'confi-data', 'secret.key'))).toBe(0o600)
    expect((await confi(['backup', join(dir, 'copia.db')])).code).toBe(0)
    expect(mode(join(dir, 'copia.db'))).toBe(0o600)
    expect((await confi(['docs', 'log', '--format', 'csv', '--output', join(dir, 'acessos.csv')])).code).toBe(0)
    expect(mode(join(dir, 'acessos.csv'))).toBe(0o600)
  })

  it('writes receipts 0600: they carry names, IP addresses and browsers', async () => {
    expect((await confi(['init'])).code).toBe(0)
    expect((await confi(['clients', 'add', '--name', 'Padaria Ltda', '--tax-id', '11222333000181'])).code).toBe(0)
    const { writeFileSync } = await import('node:fs')
    writeFileSync(join(dir, 'das.pdf'), '%PDF-1.4\n%%EOF\n')
    const added = await confi(['docs', 'add', '--client', '11222333000181', '--title', 'DAS', '--category', 'fiscal', join(dir, 'das.pdf')])
    expect(added.code).toBe(0)
    expect((await confi(['docs', 'receipt', '1'])).code).toBe(0)
    expect(mode(join(dir, 'comprovante-1.pdf'))).toBe(0o600)
    expect((await confi(['docs', 'receipt', '1', '--output', join(dir, 'outro.pdf')])).code).toBe(0)
    expect(mode(join(dir, 'outro.pdf'))).toBe(0o600)
  })

  it('narrows a database created before, WAL and SHM included, when it is opened', async () => {
    expect((await confi(['init'])).code).toBe(0)
    const { chmodSync, existsSync } = await import('node:fs')
    chmodSync(join(dir, 'confi.db'), 0o644)
    expect((await confi(['clients', 'list'])).code).toBe(0)
    expect(mode(join(dir, 'confi.db'))).toBe(0o600)
    for (const extra of ['-wal', '-shm']) {
      const path = join(dir, `confi.db${extra}`)
      if (existsSync(path)) expect(mode(path)).toBe(0o600)
    }
  })
})
