import { InvalidArgumentError } from 'commander'
import { checkTimeZone, DEFAULT_TIME_ZONE } from '../output.js'

/** A commander argument parser for whole numbers; a bad value is a usage error (exit 2). */
export function integer(option: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value))
      throw new InvalidArgumentError(`${option} takes a whole number, not '${value}'`)
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
