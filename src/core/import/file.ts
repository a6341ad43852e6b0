// `confi docs import`: reads each PDF, recognises its guides and files each one under its client,
// or queues it with the reason; every file and part ends as exactly one report row.
import { createHash } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import { assertAccountant, type AccountantActor, type Actor } from '../actors.js'
import type { Db } from '../db/database.js'
import { parseCategory } from '../categories.js'
import { ValidationError } from '../errors.js'
import { fileDocument } from '../mail/document-filing.js'
import type { MailReadyFirm } from '../mail/document-mail.js'
import type { FileStore } from '../storage/file-store.js'
import { formatTaxId } from '../clients/tax-id.js'
import { groupPages, pageLabel, type PageGroup } from './pages.js'
import { sameCompany } from './company-name.js'
import { DEFAULT_READ_LIMITS, type ReadLimits } from './limits.js'
import { MAX_PDF_BYTES, readPdfPages } from './pdf-text.js'
import { clientHasFile, enqueue } from './queue.js'
import { recognisePage, type Recognised } from './recognise.js'
import { extractPages } from './split.js'

export type Outcome = 'added' | 'duplicate' | 'queued' | 'unreadable' | 'skipped'

/** One line of the import report: a file, or one guide cut out of a file. */
export interface ImportRow {
  file: string
  /** "1", "1-2"; null when the file could not be read. */
  pages: string | null
  clientId: number | null
  clientName: string | null
  clientTaxId: string | null
  type: Recognised['type'] | null
  title: string | null
  competence: string | null
  dueDate: string | null
  amountCents: number | null
  outcome: Outcome
  /** Why it was queued, unreadable or skipped. */
  reason: string | null
  documentId: number | null
  queueItemId: number | null
}

export interface ImportOptions {
  dryRun?: boolean
  /** Files every file, whole, under this client (no tax id needed, no splitting). */
  clientId?: number
  title?: string
  category?: string
  onProgress?: (progress: { filesDone: number; filesTotal: number; pagesDone: number }) => void
  /** Queue each new document's notification e-mails with it (core/mail's `fileDocument`). */
  notify?: MailReadyFirm
  /** What one file may cost to read; over it, the file is queued whole (./limits.ts). */
  limits?: Partial<ReadLimits>
}

export interface ImportReport {
  rows: ImportRow[]
  /** Files whose text could be read. */
  readFiles: number
  files: number
  /** Notification e-mails queued, when `notify` was given (0 on a dry run). */
  notified?: number
}

/** The files under `paths` (folders read recursively), in a stable order. */
export async function collectFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = []
  for (const path of paths) {
    const info = await stat(path).catch(() => null)
    if (info?.isDirectory()) {
      const entries = await readdir(path, { recursive: true, withFileTypes: true })
      const inside = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
      files.push(...inside.sort())
    } else {
      files.push(path)
    }
  }
  return files
}

interface Client {
  id: number
  name: string
  taxId: string
}

/** Imports every file under `paths`; never throws for one bad file (it becomes its row). */
export async function importFiles(
  db: Db,
  store: FileStore,
  actor: Actor,
  paths: readonly string[],
  options: ImportOptions = {},
): Promise<ImportReport> {
  assertAccountant(actor, 'import documents')
  if (options.category) parseCategory(options.category)
  if (options.title !== undefined && (options.title.trim() === '' || options.title.length > 200)) {
    throw new ValidationError('--title must have 1 to 200 characters')
  }
  const files = await collectFiles(paths)
  const forced = options.clientId === undefined ? null : await clientById(db, options.clientId)
  const run: Run = { db, store, actor, options, forced, claimed: new Set(), notified: 0 }
  const results: { rows: ImportRow[]; pages: number }[] = new Array(files.length)
  let next = 0
  let filesDone = 0
  let pagesDone = 0
  // A few files in flight: while one waits for its fsyncs, the next is read (docs/performance.md).
  const worker = async () => {
    while (next < files.length) {
      const i = next++
      results[i] = await importOne(run, files[i])
      filesDone += 1
      pagesDone += results[i].pages
      options.onProgress?.({ filesDone, filesTotal: files.length, pagesDone })
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, files.length) }, worker))
  return {
    rows: results.flatMap((r) => r.rows),
    readFiles: results.filter((r) => r.pages > 0).length,
    files: files.length,
    notified: options.notify ? run.notified : undefined,
  }
}

const CONCURRENCY = 4

/** What every file of one import shares. */
interface Run {
  db: Db
  store: FileStore
  actor: AccountantActor
  options: ImportOptions
  forced: Client | null
  /** `client:sha256` of every guide this run files, so two copies in one folder file once. */
  claimed: Set<string>
  /** Notification e-mails queued so far. */
  notified: number
}

function emptyRow(file: string, outcome: Outcome, reason: string | null): ImportRow {
  return {
    file,
    pages: null,
    clientId: null,
    clientName: null,
    clientTaxId: null,
    type: null,
    title: null,
    competence: null,
    dueDate: null,
    amountCents: null,
    outcome,
    reason,
    documentId: null,
    queueItemId: null,
  }
}

async function readSource(path: string): Promise<{ bytes: Uint8Array } | { reason: string }> {
  try {
    const info = await stat(path)
    if (!info.isFile()) return { reason: 'not a regular file' }
    if (info.size > MAX_PDF_BYTES) {
      return { reason: `file of ${Math.ceil(info.size / 1024 / 1024)} MB is over the ${MAX_PDF_BYTES / 1024 / 1024} MB limit` }
    }
    return { bytes: await readFile(path) }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return { reason: code === 'ENOENT' ? 'no such file' : `cannot read it (${code})` }
  }
}

async function importOne(run: Run, path: string): Promise<{ rows: ImportRow[]; pages: number }> {
  const { forced } = run
  if (extname(path).toLowerCase() !== '.pdf') return { rows: [emptyRow(path, 'skipped', 'not a PDF file')], pages: 0 }
  const source = await readSource(path)
  if ('reason' in source) return { rows: [emptyRow(path, 'unreadable', source.reason)], pages: 0 }
  const sourceSha256 = createHash('sha256').update(source.bytes).digest('hex')
  const text = await readPdfPages(source.bytes, { ...DEFAULT_READ_LIMITS, ...run.options.limits })
  if (!text.ok) {
    const reason = text.overLimit ? `over a limit: ${text.reason}` : text.reason
    const row = await unreadable(run, path, source.bytes, sourceSha256, reason)
    // Too costly to read is not damaged: the file waits in the queue for a person.
    return { rows: [text.overLimit ? { ...row, outcome: 'queued' } : row], pages: 0 }
  }
  if (text.pages.length === 0) return { rows: [await unreadable(run, path, source.bytes, sourceSha256, 'the PDF has no pages')], pages: 0 }
  const recognised = text.pages.map((page) => recognisePage(page))
  const groups: PageGroup[] = forced
    ? [{ pages: recognised.map((_, i) => i + 1), recognised: groupPages(recognised)[0].recognised }]
    : groupPages(recognised)
  const part: Part = { path, bytes: source.bytes, sourceSha256, pageCount: text.pages.length }
  const rows: ImportRow[] = []
  for (const group of groups) rows.push(await fileGroup(run, part, group))
  return { rows, pages: text.pages.length }
}

// A PDF that pdf.js cannot read (encrypted, damaged) is still a guide someone may need: it is
// queued whole; what is not a PDF at all is only reported (docs/decisions.md, "Unreadable files").
async function unreadable(run: Run, path: string, bytes: Uint8Array, sourceSha256: string, reason: string): Promise<ImportRow> {
  const row = emptyRow(path, 'unreadable', reason)
  if (run.options.dryRun || reason === 'empty file' || reason.startsWith('not a PDF')) return row
  const { item } = await enqueue(run.db, run.store, run.actor, {
    fileName: basename(path),
    sourcePath: path,
    sourceSha256,
    pages: 'all',
    reason: reason.startsWith('over a limit') ? reason : `unreadable: ${reason}`,
    recognised: {},
    bytes,
  })
  return { ...row, queueItemId: item.id }
}

interface Part {
  path: string
  bytes: Uint8Array
  sourceSha256: string
  pageCount: number
}

async function clientById(db: Db, id: number): Promise<Client> {
  const row = await db.selectFrom('clients').select(['id', 'name', 'tax_id']).where('id', '=', id).executeTakeFirstOrThrow()
  return { id: Number(row.id), name: row.name, taxId: row.tax_id }
}

async function clientByTaxId(db: Db, taxId: string): Promise<Client | null> {
  const row = await db.selectFrom('clients').select(['id', 'name', 'tax_id']).where('tax_id', '=', taxId).executeTakeFirst()
  return row ? { id: Number(row.id), name: row.name, taxId: row.tax_id } : null
}

/** Why a guide cannot be filed on its own, or its client. */
async function matchClient(db: Db, seen: Recognised): Promise<Client | string> {
  if (!seen.hasText) return 'no text on the page (a scanned image?)'
  if (seen.taxIdProblem === 'several') {
    return `several tax ids, none labelled as the taxpayer's: ${seen.taxIdCandidates.map(formatTaxId).join(', ')}`
  }
  if (!seen.taxId) return 'no CNPJ or CPF found'
  if (seen.type === 'other') return 'unrecognised: nothing on the page says which guide it is (DAS, DARF, GPS, FGTS Digital, holerite, folha)'
  const client = await clientByTaxId(db, seen.taxId)
  if (!client) return `no client with tax id ${formatTaxId(seen.taxId)}`
  // Another client's id on the page, not labelled as someone else's: two guides on one page.
  for (const rival of seen.taxIdRivals) {
    const other = await clientByTaxId(db, rival)
    if (other) return `tax ids of two clients on the page: ${formatTaxId(client.taxId)} (${client.name}) and ${formatTaxId(other.taxId)} (${other.name})`
  }
  // The CNPJ alone could be a typo or another company's guide printed with it.
  if (seen.companyName !== null && !sameCompany(seen.companyName, client.name)) {
    return `the company name on the page, "${seen.companyName}", is not the client's with tax id ${formatTaxId(client.taxId)} (${client.name})`
  }
  return client
}

// The name clients see: the source's name for a whole file, "-p2" added for a cut-out part.
function partName(path: string, pages: number[], pageCount: number): string {
  if (pages.length === pageCount) return basename(path)
  const stem = basename(path, extname(path))
  return `${stem}-p${pageLabel(pages).replace(',', '_')}.pdf`
}

async function fileGroup(run: Run, part: Part, group: PageGroup): Promise<ImportRow> {
  const { db, store, actor, options, forced } = run
  const seen = group.recognised
  const pages = pageLabel(group.pages)
  const base: ImportRow = {
    ...emptyRow(part.path, 'added', null),
    pages,
    type: seen.type,
    title: options.title ?? seen.title,
    competence: seen.competence,
    dueDate: seen.dueDate,
    amountCents: seen.amountCents,
  }
  const whole = group.pages.length === part.pageCount
  const bytes = whole ? part.bytes : await extractPages(part.bytes, group.pages).catch(() => null)
  if (bytes === null) return unreadable(run, part.path, part.bytes, part.sourceSha256, `cannot cut pages ${pages} out of it`)
  const sha256 = whole ? part.sourceSha256 : createHash('sha256').update(bytes).digest('hex')
  const name = partName(part.path, group.pages, part.pageCount)
  const client = forced ?? (await matchClient(db, seen))
  if (typeof client === 'string') {
    const row = { ...base, outcome: 'queued' as const, reason: client }
    if (options.dryRun) return row
    const { item } = await enqueue(db, store, actor, {
      fileName: name,
      sourcePath: part.path,
      sourceSha256: part.sourceSha256,
      pages,
      reason: client,
      recognised: seen,
      bytes,
    })
    return { ...row, queueItemId: item.id }
  }
  const row = { ...base, clientId: client.id, clientName: client.name, clientTaxId: client.taxId }
  const key = `${client.id}:${sha256}`
  if (run.claimed.has(key)) return { ...row, outcome: 'duplicate' }
  run.claimed.add(key)
  // Split parts are cut deterministically (./split.ts), so a re-run yields the same SHA-256.
  if (await clientHasFile(db, client.id, sha256)) return { ...row, outcome: 'duplicate' }
  if (options.dryRun) return row
  // The pages are in memory already: filed from there, as durably as from a file.
  const { document, notified } = await fileDocument(
    db,
    store,
    actor,
    {
      clientId: client.id,
      title: row.title ?? seen.title,
      category: options.category ?? seen.category,
      competence: seen.competence,
      dueDate: seen.dueDate,
      amountCents: seen.amountCents,
      files: [{ bytes, name }],
    },
    { notify: options.notify },
  )
  run.notified += notified
  return { ...row, documentId: document.id }
}
