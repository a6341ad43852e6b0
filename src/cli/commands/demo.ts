import type { Command } from 'commander'
import type { CliContext } from '../context.js'

/** Placeholder: the commands of this group are registered here. */
export function registerDemo(_program: Command, _context: CliContext): void {}
