import { createWriteStream, existsSync, linkSync, unlinkSync } from 'node:fs'
import { dirname } from 'node:path'
import { PassThrough, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import yazl from 'yazl'
import { personLogRows } from '../access-log/reads/person.js'
import type { Db } from '../db/database.js'
import { ConflictError } from '../errors.js'
import { syncDirectory, tempNameFor, unwritable } from '../storage/durable-files.js'
import { nowIso } from '../time.js'
import { LOG_PLACE, PLACES, placeRows, type Person } from './footprint.js'
import { findPerson, logPersonOf, type PlaceFootprint } from './person.js'
import { summaryHtml } from './summary.js'

// `confi privacy export` and the portal's "Meus dados" (docs/privacy.md, "Export"): a ZIP with
// dados.json (every place's rows; the log's rows with their values, salts and commitments) and
// resumo.html (a pt-BR summary). The log is streamed in batches: memory stays flat however many
// rows the person has, and each batch is read through an index.

/** The version of dados.json's shape (docs/privacy.md describes every field). */
export const EXPORT_FORMAT = 'confi.privacy-export/1'

export interface ExportMeta {
  /** Who asked: `cli:<os user>` or `user:<username>` (the portal). */
  requestedBy: string
}

/** Writes the person's ZIP to `out` (ended when done); returns what each place held. */
export async function writePersonExport(db: Db, person: Person, meta: ExportMeta, out: Writable): Promise<PlaceFootprint[]> {
  const generatedAt = nowIso()
  const found = await findPerson(db, person)
  const firm = await db.selectFrom('firm_options').select('firm_name').where('id', '=', 1).executeTakeFirst()
  const firmName = firm?.firm_name ?? ''
  const account = await placeRows(db, PLACES[0], person)
  const zip = new yazl.ZipFile()
  const done = pipeline(zip.outputStream, out)
  const mtime = new Date(generatedAt)
  zip.addBuffer(Buffer.from(summaryHtml({ person, firmName, generatedAt, found, account }), 'utf8'), 'resumo.html', { mtime })
  const json = new PassThrough()
  zip.addReadStream(json, 'dados.json', { mtime })
  zip.end()
  try {
    await writeJson(db, person, { ...meta, firmName }, generatedAt, found, json)
  } catch (error) {
    json.destroy(error as Error)
    ;(zip.outputStream as PassThrough).destroy(error as Error)
    await done.catch(() => {})
    throw error
  }
  await done
  return found
}

async function writeJson(db: Db, person: Person, meta: ExportMeta & { firmName: string }, generatedAt: string, found: PlaceFootprint[], json: PassThrough): Promise<void> {
  // Waits for the ZIP to take what it has before writing more: memory stays at one batch.
  const write = async (text: string) => {
    if (json.write(text)) return
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        json.off('drain', done)
        json.off('error', done)
        if (error) reject(error)
        else resolve()
      }
      json.on('drain', done)
      json.on('error', done)
    })
  }
  const head = {
    format: EXPORT_FORMAT,
    generated_at: generatedAt,
    firm: meta.firmName,
    requested_by: meta.requestedBy,
    subject: { key: person.key, value: person.value },
    counts: Object.fromEntries(found.map((f) => [f.name, f.rows])),
  }
  await write(`${JSON.stringify(head).slice(0, -1)},\n"places":{`)
  for (const place of PLACES) {
    const rows = await placeRows(db, place, person)
    const about = { table: place.table, label: place.label, match: place.match, holds: place.holds, rows }
    await write(`\n${JSON.stringify(place.name)}:${JSON.stringify(about)},`)
  }
  const about = {
    table: LOG_PLACE.table, label: LOG_PLACE.label, match: LOG_PLACE.match, holds: LOG_PLACE.holds,
    commitment: 'format 2: <field>_commitment = hex SHA-256(bytes of <field>_salt in hex ‖ UTF-8 text of <field>); null value and salt: erased',
  }
  await write(`\n${JSON.stringify(LOG_PLACE.name)}:${JSON.stringify(about).slice(0, -1)},"rows":[`)
  let first = true
  for await (const batch of personLogRows(db, logPersonOf(person))) {
    const lines = batch.map((r) => JSON.stringify({ id: r.id, prev_hash: r.prevHash, hash: r.hash, row: r.canonical }))
    await write(`${first ? '\n' : ',\n'}${lines.join(',\n')}`)
    first = false
  }
  await write('\n]}}}\n')
  json.end()
}

/**
 * Writes the export to `path`, never over an existing file: into a temporary file beside it,
 * linked into place at the end (a link, unlike a rename, refuses a path that appeared meanwhile).
 * On any failure nothing is left at `path` nor beside it.
 */
export async function exportPersonToFile(db: Db, person: Person, meta: ExportMeta, path: string): Promise<PlaceFootprint[]> {
  if (existsSync(path)) throw new ConflictError(`${path} already exists: give another --output (an export never replaces a file)`)
  const temp = tempNameFor(path)
  let out: Writable
  try {
    out = await openExclusive(temp)
  } catch (error) {
    throw unwritable('the export', path, error, 'output_file')
  }
  try {
    const found = await writePersonExport(db, person, meta, out)
    try {
      linkSync(temp, path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new ConflictError(`${path} already exists: give another --output (an export never replaces a file)`)
      }
      throw unwritable('the export', path, error, 'output_file')
    }
    syncDirectory(dirname(path))
    return found
  } finally {
    try {
      unlinkSync(temp)
    } catch {
      // Already gone.
    }
  }
}

function openExclusive(path: string): Promise<Writable> {
  return new Promise((resolve, reject) => {
    const stream = createWriteStream(path, { flags: 'wx', mode: 0o600, flush: true })
    stream.once('open', () => resolve(stream))
    stream.once('error', reject)
  })
}
