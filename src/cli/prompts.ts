import type { Readable } from 'node:stream'
import { UsageError } from './errors.js'
import type { CliContext } from './context.js'

/** Reads a password from stdin (`--password-stdin`): the first line, without its line ending. */
export async function readPasswordFromStdin(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk))
  const text = Buffer.concat(chunks).toString('utf8')
  const firstLine = text.split(/\r?\n/)[0] ?? ''
  if (firstLine === '') throw new UsageError('--password-stdin: stdin was empty; pipe the password in, e.g. printf %s "$PW" | confi ...')
  return firstLine
}

/**
 * Returns `value`, or asks for it on a terminal; in scripts a missing required value is a usage
 * error naming the option, never a prompt that would hang a cron job.
 */
export async function requireValue(
  context: CliContext,
  value: string | undefined,
  option: string,
  question: string,
): Promise<string> {
  if (value !== undefined && value !== '') return value
  if (!context.interactive) throw new UsageError(`missing required option ${option}`)
  const { input } = await import('@inquirer/prompts')
  return input({ message: question, required: true })
}

/** Asks twice for a new password, hidden, on a terminal. */
export async function promptNewPassword(context: CliContext): Promise<string> {
  const { password } = await import('@inquirer/prompts')
  const first = await password({ message: 'New password', mask: '*' })
  const second = await password({ message: 'Repeat the password', mask: '*' })
  if (first !== second) throw new UsageError('the two passwords differ; run the command again')
  return first
}
