import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { refusalMessage } from '../../src/cli/errors.js'
import { ConfiError, ValidationError } from '../../src/core/errors.js'
import { resolveConfig } from '../../src/core/config/app-config.js'
import { openDatabase } from '../../src/core/db/database.js'
import { runCli } from '../helpers/cli.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'confi-errors-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const confi = (args: string[], env: Record<string, string>) => runCli(args, { env, cwd: dir })

describe('core names no CLI flags; the CLI adds the one that set the input (docs/decisions.md)', () => {
  it('core says what is wrong about the database without naming --db', async () => {
    const error = await openDatabase({ kind: 'sqlite', path: join(dir, 'missing.db') }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConfiError)
    expect((error as ConfiError).message).not.toMatch(/--/)
    const url = () => resolveConfig({ env: { DATABASE_URL: 'mysql://x' }, cwd: dir })
    expect(url).toThrow(ValidationError)
    expect(url).not.toThrow(/--/)
  })

  it('the CLI prints the refusal with the flag that fixes it, on one line, exit 1', async () => {
    const missing = join(dir, 'missing.db')
    const result = await confi(['clients', 'list'], { CONFI_DB: missing })
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      `confi: no confi database at ${missing}: run 'confi init' first, or point to the right file (set by --db or CONFI_DB)\n`,
    )
  })

  it('names a file that is not a database instead of an unexpected error, and leaves it as it was', async () => {
    const notDb = join(dir, 'notes.db')
    writeFileSync(notDb, 'SQLite format 3 but not really: a half-copied backup\n')
    for (const args of [['clients', 'list'], ['init', '--firm-name', 'X', '--base-url', 'http://localhost:3000']]) {
      const result = await confi(args, { CONFI_DB: notDb })
      expect(result.code).toBe(1)
      expect(result.stderr).toBe(
        `confi: the file ${notDb} is not a SQLite database, or is damaged: point to confi's database file (set by --db or CONFI_DB)\n`,
      )
    }
    expect(readFileSync(notDb, 'utf8')).toBe('SQLite format 3 but not really: a half-copied backup\n')
  })

  it('leaves a refusal without a remedy as core wrote it', () => {
    expect(refusalMessage(new ConfiError('delivery 3 was already revoked'))).toBe('delivery 3 was already revoked')
    expect(refusalMessage(new ConfiError('the state file x is corrupt', { remedy: 'state_file' }))).toBe(
      'the state file x is corrupt (set by --state)',
    )
  })
})
