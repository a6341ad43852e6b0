import { NotFoundError } from '../core/errors.js'

/** A numeric id from a URL segment, or null for anything that can be nobody's id. */
export function idOrNull(value: string | undefined): number | null {
  // Ids are 32-bit integers (PostgreSQL INTEGER): a larger number is nobody's id, not a 500.
  if (!value || !/^\d{1,10}$/.test(value) || Number(value) > 2_147_483_647) return null
  return Number(value)
}

/** A numeric id from a URL segment; anything else is a 404 like an unknown id. */
export function parseId(value: string | undefined): number {
  const id = idOrNull(value)
  if (id === null) throw new NotFoundError('not found')
  return id
}
