import { openSync, closeSync, fstatSync, readSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import type { Command } from 'commander'
import { ValidationError } from '../../core/errors.js'
import { escapeUnsafeInLines } from '../../core/text-input.js'
import type { CliContext } from '../context.js'
import { formatTime } from '../output.js'

// `confi firm terms`: the firm's terms of use and privacy notice, which every client user accepts
// before reaching anything in the portal (docs/rules.md#terms-and-consent).

/** The bytes of a terms file, refused before reading when it is not a file or is too large. */
function readTermsFile(path: string, maxBytes: number): Buffer {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (error) {
    throw new ValidationError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code}): check the path`)
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) throw new ValidationError(`${path} is not a file: give the Markdown file of the terms`)
    if (stat.size > maxBytes) {
      throw new ValidationError(`the terms file has ${stat.size} bytes, more than the ${maxBytes} allowed: publish the text alone, as Markdown`)
    }
    // One byte more than allowed, so a file that grew since the stat is still refused by core.
    const buffer = Buffer.alloc(maxBytes + 1)
    let length = 0
    for (let n; length < buffer.length && (n = readSync(fd, buffer, length, buffer.length - length, null)) > 0; ) length += n
    return buffer.subarray(0, length)
  } finally {
    closeSync(fd)
  }
}

/** `confi firm terms set|show|list`, under `confi firm`. */
export function registerFirmTerms(firm: Command, context: CliContext): void {
  const terms = firm.command('terms').description("the firm's terms of use and privacy notice, which client users accept")

  terms
    .command('set')
    .description('publish a new version of the terms from a UTF-8 Markdown file; every user accepts it at their next request')
    .argument('<file>', 'the terms of use and privacy notice, UTF-8 Markdown')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi firm terms set termos-v2.md')
    .action(async (file: string, options: { json?: boolean }) => {
      const { MAX_TERMS_BYTES, publishTerms } = await import('../../core/identity/index.js')
      const path = resolve(context.deps.cwd, file)
      const bytes = readTermsFile(path, MAX_TERMS_BYTES)
      const { version, published } = await publishTerms(await context.db(), context.actor, { bytes, sourceName: basename(path) })
      const { body: _body, ...shown } = version
      if (options.json) return context.out.json({ published, ...shown })
      if (published) context.out.line(`Published terms version ${version.id} (sha256 ${version.sha256}): client users accept it at their next request.`)
      else context.out.line(`${basename(path)} is the same text as the current terms, version ${version.id} (sha256 ${version.sha256}): nothing changed.`)
    })

  terms
    .command('show')
    .description('show the current version of the terms and how many active users accepted it')
    .option('--text', 'print the Markdown text of the current version')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExamples:\n  $ confi firm terms show\n  $ confi firm terms show --text > termos-atuais.md')
    .action(async (options: { json?: boolean; text?: boolean }) => {
      const { activeUserCount, listTerms, currentTerms } = await import('../../core/identity/index.js')
      const db = await context.db()
      const [latest] = await listTerms(db)
      if (!latest) {
        if (options.json) return context.out.json(null)
        context.out.note('no terms published: confi firm terms set termos.md')
        return
      }
      if (options.text) {
        context.deps.stdout.write(escapeUnsafeInLines((await currentTerms(db))!.body))
        return
      }
      const activeUsers = await activeUserCount(db)
      if (options.json) return context.out.json({ ...latest, activeUsers })
      context.out.record([
        ['Version', latest.id],
        ['SHA-256', latest.sha256],
        ['Published', `${formatTime(latest.publishedAt)} by ${latest.publishedBy}`],
        ['Source file', latest.sourceName],
        ['Size', `${latest.bytes} bytes`],
        ['Accepted by', `${latest.activeAccepted} of ${activeUsers} active users`],
      ])
    })

  terms
    .command('list')
    .description('list every published version of the terms, newest first')
    .option('--json', 'print JSON for scripts')
    .action(async (options: { json?: boolean }) => {
      const { listTerms } = await import('../../core/identity/index.js')
      const versions = await listTerms(await context.db())
      if (options.json) return context.out.json(versions)
      context.out.table(
        versions,
        [
          { header: 'Version', value: (v) => v.id },
          { header: 'Published', value: (v) => formatTime(v.publishedAt) },
          { header: 'By', value: (v) => v.publishedBy },
          { header: 'SHA-256', value: (v) => v.sha256.slice(0, 16) },
          { header: 'Accepted', value: (v) => v.acceptances },
        ],
        'no terms published: confi firm terms set termos.md',
      )
    })
}
