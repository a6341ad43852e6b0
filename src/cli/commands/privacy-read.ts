import type { Command } from 'commander'
import type { CliContext } from '../context.js'

// `confi privacy find` and `confi privacy export` (docs/privacy.md).

export function registerPrivacyRead(privacy: Command, context: CliContext): void {
  void privacy
  void context
}
