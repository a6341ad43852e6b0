import type { VisibleScope } from '../identity/visibility.js'
import type { Category } from './categories.js'
import type { DocumentQuery } from './documents.js'
import type { DocumentSort } from './list-order.js'

// The documents page of the client area: what a user's filters ask for, inside what they may see.

/** What a person chose on the documents page (already parsed). */
export interface AreaFilters {
  company?: number
  category?: Category
  competence?: string
  q?: string
  sort?: DocumentSort
}

/**
 * The list query of a user's documents page: their scope narrowed by the filters, never widened
 * (a company or category outside the scope lists nothing). The page and the list's ZIP use it alike.
 */
export function areaDocumentQuery(scope: VisibleScope, filters: AreaFilters): Omit<DocumentQuery, 'after' | 'limit'> {
  const clientIds = filters.company ? scope.clientIds.filter((id) => id === filters.company) : scope.clientIds
  const categories = filters.category ? scope.categories.filter((c) => c === filters.category) : scope.categories
  return { clientIds, categories, competence: filters.competence, q: filters.q, sort: filters.sort }
}
