import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

const script = join(import.meta.dirname, '../../scripts/check-docs.mjs')
const trees: string[] = []

afterEach(() => {
  for (const tree of trees.splice(0)) rmSync(tree, { recursive: true, force: true })
})

function check(root?: string) {
  const run = spawnSync(process.execPath, root ? [script, root] : [script], { encoding: 'utf8' })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'confi-docs-'))
  trees.push(root)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

const cruiser = "const CORE_LAYERS = ['db', 'documents']\nmodule.exports = {}\n"
const files = {
  '.dependency-cruiser.cjs': cruiser,
  'src/core/db/database.ts': '',
  'src/core/documents/documents.ts': '',
  'src/core/documents/media-type.ts': '',
  'test/core/documents.test.ts': '',
  'schema.sql': '',
  'README.md': 'Run `scripts/with-postgres.sh npm test` — see `src/core/db/database.ts`.\n',
}

describe('the docs check (scripts/check-docs.mjs)', () => {
  it('passes on the repository itself', () => {
    const run = check()
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
  })

  it('passes a tree whose documents name only what exists', () => {
    const root = tree({
      ...files,
      'scripts/with-postgres.sh': '',
      'docs/rules.md':
        'The core folders, lowest first: `db`, `documents`.\n' +
        'Modules: `src/core/documents/documents.ts`, `media-type.ts`, `schema.sql`. ' +
        'Test: `test/core/documents.test.ts`. Pages: `src/core/db/*.ts`.\n',
    })
    const run = check(root)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
  })

  it('names every path that does not exist and a layer list that differs', () => {
    const root = tree({
      ...files,
      'docs/rules.md':
        'The core folders, lowest first: `documents`, `db`.\n' +
        'Module: `src/core/documents/deliveries.ts`, `amount.ts`. Test: `test/core/gone.test.ts`.\n',
    })
    const run = check(root)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('docs/rules.md:2 names src/core/documents/deliveries.ts, which does not exist')
    expect(run.stderr).toContain('docs/rules.md:2 names amount.ts, not found in src/core/documents/ or above')
    expect(run.stderr).toContain('docs/rules.md:2 names test/core/gone.test.ts, which does not exist')
    expect(run.stderr).toContain('README.md:1 names scripts/with-postgres.sh, which does not exist')
    expect(run.stderr).toContain('lists the core folders documents, db; .dependency-cruiser.cjs enforces db, documents')
  })

  it('refuses a rules document without the layer sentence', () => {
    const root = tree({ ...files, 'scripts/with-postgres.sh': '', 'docs/rules.md': 'Nothing here.\n' })
    const run = check(root)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('has no sentence "The core folders, lowest first')
  })
})
