import { spawn } from 'node:child_process'
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { recordAccess } from '../../src/core/access-log/chain/append.js'
import { CSV_COLUMNS } from '../../src/core/access-log/export/columns.js'
import { confiBin, runCli, runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeClient, makeDocument } from '../helpers/factories.js'

// What a cron job meets when its output goes wrong: a full disk, a killed first run.

// Files whose writes fail as on a full disk: the test names them, node:fs answers ENOSPC.
const full = vi.hoisted(() => ({ names: [] as string[], fds: new Set<number>() }))
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  const openSync = ((path: string, ...rest: unknown[]) => {
    const fd = (fs.openSync as (...args: unknown[]) => number)(path, ...rest)
    if (full.names.some((name) => String(path).includes(name))) full.fds.add(fd)
    return fd
  }) as typeof fs.openSync
  const writeSync = ((fd: number, ...rest: unknown[]) => {
    if (full.fds.has(fd)) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
    return (fs.writeSync as (...args: unknown[]) => number)(fd, ...rest)
  }) as typeof fs.writeSync
  return { ...fs, default: { ...fs, openSync, writeSync }, openSync, writeSync }
})

const t = useTestDatabase({ firm: true })
beforeEach(async () => {
  full.names = []
  full.fds.clear()
  const client = await makeClient(t.db, t.key, { name: 'Padaria Pão Quente Ltda' })
  const doc = await makeDocument(t, client.id, { title: 'DAS 10/2026' })
  for (let i = 0; i < 3; i++) {
    await recordAccess(t.db, { documentId: doc.id, clientId: client.id, channel: 'link', action: 'view', ip: '203.0.113.9' })
  }
})

/** `confi ARGS >> out`, with stdout the file opened for appending, as cron's shell does it. */
async function appendTo(out: string, args: string[]): Promise<{ code: number; stderr: string }> {
  const fd = openSync(out, 'a')
  try {
    return await new Promise((resolve) => {
      const child = spawn(process.execPath, [confiBin, ...args], { env: { ...process.env, ...t.env }, stdio: ['ignore', fd, 'pipe'] })
      let stderr = ''
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d))
      child.on('close', (code) => resolve({ code: code ?? -1, stderr }))
    })
  } finally {
    closeSync(fd)
  }
}

describe('docs log --state --format csv >> file', () => {
  const header = CSV_COLUMNS.join(',')

  it('keeps the header when the first run was killed half way', async () => {
    const out = join(t.dir, 'acessos.csv')
    const statePath = join(t.dir, 'export.state')
    // What a first run killed after its first row leaves: its pending record (the output started
    // empty) and the header with part of the rows.
    writeFileSync(out, `${header}\r\n1,2026-`)
    const fd = openSync(out, 'r')
    const s = fstatSync(fd, { bigint: true })
    closeSync(fd)
    const pending = { kind: 'append', dev: String(s.dev), ino: String(s.ino), offset: 0 }
    writeFileSync(statePath, JSON.stringify({ version: 1, last_id: 0, last_hash: null, pending }))
    const args = ['docs', 'log', '--format', 'csv', '--state', statePath]
    const resumed = await appendTo(out, args)
    expect(resumed.code, resumed.stderr).toBe(0)
    const lines = readFileSync(out, 'utf8').split('\r\n').filter(Boolean)
    expect(lines[0]).toBe(header)
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([1, 2, 3, 4])
    // A later run appends its rows under the same header, without another.
    const doc = await t.db.selectFrom('documents').select(['id', 'client_id']).executeTakeFirstOrThrow()
    await recordAccess(t.db, { documentId: doc.id, clientId: doc.client_id, channel: 'link', action: 'download' })
    expect((await appendTo(out, args)).code).toBe(0)
    const again = readFileSync(out, 'utf8').split('\r\n').filter(Boolean)
    expect(again.filter((l) => l === header)).toHaveLength(1)
    expect(again.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([1, 2, 3, 4, 5])
  })
})

describe('a full disk', () => {
  it('under `> file` is one `confi:` line and status 1, no stack trace', async () => {
    for (const args of [['clients', 'list'], ['clients', 'list', '--json'], ['docs', 'log', '--format', 'csv']]) {
      const result = await runConfi(args, { env: t.env, cwd: t.dir, stdoutFile: '/dev/full' })
      expect([args, result.code, result.stderr]).toEqual([
        args,
        1,
        'confi: cannot write the standard output (no space left on the device): free space there or redirect it elsewhere\n',
      ])
    }
  })

  it('under --output is a refusal naming the file and --output, and leaves nothing behind', async () => {
    full.names = ['acessos.csv']
    const result = await runCli(['docs', 'log', '--format', 'csv', '--output', 'acessos.csv'], { env: t.env, cwd: t.dir })
    expect([result.code, result.stdout]).toEqual([1, ''])
    expect(result.stderr).toBe(
      `confi: cannot write the output file ${join(t.dir, 'acessos.csv')} (no space left on the device): free space there or choose another path (set by --output)\n`,
    )
    expect(existsSync(join(t.dir, 'acessos.csv'))).toBe(false)
    expect(readdirSync(t.dir).filter((name) => name.includes('acessos'))).toEqual([])
  })
})

