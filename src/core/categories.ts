import { ValidationError } from './errors.js'

/** Document categories of docs/rules.md#data, in the order people see them. */
export const CATEGORIES = ['fiscal', 'pessoal', 'contabil', 'societario', 'outros'] as const
export type Category = (typeof CATEGORIES)[number]

/** Throws a ValidationError naming the value and the valid categories unless it is one. */
export function parseCategory(value: string): Category {
  const normalised = value.trim().toLowerCase()
  if ((CATEGORIES as readonly string[]).includes(normalised)) return normalised as Category
  throw new ValidationError(`unknown category '${value}': use one of ${CATEGORIES.join(', ')}`)
}
