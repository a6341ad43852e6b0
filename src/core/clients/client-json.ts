import { isUtf8 } from 'node:buffer'
import { sql } from 'kysely'
import { backendOf, type Db } from '../db/database.js'
import { filteredClients, listClients, type Client, type ClientFilters } from './clients.js'

/** The JSON shape of a client for scripts (camelCase, normalised tax id). */
export function clientJson(client: Client) {
  return {
    id: client.id,
    name: client.name,
    taxId: client.taxId,
    email: client.email,
    requireLogin: client.requireLogin,
    groupHeadId: client.groupHeadId,
    loginLinkVersion: client.loginLinkVersion,
    createdAt: client.createdAt,
    updatedAt: client.updatedAt,
  }
}

// One client as JSON.stringify(clientJson(c), null, 2) writes it inside an array: SQLite's
// json_quote() escapes every character as JSON.stringify does (test/core/clients/client-json.test.ts
// compares them over every code point) and %d writes an integer as Number() then String() do.
const SQLITE_CLIENT = `printf('  {
    "id": %d,
    "name": %s,
    "taxId": %s,
    "email": %s,
    "requireLogin": %s,
    "groupHeadId": %s,
    "loginLinkVersion": %d,
    "createdAt": %s,
    "updatedAt": %s
  }', id, json_quote(name), json_quote(tax_id), json_quote(email), json_quote(require_login),
  json_quote(group_head_id), login_link_version, json_quote(created_at), json_quote(updated_at))`

// Rows the printf above would not write as JavaScript does: a number beyond 2^53 (Number() rounds
// it) or a value of another type than the schema's (a hand-edited file; json_quote() refuses a
// BLOB, so such a row is never formatted). Any such row sends the whole list through JavaScript.
const SAFE = 9007199254740991
const integer = (column: string, nullable = false) =>
  `(typeof(${column}) = 'integer' AND ${column} BETWEEN -${SAFE} AND ${SAFE})${nullable ? ` OR ${column} IS NULL` : ''}`
const SQLITE_PLAIN = [
  integer('id'),
  integer('login_link_version'),
  integer('group_head_id', true),
  ...['name', 'tax_id', 'require_login', 'created_at', 'updated_at'].map((c) => `typeof(${c}) = 'text'`),
  `typeof(email) = 'text' OR email IS NULL`,
]
  .map((test) => `(${test})`)
  .join(' AND ')

// Read in keyset batches whose text stays small: one statement for 10,000 clients cost a fifth
// more, in SQLite's sorter and the growing text (docs/performance.md).
const BATCH = 1000

/**
 * The clients `filters` select, all of them, as the UTF-8 bytes of
 * `JSON.stringify(clients.map(clientJson), null, 2)`, in pieces to write one after the other.
 * On SQLite the text is written by the database, a batch of rows at a time in one read
 * transaction, so no row object is made: 10,000 clients as objects took a third of
 * `confi clients list --json` (docs/performance.md). Elsewhere, or when SQLite would write a row
 * differently, in JavaScript. `db` is the database's handle, not a transaction.
 */
export async function clientListJson(db: Db, filters: Omit<ClientFilters, 'limit'> = {}): Promise<Buffer[]> {
  const written = backendOf(db) === 'sqlite' ? await sqliteClientListJson(db, filters) : null
  return written ?? [Buffer.from(JSON.stringify((await listClients(db, filters)).map(clientJson), null, 2))]
}

type Batch = { json: Buffer | null; rows: number; last: number | null; odd: number | null }

// null when a row needs JavaScript: an odd value, or text that is not UTF-8 (written by another
// program), which JavaScript reads with U+FFFD in place of each bad sequence.
async function sqliteClientListJson(db: Db, filters: Omit<ClientFilters, 'limit'>): Promise<Buffer[] | null> {
  return db.connection().execute(async (connection) => {
    // A plain BEGIN: one snapshot for all batches without the write lock a transaction takes.
    await sql`begin`.execute(connection)
    try {
      const pieces: Buffer[] = []
      for (let afterId = filters.afterId; ; ) {
        const batch = filteredClients(connection, { ...filters, afterId }).limit(BATCH)
        const { rows } = await sql<Batch>`
          select cast(group_concat(iif(${sql.raw(SQLITE_PLAIN)}, ${sql.raw(SQLITE_CLIENT)}, null), ',' || char(10)) as blob) as json,
                 count(*) as rows, max(id) as last, sum(not (${sql.raw(SQLITE_PLAIN)})) as odd
          from (${batch}) as c`.execute(connection)
        const [{ json, rows: count, last, odd }] = rows
        if (json === null) break
        if (odd || !isUtf8(json) || !idsRise(json, count)) return null
        pieces.push(pieces.length === 0 ? OPEN : SEPARATOR, json)
        if (count < BATCH) break
        afterId = last!
      }
      return pieces.length === 0 ? [EMPTY] : [...pieces, CLOSE]
    } finally {
      await sql`commit`.execute(connection)
    }
  })
}

// group_concat() takes the rows in the order the subquery yields them (by id), but SQLite
// documents that order as arbitrary unless the call has its own ORDER BY, which sorts every
// batch's text again: a sixth of the statement for 10,000 clients (docs/performance.md, "CLI
// start-up, third pass"). So the order is checked on the bytes: each object's id follows the
// template's "\n    \"id\": ", which nothing else contains (json_quote() writes a newline as \n).
const ID_MARK = Buffer.from('\n    "id": ')

/** Whether `json` (a batch as the SQL above writes it) holds `count` objects whose ids rise. */
export function idsRise(json: Buffer, count: number): boolean {
  let previous = -Infinity
  let seen = 0
  for (let at = json.indexOf(ID_MARK); at >= 0; at = json.indexOf(ID_MARK, at)) {
    at += ID_MARK.length
    // %d of a safe integer: an optional minus, then digits, then the comma.
    const negative = json[at] === 0x2d
    if (negative) at++
    let id = 0
    const start = at
    for (; json[at] >= 0x30 && json[at] <= 0x39; at++) id = id * 10 + (json[at] - 0x30)
    if (at === start || json[at] !== 0x2c) return false
    if (negative) id = -id
    if (!(id > previous)) return false
    previous = id
    seen++
  }
  return seen === count
}

const OPEN = Buffer.from('[\n')
const SEPARATOR = Buffer.from(',\n')
const CLOSE = Buffer.from('\n]')
const EMPTY = Buffer.from('[]')
