import { sql } from 'kysely'
import { CATEGORIES, type Category } from '../categories.js'
import type { Db } from '../db/database.js'
import type { OrderStretch } from './list-order.js'

// A page of a document list in two steps (docs/decisions.md, "Portal pages at scale (issue 13)"):
// first the page's ids in order, read from the company indexes (client_id, created_at, id) and
// (client_id, due_date, id) alone when no filter needs the row; then the rows and clients of those
// ids by primary key. Sorting whole rows of every document of a 50-company group (10,000) to keep
// 26 was the slowest statement of the client area at scale (docs/performance.md, "Scale").

function documentsOnly(db: Db) {
  return db.selectFrom('documents').selectAll('documents')
}

/** The other filters of a list (category, competence, title…), applied to a statement on `documents`. */
export type DocumentFilter = (select: ReturnType<typeof documentsOnly>) => ReturnType<typeof documentsOnly>

export interface ListPageQuery {
  clientIds: readonly number[] | 'all'
  /** The categories the caller may see; absent: all. */
  categories?: readonly Category[]
  filter: DocumentFilter
  /** The sort order after its cursor (list-order.ts), read stretch by stretch. */
  stretches: OrderStretch[]
  limit: number
}

/** Up to `limit` rows of the list in its order, each with its client's name and tax id. */
export async function listPageRows(db: Db, query: ListPageQuery) {
  const rows: Awaited<ReturnType<typeof stretchRows>> = []
  for (const stretch of query.stretches) {
    const wanted = query.limit - rows.length
    if (wanted <= 0) break
    rows.push(...(await stretchRows(db, query, stretch, wanted)))
  }
  return rows
}

function stretchRows(db: Db, query: ListPageQuery, stretch: OrderStretch, limit: number) {
  // An expired document is a tombstone (docs/privacy.md): no list shows it.
  let keys = query.filter(documentsOnly(db)).where('documents.expired_at', 'is', null)
  if (query.clientIds !== 'all') keys = keys.where('documents.client_id', 'in', [...query.clientIds])
  // Every category is every document (schema.sql checks it): no condition, so the indexes can answer.
  const { categories } = query
  if (categories && new Set(categories).size < CATEGORIES.length) keys = keys.where('documents.category', 'in', [...categories])
  for (const condition of stretch.where) keys = keys.where(condition)
  for (const { column, direction } of stretch.order) keys = keys.orderBy(sql.ref(`documents.${column}`), direction)
  // Only what orders the page: an index-only range per company when no filter needs the row.
  const columns = [...new Set([...stretch.order.map(({ column }) => column), 'id' as const])]
  const page = keys.clearSelect().select(columns.map((column) => `documents.${column}` as const)).limit(limit)
  // Whole rows and the client only for the page: each found by primary key, never a join of all clients.
  let select = db
    .selectFrom(page.as('page'))
    .innerJoin('documents', 'documents.id', 'page.id')
    .innerJoin('clients', 'clients.id', 'documents.client_id')
    .selectAll('documents')
    .select(['clients.name as client_name', 'clients.tax_id as client_tax_id'])
  for (const { column, direction } of stretch.order) select = select.orderBy(sql.ref(`page.${column}`), direction)
  return select.execute()
}
