// The query plans behind the scale bench's figures (issue 13 target 4): runs the core functions
// the measured pages and commands call, on a Kysely handle that records every statement, then
// asks the database how it runs each one (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN
// ANALYZE). Statements repeated per document (the reminders plan) are shown once with their count.
import BetterSqlite3 from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { CATEGORIES } from '../dist/core/categories.js'
import { getDocument, listDocuments } from '../dist/core/documents/documents.js'
import { listDueSoon } from '../dist/core/documents/due-soon.js'
import { openedBy } from '../dist/core/access-log/reads/opened.js'
import { newSinceLastVisit } from '../dist/core/documents/unopened.js'
import { listDocumentAccesses } from '../dist/core/documents/accesses.js'
import { arrivalsOf } from '../dist/core/documents/arrivals.js'
import { clientNames } from '../dist/core/clients/clients.js'
import { getUser, listUsers } from '../dist/core/identity/users.js'
import { scopeOfFreshUser } from '../dist/core/identity/visibility.js'
import { listPending } from '../dist/core/delivery/follow-up.js'
import { planReminders } from '../dist/core/mail/reminders.js'

function recordingDb(target, statements) {
  const log = (event) => {
    if (event.level !== 'query') return
    const { sql, parameters } = event.query
    const seen = statements.current.get(sql)
    if (seen) {
      seen.count += 1
      seen.ms += event.queryDurationMillis
    } else statements.current.set(sql, { sql, parameters: [...parameters], count: 1, ms: event.queryDurationMillis })
  }
  if (target.kind === 'sqlite') {
    const raw = new BetterSqlite3(target.path, { readonly: true })
    return { db: new Kysely({ dialect: new SqliteDialect({ database: raw }), log }), raw }
  }
  const pool = new pg.Pool({ connectionString: target.url, max: 1 })
  return { db: new Kysely({ dialect: new PostgresDialect({ pool }), log }), pool }
}

function sqlitePlan(raw, sql, parameters) {
  const rows = raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters)
  const depth = new Map([[0, -1]])
  return rows
    .map((r) => {
      const d = (depth.get(r.parent) ?? -1) + 1
      depth.set(r.id, d)
      return `${'  '.repeat(d)}${r.detail}`
    })
    .join('\n')
}

async function postgresPlan(pool, sql, parameters) {
  const { rows } = await pool.query(`EXPLAIN (ANALYZE, COSTS false) ${sql}`, parameters)
  return rows.map((r) => r['QUERY PLAN']).join('\n')
}

// Long IN lists (50 companies, 25 documents) shortened to their count, so a plan fits a screen.
function compact(text) {
  return text
    .replace(/\s+\n/g, '\n')
    .replace(/\((\?|\$\d+)(, (\?|\$\d+)){3,}\)/g, (list) => `(${list.split(',').length} parameters)`)
    .replace(/'\{[^}]{40,}\}'/g, (list) => `'{${list.split(',').length} values}'`)
}

/** `{ group, sql, count, ms, plan }` for every statement the measured work runs. */
export async function queryPlans(target, { userId, clientIds, cursor }) {
  const statements = { current: new Map() }
  const { db, raw, pool } = recordingDb(target, statements)
  const groups = []
  const step = async (label, work) => {
    statements.current = new Map()
    await work()
    groups.push({ label, statements: statements.current })
  }
  try {
    const user = await getUser(db, userId)
    const scope = await scopeOfFreshUser(db, user)
    const all = { clientIds, categories: [...CATEGORIES] }
    await step('documents page', async () => {
      const page = await listDocuments(db, { ...all, limit: 25 })
      await Promise.all([clientNames(db, scope.clientIds), listDueSoon(db, scope), openedBy(db, user, page.items.map((d) => d.id)), newSinceLastVisit(db, user, scope)])
    })
    await step('"A vencer" list by due date', () => listDocuments(db, { ...all, sort: 'due', limit: 25 }))
    if (cursor) await step('page 200', () => listDocuments(db, { ...all, after: cursor, limit: 25 }))
    await step('document page', async () => {
      const [first] = (await listDocuments(db, { clientIds: [clientIds[1] ?? clientIds[0]], limit: 1 })).items
      const document = await getDocument(db, first.id)
      await listDocumentAccesses(db, user, document)
    })
    await step('users page', async () => {
      const users = await listUsers(db, { clientId: user.clientId })
      await arrivalsOf(db, users.map((u) => u.id))
    })
    await step('docs list --client', () => listDocuments(db, { clientIds: [clientIds[0]], limit: 50 }))
    await step('docs pending --due-within 3d', () => listPending(db, { withinDays: 3 }))
    await step('reminders run --dry-run', () => planReminders(db))
    const plans = []
    for (const group of groups) {
      for (const s of group.statements.values()) {
        if (/^(begin|commit|rollback)/i.test(s.sql)) continue
        const plan = raw ? sqlitePlan(raw, s.sql, s.parameters) : await postgresPlan(pool, s.sql, s.parameters)
        plans.push({ group: group.label, sql: compact(s.sql), ms: s.ms, count: s.count, plan: compact(plan) })
      }
    }
    return plans
  } finally {
    await db.destroy()
  }
}
