import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

// The guard of `npm run lint:deps` that keeps the access log's tables its own
// (docs/rules.md#access-log-integrity): run on a made-up tree, it names each file:line that
// queries them from outside src/core/access-log/, and nothing else.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const script = join(root, 'scripts', 'check-table-owners.mjs')

let tree: string | undefined
afterEach(() => {
  if (tree) rmSync(tree, { recursive: true, force: true })
  tree = undefined
})

function makeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'confi-owners-'))
  tree = dir
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
  }
  return dir
}

function check(dir: string) {
  const run = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' })
  return { status: run.status, stderr: run.stderr }
}

// What the owner, the table types and plain words may say without a complaint.
const allowed = {
  'src/core/access-log/reads/opened.ts': "db.selectFrom('access_log').select('access_log.id')\nsql`select * from checkpoints`\n",
  'src/core/db/tables.ts': 'export interface Database {\n  access_log: AccessLogTable\n  checkpoints: CheckpointsTable\n}\n',
  'src/cli/commands/serve.ts': [
    '// reads from access_log through core (a comment may name it)',
    'const checkpoints = startCheckpoints(db)',
    "note(`no signing key: checkpoints are off until 'confi init' creates it`)",
    "const checkpoint = 'checkpoints are signed'",
    "throw new Error('the access_log_tree of a row')",
  ].join('\n'),
}

describe('scripts/check-table-owners.mjs', () => {
  it('passes on this repository', () => {
    expect(check(root)).toEqual({ status: 0, stderr: '' })
  })

  it('passes on a tree where only the access log names its tables', () => {
    expect(check(makeTree(allowed))).toEqual({ status: 0, stderr: '' })
  })

  it('fails naming file:line for each query of the tables from outside the access log', () => {
    const result = check(
      makeTree({
        ...allowed,
        'src/core/documents/unopened.ts': "import x from 'y'\n\nconst rows = await db.selectFrom('access_log').selectAll().execute()\n",
        'src/core/proof/checkpoints.ts': "await trx.insertInto(\"checkpoints\").values(v)\nconst head = eb.ref('access_log_tree_head.size')\n",
        'src/core/mail/reminders.ts': "const text = `select id from access_log_tree where level = 4`\nwhere(({ selectFrom }) => selectFrom('access_log as first'))\n",
      }),
    )
    expect(result.status).toBe(1)
    expect(result.stderr.split('\n').filter((line) => line.includes(': names the table')).sort()).toEqual([
      expect.stringMatching(/^src\/core\/documents\/unopened\.ts:3: names the table access_log;/),
      expect.stringMatching(/^src\/core\/mail\/reminders\.ts:1: names the table access_log_tree;/),
      expect.stringMatching(/^src\/core\/mail\/reminders\.ts:2: names the table access_log;/),
      expect.stringMatching(/^src\/core\/proof\/checkpoints\.ts:1: names the table checkpoints;/),
      expect.stringMatching(/^src\/core\/proof\/checkpoints\.ts:2: names the table access_log_tree_head;/),
    ])
    expect(result.stderr).toContain('check-table-owners: 5 references to access-log tables outside src/core/access-log/')
  })
})
