import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import { progressLine } from '../../src/cli/progress.js'
import { fillAccessLog } from '../helpers/access-log.js'
import { runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeClient, makeDocument } from '../helpers/factories.js'

const backend = process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'
const ROWS = 12_000
const CLEAR = '\r\x1b[K'

function terminal(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY, text: '' })
  stream.on('data', (d: Buffer) => (stream.text += d.toString()))
  return stream
}

describe('the progress line', () => {
  it('draws the first and the last count, at most one between per interval, and clears itself', () => {
    let now = 0
    const stream = terminal(true)
    const progress = progressLine(stream, { unit: 'rows', label: 'verifying: ', now: () => now })!
    now = 1000
    progress.update(1000, 4000)
    now = 1050
    progress.update(2000, 4000)
    now = 1500
    progress.update(3000, 4000)
    now = 1510
    progress.update(4000, 4000)
    progress.done()
    expect(stream.text.split(CLEAR)).toEqual([
      '',
      'verifying: 1,000/4,000 rows · 1,000 rows/s · 3 s left',
      'verifying: 3,000/4,000 rows · 2,000 rows/s · 1 s left',
      'verifying: 4,000/4,000 rows · 2,649 rows/s · 0 s left',
      '',
    ])
  })

  it('counts one thing and rates another, and names a step without a count', () => {
    let now = 0
    const stream = terminal(true)
    const progress = progressLine(stream, { unit: 'files', rateUnit: 'pages', now: () => now })!
    progress.phase('copying the database')
    now = 4000
    progress.update(1, 200, 10)
    expect(stream.text).toBe(`${CLEAR}copying the database…${CLEAR}copying the database: 1/200 files · 2.5 pages/s · 13 min left`)
  })

  it('is not drawn at all when the stream is not a terminal', () => {
    expect(progressLine(terminal(false), { unit: 'rows' })).toBeNull()
  })
})

const count = ROWS.toLocaleString('en')
const drawn = (label: string) => new RegExp(`\\r\\x1b\\[K${label}: ${count}/${count} rows · [\\d.,]+ rows/s · \\d+ s left`)

describe(`progress of long commands on ${backend}`, { timeout: 180_000 }, () => {
  const t = useTestDatabase({ firm: true, shared: true })
  /** Runs confi at a terminal: what the terminal showed, and the exit code. */
  const underTerminal = async (args: string[], options: { stdoutFile?: string } = {}) => {
    const { code, stdout } = await runConfi(args, { env: t.env, cwd: t.dir, terminal: true, ...options })
    return { code, screen: stdout }
  }
  beforeAll(async () => {
    const client = await makeClient(t.db, t.key)
    const doc = await makeDocument(t, client.id)
    // Filing the document wrote its document.published row: ROWS rows in all.
    await fillAccessLog(t, ROWS - 1, { documentId: doc.id, clientId: client.id })
  })

  it('docs verify: a line on a terminal; none through a pipe or with --json', async () => {
    const tty = await underTerminal(['docs', 'verify'])
    expect(tty.code, tty.screen).toBe(0)
    expect(tty.screen).toMatch(drawn('verifying'))
    expect(tty.screen).toContain(`access log intact: ${ROWS} rows`)
    const json = await underTerminal(['docs', 'verify', '--json'])
    expect(json.code, json.screen).toBe(0)
    expect(json.screen).not.toContain('rows/s')
    const piped = await runConfi(['docs', 'verify'], { env: t.env, cwd: t.dir })
    expect(piped.code, piped.stderr).toBe(0)
    expect(piped.stderr).not.toContain('rows/s')
    expect(piped.stderr).not.toContain('\r')
  })

  it('docs log: a line when the rows go to a file; none when they go to the terminal or through a pipe', async () => {
    const tty = await underTerminal(['docs', 'log', '--format', 'csv', '--output', 'log.csv'])
    expect(tty.code, tty.screen).toBe(0)
    expect(tty.screen).toMatch(drawn('exporting'))
    expect(readFileSync(join(t.dir, 'log.csv'), 'utf8').trimEnd().split('\r\n')).toHaveLength(ROWS + 1)
    const redirected = await underTerminal(['docs', 'log', '--format', 'ndjson'], { stdoutFile: 'log.ndjson' })
    expect(redirected.screen).toMatch(drawn('exporting'))
    expect(readFileSync(join(t.dir, 'log.ndjson'), 'utf8').trimEnd().split('\n')).toHaveLength(ROWS)
    const toTerminal = await underTerminal(['docs', 'log', '--format', 'ndjson', '--after-id', '11990'])
    expect(toTerminal.code, toTerminal.screen).toBe(0)
    expect(toTerminal.screen).not.toContain('rows/s')
    const piped = await runConfi(['docs', 'log', '--format', 'csv', '--output', 'piped.csv'], { env: t.env, cwd: t.dir })
    expect(piped.code, piped.stderr).toBe(0)
    expect(piped.stderr).toBe(`exported ${ROWS} rows to ${join(t.dir, 'piped.csv')}\n`)
  })

  it.runIf(backend === 'SQLite')('backup: its steps and the rows verified on a terminal; none through a pipe', async () => {
    const tty = await underTerminal(['backup', 'copy.db'])
    expect(tty.code, tty.screen).toBe(0)
    expect(tty.screen).toContain(`${CLEAR}copying the database…`)
    expect(tty.screen).toContain(`${CLEAR}checking the copy…`)
    expect(tty.screen).toMatch(drawn('verifying the copy'))
    expect(tty.screen).toContain('backup written to')
    const piped = await runConfi(['backup', 'piped.db'], { env: t.env, cwd: t.dir })
    expect(piped.code, piped.stderr).toBe(0)
    expect(piped.stderr).toBe('')
  })
})
