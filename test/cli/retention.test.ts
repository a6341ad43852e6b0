// Issue 21 part 3 at the terminal: `firm set --retention`, `retention show|run`, `docs hold|release`,
// and what `docs show|status|list` say of an expired document.
import { readdirSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/cli.js'
import { useTestDatabase } from '../helpers/db.js'
import { makeClient, makeDocument } from '../helpers/factories.js'

const t = useTestDatabase({ firm: true })
const confi = (args: string[]) => runCli(args, { env: t.env, cwd: t.dir })

function ageStore(): void {
  const dir = join(t.config.dataDir, 'files')
  const old = new Date('2020-01-01T00:00:00Z')
  for (const prefix of readdirSync(dir).filter((n) => /^[0-9a-f]{2}$/.test(n))) {
    for (const name of readdirSync(join(dir, prefix))) utimesSync(join(dir, prefix, name), old, old)
  }
}

describe('confi retention', () => {
  it('sets, shows and refuses policies with exit 1 and a fix', async () => {
    const set = await confi(['firm', 'set', '--retention', 'fiscal=6y,pessoal=10y,contabil=10y,societario=forever,outros=5y', '--log-retention', '1y'])
    expect(set.code).toBe(0)
    expect(set.stdout).toMatch(/Retention +fiscal=6y,pessoal=10y,contabil=10y,societario=forever,outros=5y\n/)
    expect(set.stdout).toMatch(/Log retention +1y\n/)
    const bad = await confi(['firm', 'set', '--log-retention', '3m'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^confi: log retention 3m is too short: the Marco Civil da Internet \(Lei 12.965\/2014, art. 15\) requires keeping access records at least 6 months; use 6m or more\n/)
    const twice = await confi(['firm', 'set', '--retention', 'fiscal=5y,fiscal=5y'])
    expect(twice.code).toBe(1)
    expect(twice.stderr).toMatch(/^confi: retention names fiscal twice/)
    const shown = await confi(['retention', 'show'])
    expect(shown.stdout).toMatch(/^fiscal: 6y\n  CTN/)
    expect(shown.stdout).toMatch(/societario: kept forever/)
    expect(shown.stdout).toMatch(/access-log personal fields: 1y\n  Marco Civil/)
    const json = JSON.parse((await confi(['retention', 'show', '--json'])).stdout)
    expect(json.log.months).toBe(12)
  })

  it('holds, runs (dry, real, again) and answers for an expired document', async () => {
    const client = await makeClient(t.db, t.key, { name: 'Padaria Ltda' })
    const old = await makeDocument(t, client.id, { title: 'DAS 03/2015', competence: '2015-03' })
    const held = await makeDocument(t, client.id, { title: 'DARF 2015', competence: '2015-04' })
    const live = await makeDocument(t, client.id, { title: 'DAS atual', competence: '2026-03' })
    ageStore()
    const hold = await confi(['docs', 'hold', String(held.id), '--reason', 'Fiscalização 2026'])
    expect(hold.stdout).toBe(`document ${held.id} held: Fiscalização 2026 (release with: confi docs release ${held.id})\n`)
    expect((await confi(['docs', 'hold', String(held.id), '--reason', 'de novo'])).stderr).toMatch(/^confi: document \d+ is already held/)
    expect((await confi(['docs', 'status', String(held.id)])).stdout).toMatch(/legal hold since .* Fiscalização 2026 \(retention keeps it; confi docs release \d+\)/)
    const dry = JSON.parse((await confi(['retention', 'run', '--dry-run', '--json'])).stdout)
    expect(dry).toMatchObject({ dryRun: true, expired: 1, keptHeld: 1, log: { rows: 0, format1Rows: 0 } })
    const run = await confi(['retention', 'run'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(new RegExp(`^expired 1 document .*\\n  document ${old.id}: DAS 03/2015 \\(fiscal 5y from 2016-01-01\\)\\nfiles: 1 deleted`))
    expect(run.stdout).toMatch(/kept under legal hold: 1 document/)
    const again = JSON.parse((await confi(['retention', 'run', '--json'])).stdout)
    expect(again).toMatchObject({ expired: 0, files: { deleted: 0 } })
    const show = await confi(['docs', 'show', String(old.id)])
    expect(show.code).toBe(1)
    expect(show.stderr).toMatch(new RegExp(`^confi: document ${old.id} was removed by the retention policy on \\d{4}-\\d\\d-\\d\\d \\(retention: fiscal 5y counted from 2016-01-01\\)`))
    expect((await confi(['docs', 'status', String(old.id)])).stderr).toMatch(/was removed by the retention policy/)
    const list = JSON.parse((await confi(['docs', 'list', '--json'])).stdout)
    const ids = (Array.isArray(list) ? list : list.items).map((d: { id: number }) => d.id)
    expect(ids.sort()).toEqual([held.id, live.id].sort())
    const verify = await confi(['docs', 'verify'])
    expect(verify.code).toBe(0)
    expect((await confi(['docs', 'release', String(held.id)])).stdout).toMatch(/^document \d+ released/)
  })
})
