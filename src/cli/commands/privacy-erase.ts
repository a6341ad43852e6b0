import type { Command } from 'commander'
import type { CliContext } from '../context.js'

// `confi privacy erase` (docs/privacy.md).

export function registerPrivacyErase(privacy: Command, context: CliContext): void {
  void privacy
  void context
}
