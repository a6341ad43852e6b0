import { sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { clientJson, clientListJson, idsRise } from '../../../src/core/clients/client-json.js'
import { listClients, type ClientFilters } from '../../../src/core/clients/clients.js'
import { backendOf } from '../../../src/core/db/database.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeClient } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })

/** What `--json` printed before the database wrote it: JSON.stringify of the clients. */
async function reference(filters: Omit<ClientFilters, 'limit'> = {}): Promise<Buffer> {
  return Buffer.from(JSON.stringify((await listClients(t.db, filters)).map(clientJson), null, 2))
}

async function written(filters: Omit<ClientFilters, 'limit'> = {}): Promise<Buffer> {
  return Buffer.concat(await clientListJson(t.db, filters))
}

// Every character class the checks at input refuse, as a file written before them may hold.
const HOSTILE = [
  'Aspas "duplas" e \\barra\\',
  'Tab\there\r\nCR LF\u0008\u000c',
  'C1 \u0085\u009b e DEL \u007f',
  'Bidi \u202e\u2066\u061c\u200b\ufeff',
  'Linhas \u2028\u2029',
  'Emoji 😀 e 中文 e Pão',
  // What the check of the ids' order looks for, inside a name.
  '\n    "id": 1,\n    "id": 0,',
]
// PostgreSQL refuses these in text; SQLite stores them (the surrogate as U+FFFD).
const SQLITE_ONLY = ['Pad\u0000aria', 'Surrogate \ud800 solto']

async function storeName(id: number, name: string): Promise<void> {
  await t.db.updateTable('clients').set({ name }).where('id', '=', id).execute()
}

describe('clientListJson', () => {
  it('writes the bytes JSON.stringify writes, across batches, filters and hostile names', async () => {
    const at = new Date().toISOString()
    for (let i = 0; i < 2_100; i += 300) {
      const rows = Array.from({ length: 300 }, (_, j) => ({
        name: `Empresa ${i + j}`,
        tax_id: String(10_000_000_000_000 + i + j),
        email: j % 2 ? `c${i + j}@x.com.br` : null,
        require_login: 'inherit' as const,
        login_link_version: 1,
        created_at: at,
        updated_at: at,
      }))
      await t.db.insertInto('clients').values(rows).execute()
    }
    const clients = await listClients(t.db)
    const hostile = backendOf(t.db) === 'sqlite' ? [...HOSTILE, ...SQLITE_ONLY] : HOSTILE
    for (const [i, name] of hostile.entries()) await storeName(clients[i * 250].id, name)
    await t.db.updateTable('clients').set({ group_head_id: clients[0].id }).where('id', '=', clients[5].id).execute()
    for (const filters of [{}, { afterId: clients[999].id }, { afterId: clients[2_099].id }, { search: 'empresa' }, { search: 'pão' }, { search: 'nada assim' }]) {
      expect((await written(filters)).equals(await reference(filters)), JSON.stringify(filters)).toBe(true)
    }
    expect((await written({ search: 'nada assim' })).toString()).toBe('[]')
  }, 60_000)

  it('writes each character as JSON.stringify does', async () => {
    const db = t.db
    if (backendOf(db) !== 'sqlite') return
    // json_quote() on SQLite against JSON.stringify, over every code point but the surrogates.
    for (let from = 0; from <= 0x10ffff; from += 0x1000) {
      let text = ''
      for (let cp = from; cp < from + 0x1000; cp++) if (cp < 0xd800 || cp > 0xdfff) text += String.fromCodePoint(cp)
      const { rows } = await sql<{ quoted: string }>`select json_quote(${text}) as quoted`.execute(db)
      expect(rows[0].quoted === JSON.stringify(text), `from U+${from.toString(16)}`).toBe(true)
    }
  }, 60_000)

  it('falls back to JavaScript for values SQLite would write otherwise', async () => {
    const a = await makeClient(t.db, t.key)
    const b = await makeClient(t.db, t.key)
    if (backendOf(t.db) !== 'sqlite') return
    // Not UTF-8: JavaScript reads U+FFFD for each bad sequence.
    await sql`update clients set name = cast(x'50c3a3' || x'ff' || x'6fc3' as text) where id = ${a.id}`.execute(t.db)
    expect((await written()).equals(await reference())).toBe(true)
    expect((await written()).toString()).toContain('\ufffd')
    // A number Number() rounds, and a name stored as bytes (JavaScript reads a Buffer).
    await sql`update clients set name = 'ok' where id = ${a.id}`.execute(t.db)
    await sql`update clients set login_link_version = 9007199254740993 where id = ${b.id}`.execute(t.db)
    expect((await written()).equals(await reference())).toBe(true)
    await sql`update clients set login_link_version = 1, name = x'41' where id = ${b.id}`.execute(t.db)
    expect((await written()).equals(await reference())).toBe(true)
    expect((await written()).toString()).toContain('"type": "Buffer"')
  })

  it('reads one snapshot without the write lock, while another process writes', async () => {
    await makeClient(t.db, t.key, { name: 'Antes' })
    const other = await t.connect()
    try {
      // The other connection holds the write lock with a change not yet committed: the listing
      // neither waits for it (BEGIN IMMEDIATE would) nor sees the change.
      await other.db.transaction().execute(async (trx) => {
        await trx.updateTable('clients').set({ name: 'Depois' }).execute()
        if (backendOf(t.db) === 'sqlite') expect((await written()).toString()).toContain('"name": "Antes"')
      })
      expect((await written()).toString()).toContain('"name": "Depois"')
    } finally {
      await other.close()
    }
  })
})

describe('idsRise', () => {
  const batch = (ids: number[]) => Buffer.from(ids.map((id) => JSON.stringify({ id, name: `"id": ${-id},` }, null, 2).replace(/^/gm, '  ')).join(',\n'))

  it('accepts the ids rising, and nothing else', () => {
    expect(idsRise(batch([1, 2, 10, 11]), 4)).toBe(true)
    expect(idsRise(batch([-3, 7]), 2)).toBe(true)
    // Out of order, repeated, or not as many objects as rows: the list goes through JavaScript.
    expect(idsRise(batch([1, 10, 2]), 3)).toBe(false)
    expect(idsRise(batch([4, 4]), 2)).toBe(false)
    expect(idsRise(batch([1, 2]), 3)).toBe(false)
    expect(idsRise(Buffer.from('  {\n    "id": '), 1)).toBe(false)
  })
})
