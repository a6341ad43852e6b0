import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { registerPrivacyErase } from './privacy-erase.js'
import { registerPrivacyRead } from './privacy-read.js'

// `confi privacy`: answering a data subject under the LGPD (docs/privacy.md).

export function registerPrivacy(program: Command, context: CliContext): void {
  const privacy = program
    .command('privacy')
    .description("a person's data under the LGPD: where it is, an export of it, its erasure")
  registerPrivacyRead(privacy, context)
  registerPrivacyErase(privacy, context)
}
