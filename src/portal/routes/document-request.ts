import { CATEGORIES, type Category } from '../../core/categories.js'
import { findVisibleDocument } from '../../core/documents/access.js'
import { areaDocumentQuery } from '../../core/documents/area-list.js'
import { parseCompetence, type Document } from '../../core/documents/documents.js'
import { parseSearch, parseSort, type DocumentSort } from '../../core/documents/list-order.js'
import { NotFoundError, ValidationError } from '../../core/errors.js'
import type { VisibleScope } from '../../core/identity/visibility.js'
import type { Auth, PortalContext } from '../env.js'
import { competenceFromInput } from '../forms.js'
import { parseId } from '../ids.js'
import { m } from '../messages.js'
import { FILTER_PREFIX, type DashboardFilters } from '../views/documents.js'
import { fieldId, type FieldError } from '../views/fields.js'

// What a documents request asks for: the document of its URL, the filters of its query string.

/** The document of the URL if the user may see it; else the same 404 as a nonexistent one. */
export async function visibleDocument(c: PortalContext, auth: Auth): Promise<Document> {
  const document = await findVisibleDocument(c.var.deps.db, auth.user, parseId(c.req.param('id')))
  if (!document) throw new NotFoundError('not found')
  return document
}

function readFilters(c: PortalContext): { filters: DashboardFilters; errors: FieldError[] } {
  const filters: DashboardFilters = {}
  const errors: FieldError[] = []
  const company = c.req.query('company') ?? ''
  if (/^\d{1,15}$/.test(company)) filters.company = Number(company)
  // Like a company, a category outside the scope is kept and lists nothing, never everything.
  const category = c.req.query('category') ?? ''
  if ((CATEGORIES as readonly string[]).includes(category)) filters.category = category
  const competence = (c.req.query('competence') ?? '').trim()
  if (competence) {
    try {
      filters.competence = parseCompetence(competenceFromInput(competence))
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e
      errors.push({ fieldId: fieldId(FILTER_PREFIX, 'competence'), message: m.documents.badCompetence })
    }
  }
  try {
    filters.q = parseSearch(c.req.query('q') ?? '') || undefined
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e
    errors.push({ fieldId: fieldId(FILTER_PREFIX, 'q'), message: m.search.badSearch })
  }
  // An unknown sort falls back to the default, like an unknown category.
  const sort = c.req.query('sort')
  if (sort) {
    try {
      filters.sort = parseSort(sort)
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e
    }
  }
  return { filters, errors }
}

/** The list query of the request's filters, inside the user's scope (also the list's ZIP). */
export function readAreaQuery(c: PortalContext, scope: VisibleScope) {
  const { filters, errors } = readFilters(c)
  const query = areaDocumentQuery(scope, {
    ...filters,
    category: filters.category as Category | undefined,
    sort: filters.sort as DocumentSort | undefined,
  })
  return { filters, errors, query }
}
