// What one file may cost to read (src/core/import/limits.ts): a compression bomb, too many pages
// and too much time are queued with the reason, and memory stays bounded while it happens.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { deflateSync } from 'node:zlib'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { importFiles } from '../../src/core/import/file.js'
import { measureDecodedBytes } from '../../src/core/import/limits.js'
import { listQueue } from '../../src/core/import/queue.js'
import { runConfi } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { ACCOUNTANT, makeClient, storeOf } from '../helpers/factories.js'
import { compressionBomb, realGuidePdf, type RealGuide } from '../helpers/real-guides.js'

const A = '11.222.333/0001-81'
const guide: RealGuide = { cnpj: A, name: 'ALFA LTDA', competence: '10/2026', due: '20/11/2026', amount: '1.234,56' }
const MB = 1024 * 1024

let bomb: Buffer
beforeAll(async () => {
  bomb = await compressionBomb(300)
}, 60_000)

describe('measuring decoded bytes', () => {
  it('counts every stream through its filters and stops at the cap', async () => {
    expect(bomb.length).toBeLessThan(400 * 1024)
    expect(measureDecodedBytes(bomb, 50 * MB)).toBeNull()
    expect(measureDecodedBytes(bomb, 400 * MB)).toBe(300 * MB)
    const pdf = await realGuidePdf([{ kind: 'das', guide }])
    expect(measureDecodedBytes(pdf, 50 * MB)).toBeGreaterThan(1000)
  })

  it('follows ASCIIHex and ASCII85 before Flate, counts LZW at its worst, and survives a damaged stream', () => {
    const stream = (dict: string, data: Buffer | string) =>
      Buffer.concat([Buffer.from(`1 0 obj\n<< ${dict} /DecodeParms << /Columns 4 >> >>\nstream\n`), Buffer.from(data), Buffer.from('\nendstream\nendobj\n')])
    const hex = deflateSync(Buffer.alloc(MB, 0x20)).toString('hex')
    expect(measureDecodedBytes(stream('/Filter [/AHx /FlateDecode]', `${hex}>`), 50 * MB)).toBe(MB)
    expect(measureDecodedBytes(stream('/Filter [/AHx /FlateDecode]', `${hex}>`), MB / 2)).toBeNull()
    expect(measureDecodedBytes(stream('/Filter /ASCII85Decode', '87cURD_*#4DfTZ)+T~>'), MB)).toBe(13)
    expect(measureDecodedBytes(stream('/Filter /LZWDecode', Buffer.alloc(1024)), MB)).toBeNull()
    expect(measureDecodedBytes(stream('/Filter /FlateDecode', 'not zlib at all'), MB)).toBe(0)
  })
})

describe('importing what is over a limit', () => {
  const t = useTestDatabase({ firm: true })
  let dir: string
  beforeEach(async () => {
    await makeClient(t.db, t.key, { taxId: A, name: 'Alfa Ltda' })
    dir = join(t.dir, 'guias')
    mkdirSync(dir, { recursive: true })
  })
  const run = (options = {}) => importFiles(t.db, storeOf(t), ACCOUNTANT, [dir], options)

  it('queues a compression bomb with the reason and files the guide beside it', async () => {
    writeFileSync(join(dir, 'bomba.pdf'), bomb)
    writeFileSync(join(dir, 'das.pdf'), await realGuidePdf([{ kind: 'das', guide }]))
    const report = await run()
    expect(report.rows.map((r) => [r.file.slice(dir.length + 1), r.outcome, r.reason])).toEqual([
      ['bomba.pdf', 'queued', 'over a limit: its content decodes to more than 50 MB, the limit per file'],
      ['das.pdf', 'added', null],
    ])
    expect((await listQueue(t.db)).map((q) => [q.fileName, q.pages, q.reason])).toEqual([
      ['bomba.pdf', 'all', 'over a limit: its content decodes to more than 50 MB, the limit per file'],
    ])
  })

  it('queues a file over the page or the time limit', async () => {
    writeFileSync(join(dir, 'longo.pdf'), await realGuidePdf(Array.from({ length: 4 }, () => ({ kind: 'das' as const, guide }))))
    const pages = await run({ limits: { maxPages: 3 } })
    expect(pages.rows.map((r) => [r.outcome, r.reason])).toEqual([['queued', 'over a limit: it has 4 pages, over the limit of 3 per file']])
    const slow = await run({ limits: { maxMilliseconds: 1 }, dryRun: true })
    expect(slow.rows.map((r) => [r.outcome, r.reason])).toEqual([['queued', 'over a limit: reading it took longer than 0.001 s, the limit per file']])
    // Within the limits the same file is read and filed.
    expect((await run()).rows.map((r) => r.outcome)).toEqual(['added'])
  })
})

describe('memory while importing a compression bomb (a separate process)', () => {
  const t = useTestDatabase({ firm: true })
  // Each run writes its peak resident set size (KB) when it exits.
  const peakRss = async (file: string): Promise<{ kb: number; report: { rows: { outcome: string; reason: string | null }[] } }> => {
    const probe = join(t.dir, 'peak-rss.mjs')
    const out = join(t.dir, 'peak-rss.txt')
    writeFileSync(probe, `import { writeFileSync } from 'node:fs'\nprocess.on('exit', () => writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)))\n`)
    const result = await runConfi(['docs', 'import', file, '--json'], {
      env: { ...t.env, NODE_OPTIONS: `--import=${pathToFileURL(probe).href}` },
      cwd: t.dir,
    })
    expect(result.stderr).not.toMatch(/Error|heap/)
    return { kb: Number(readFileSync(out, 'utf8')), report: JSON.parse(result.stdout) }
  }

  it('stays within a bounded amount above reading an ordinary guide', async () => {
    await makeClient(t.db, t.key, { taxId: A, name: 'Alfa Ltda' })
    writeFileSync(join(t.dir, 'das.pdf'), await realGuidePdf([{ kind: 'das', guide }]))
    writeFileSync(join(t.dir, 'bomba.pdf'), bomb)
    const ordinary = await peakRss('das.pdf')
    expect(ordinary.report.rows.map((r) => r.outcome)).toEqual(['added'])
    const bombed = await peakRss('bomba.pdf')
    expect(bombed.report.rows.map((r) => [r.outcome, r.reason])).toEqual([['queued', 'over a limit: its content decodes to more than 50 MB, the limit per file']])
    // The cap is 50 MB of decoded bytes; reading the 300 MB stream whole took 753 MB before.
    expect((bombed.kb - ordinary.kb) / 1024, `peak RSS ${ordinary.kb} KB, then ${bombed.kb} KB`).toBeLessThan(120)
  }, 180_000)
})
