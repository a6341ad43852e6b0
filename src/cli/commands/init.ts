import { existsSync } from 'node:fs'
import type { Command } from 'commander'
import { ensurePrivateDir } from '../../core/file-modes.js'
import type { CliContext } from '../context.js'

/** `confi init`: creates or upgrades the database, the secret key file and the firm options. */
export function registerInit(program: Command, context: CliContext): void {
  program
    .command('init')
    .description(
      'create or upgrade the database, the secret key file and the firm options (safe to run again)',
    )
    .option('--firm-name <name>', 'the firm name shown in the portal')
    .option(
      '--base-url <url>',
      'the portal address used in printed links, e.g. https://portal.example.com.br',
    )
    .addHelpText(
      'after',
      `
Example:
  $ confi init --firm-name "Contabilidade Exemplo" --base-url http://localhost:3000`,
    )
    .action(async (options: { firmName?: string; baseUrl?: string }) => {
      const { initFirm, normaliseBaseUrl } = await import('../../core/clients/index.js')
      // Check the input before anything is created: a refused init leaves no file behind.
      if (options.baseUrl !== undefined) normaliseBaseUrl(options.baseUrl)
      const { secretFile } = context.config()
      const keyExisted = existsSync(secretFile)

      ensurePrivateDir(context.config().dataDir)
      const { db, created, version, location } = await context.initDatabase()
      context.secretKey({ create: true })
      const signing = await context.signingKeys({ create: true })
      const { syncTree } = await import('../../core/access-log/index.js')
      await syncTree(db)
      const firm = await initFirm(db, { ...options, actor: context.actor })
      const out = context.out
      out.line(
        `${created ? 'created' : 'checked'} the database ${location} (schema version ${version})`,
      )
      out.line(`${keyExisted ? 'kept' : 'created'} the secret key file ${secretFile}`)
      out.line(`${signing.created ? 'created' : 'kept'} the signing key file ${signing.path} (key ${signing.current.id})`)
      if (!keyExisted && !created) {
        out.note(
          'warning: a new secret key was created for an existing database: earlier login and document links no longer work',
        )
      }
      if (firm.created)
        out.line(`created the firm options: ${firm.options.firmName}, ${firm.options.baseUrl}`)
      else if (firm.changed.length > 0)
        out.line(`updated the firm options: ${firm.changed.join(', ')}`)
      else out.line('the firm options were already set')
    })
}
