import { sql, type RawBuilder, type SqlBool } from 'kysely'
import { ValidationError } from '../errors.js'

// How a document list is ordered and searched: the two sort orders with their keyset cursors, and
// the title search (docs/decisions.md, "Client area: due soon, new, accesses, ZIP"). Everything is
// plain SQL both backends run alike; list-page.ts reads a page with it.

/**
 * `newest`: created_at, then id, descending. `due`: what is still to pay first (due today or later,
 * soonest first), then what is past (most recently due first), then the undated; ties by id
 * (docs/rules.md#the-client-area).
 */
export type DocumentSort = 'newest' | 'due'

export const DOCUMENT_SORTS: readonly DocumentSort[] = ['newest', 'due']

/** The position after which the next page starts; opaque to callers. */
type Position = { sort: 'newest'; createdAt: string; id: number } | { sort: 'due'; dueDate: string | null; id: number }

const MAX_QUERY_CHARS = 100
const MAX_TERMS = 5

// Accented letters Brazilian titles use, folded to ASCII in SQL; then lower() (which SQLite only
// applies to ASCII) gives both backends the same result. Combining marks are dropped, so a title
// typed in decomposed form matches too.
const FOLDS: [string, string][] = [
  ...pairs('áàâãäÁÀÂÃÄ', 'a'),
  ...pairs('éèêëÉÈÊË', 'e'),
  ...pairs('íìîïÍÌÎÏ', 'i'),
  ...pairs('óòôõöÓÒÔÕÖ', 'o'),
  ...pairs('úùûüÚÙÛÜ', 'u'),
  ...pairs('çÇ', 'c'),
  ...pairs('ñÑ', 'n'),
  ...pairs('\u0300\u0301\u0302\u0303\u0308\u0327', ''),
]

function pairs(letters: string, to: string): [string, string][] {
  return [...letters].map((letter) => [letter, to])
}

/** The text a search compares: accents removed, lower case, spaces collapsed. */
export function foldText(value: string): string {
  return value.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/\s+/g, ' ').trim()
}

// The constants are ours, never the user's: inlining them keeps the statement's parameters few.
function foldSql(column: string): RawBuilder<string> {
  let expression = sql.ref(column) as RawBuilder<string>
  for (const [from, to] of FOLDS) expression = sql<string>`replace(${expression}, ${sql.lit(from)}, ${sql.lit(to)})`
  return sql<string>`lower(${expression})`
}

/**
 * The conditions of a title search: every word of `q` must appear in the title, ignoring case and
 * accents ("ferias" finds "Férias"). Empty when `q` is blank; too long a query is a ValidationError.
 */
export function titleSearch(q: string | undefined): RawBuilder<SqlBool>[] {
  const folded = foldText(parseSearch(q ?? ''))
  if (folded === '') return []
  const terms = [...new Set(folded.split(' '))].slice(0, MAX_TERMS)
  const title = foldSql('documents.title')
  return terms.map((term) => {
    const pattern = `%${term.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`
    return sql<SqlBool>`${title} like ${pattern} escape ${sql.lit('\\')}`
  })
}

/** A search as typed, trimmed; a ValidationError past MAX_QUERY_CHARS characters. */
export function parseSearch(value: string): string {
  const q = value.trim().replace(/\s+/g, ' ')
  if (q.length > MAX_QUERY_CHARS) {
    throw new ValidationError(`the search has ${q.length} characters: use at most ${MAX_QUERY_CHARS}`)
  }
  return q
}

/** Throws unless `value` names a sort order. */
export function parseSort(value: string): DocumentSort {
  if ((DOCUMENT_SORTS as readonly string[]).includes(value)) return value as DocumentSort
  throw new ValidationError(`sort '${value}' is not valid: use ${DOCUMENT_SORTS.join(' or ')}`)
}

/** A column a sort order compares; each company's indexes hold them in this order (schema.sql). */
export type OrderColumn = 'created_at' | 'due_date' | 'id'

/**
 * One stretch of a sort order that an index of each company returns already in order: the
 * conditions that select it (starting after the cursor) and its ORDER BY. A sort order is read as
 * one or two stretches, one after the other: undated documents come after every dated one on both
 * backends, whatever each puts first in an index.
 */
export interface OrderStretch {
  where: RawBuilder<SqlBool>[]
  order: { column: OrderColumn; direction: 'asc' | 'desc' }[]
}

const NEWEST: OrderStretch['order'] = [
  { column: 'created_at', direction: 'desc' },
  { column: 'id', direction: 'desc' },
]
const UPCOMING: OrderStretch['order'] = [
  { column: 'due_date', direction: 'asc' },
  { column: 'id', direction: 'asc' },
]
const PAST: OrderStretch['order'] = [
  { column: 'due_date', direction: 'desc' },
  { column: 'id', direction: 'desc' },
]
const UNDATED: OrderStretch['order'] = [{ column: 'id', direction: 'asc' }]
const undated = sql<SqlBool>`documents.due_date is null`

/**
 * The stretches of a sort order from the start, or after `cursor`; a cursor of the other sort
 * order is refused. Keysets are row comparisons, which both backends run as one index range.
 * `today` splits the due order into upcoming and past; a cursor is placed by its own due date, so a
 * page turned after midnight goes on from where it is, at worst showing a guide again.
 */
export function orderStretches(sort: DocumentSort, cursor: string | null, today: string): OrderStretch[] {
  const at = cursor ? decodeCursor(cursor) : null
  if (at && at.sort !== sort) throw new ValidationError('the page cursor is not valid: start again from the first page')
  if (sort === 'newest') {
    const where = at?.sort === 'newest' ? [sql<SqlBool>`(documents.created_at, documents.id) < (${at.createdAt}, ${at.id})`] : []
    return [{ where, order: NEWEST }]
  }
  const upcoming = sql<SqlBool>`documents.due_date >= ${today}`
  const past = sql<SqlBool>`documents.due_date < ${today}`
  const rest: OrderStretch[] = [
    { where: [past], order: PAST },
    { where: [undated], order: UNDATED },
  ]
  if (at?.sort !== 'due') return [{ where: [upcoming], order: UPCOMING }, ...rest]
  if (at.dueDate === null) return [{ where: [undated, sql<SqlBool>`documents.id > ${at.id}`], order: UNDATED }]
  if (at.dueDate >= today) {
    return [{ where: [upcoming, sql<SqlBool>`(documents.due_date, documents.id) > (${at.dueDate}, ${at.id})`], order: UPCOMING }, ...rest]
  }
  return [{ where: [past, sql<SqlBool>`(documents.due_date, documents.id) < (${at.dueDate}, ${at.id})`], order: PAST }, rest[1]]
}

/** The cursor after a document in a sort order. */
export function cursorAfter(sort: DocumentSort, document: { id: number; createdAt: string; dueDate: string | null }): string {
  // The newest-first cursor keeps its original shape, so links made before the due sort still work.
  const value = sort === 'newest' ? [document.createdAt, document.id] : ['due', document.dueDate, document.id]
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

// Opaque to callers; it carries only the position (no ids the caller could not already see).
function decodeCursor(cursor: string): Position {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    value = null
  }
  if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && Number.isInteger(value[1])) {
    return { sort: 'newest', createdAt: value[0], id: value[1] as number }
  }
  if (
    Array.isArray(value) &&
    value.length === 3 &&
    value[0] === 'due' &&
    (value[1] === null || typeof value[1] === 'string') &&
    Number.isInteger(value[2])
  ) {
    return { sort: 'due', dueDate: value[1] as string | null, id: value[2] as number }
  }
  throw new ValidationError('the page cursor is not valid: start again from the first page')
}
