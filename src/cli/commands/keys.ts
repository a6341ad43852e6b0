import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { formatTime } from '../output.js'

/** `confi keys ...`: the firm's Ed25519 signing keys (checkpoints and receipts). */
export function registerKeys(program: Command, context: CliContext): void {
  const keys = program.command('keys').description("the firm's signing keys (checkpoints and receipts)")

  keys
    .command('show')
    .description('print the public signing keys, current first: publish them on the firm site')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi keys show --json')
    .action(async (options: { json?: boolean }) => {
      const signing = await context.signingKeys()
      const all = [...signing.all].reverse()
      if (options.json) return context.out.json({ current: signing.current.id, keys: all })
      context.out.line(`current key ${signing.current.id}: ${signing.current.publicKey}`)
      context.out.table(all, [
        { header: 'Key ID', value: (k) => k.id },
        { header: 'Public key (Ed25519, base64)', value: (k) => k.publicKey },
        { header: 'Created', value: (k) => formatTime(k.createdAt) },
        { header: 'Retired', value: (k) => formatTime(k.retiredAt) },
      ])
    })

  keys
    .command('rotate')
    .description('make a new signing key; old public keys stay in the file to verify what they signed')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi keys rotate')
    .action(async (options: { json?: boolean }) => {
      await context.signingKeys()
      const { rotateSigningKeys } = await import('../../core/proof/index.js')
      const signing = rotateSigningKeys(context.config().signingKeyFile)
      if (options.json) return context.out.json({ current: signing.current.id, keys: [...signing.all].reverse() })
      context.out.line(`new signing key ${signing.current.id}: ${signing.current.publicKey}`)
      context.out.note(
        `publish it beside the old one; running portals sign their next checkpoint with it (every instance shares this file)`,
      )
    })
}
