import { InvalidArgumentError } from 'commander'
import { CATEGORIES } from '../../core/categories.js'
import { checkTimeZone, DEFAULT_TIME_ZONE } from '../output.js'

/** A commander parser for whole numbers from `min`; a bad value is a usage error (exit 2). */
export function integer(option: string, min = 0): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
      const what = min === 0 ? 'a whole number' : `a whole number of at least ${min}`
      throw new InvalidArgumentError(`${option} takes ${what}, not '${value}'`)
    }
    return Number(value)
  }
}

/** A commander argument parser for `--tz`: an IANA zone such as America/Sao_Paulo or UTC. */
export function timeZone(value: string): string {
  const zone = checkTimeZone(value)
  if (!zone) {
    throw new InvalidArgumentError(
      `unknown time zone '${value}': use an IANA name such as ${DEFAULT_TIME_ZONE} or UTC`,
    )
  }
  return zone
}

/** Core's document categories as option help reads them: `fiscal, pessoal, ... or outros`. */
export const CATEGORY_HELP = `${CATEGORIES.slice(0, -1).join(', ')} or ${CATEGORIES[CATEGORIES.length - 1]}`
