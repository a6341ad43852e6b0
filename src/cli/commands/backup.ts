import { resolve } from 'node:path'
import type { Command } from 'commander'
import { ConfiError, ValidationError } from '../../core/errors.js'
import type { CliContext } from '../context.js'
import { progressLine } from '../progress.js'

const BACKUP_STEPS = {
  copy: 'copying the database',
  integrity: 'checking the copy',
  'access-log': 'verifying the copy',
}

/** `confi backup FILE`: a consistent online copy of the database, checked (docs/rules.md#durability). */
export function registerBackup(program: Command, context: CliContext): void {
  program
    .command('backup')
    .description('copy the database while it is in use, then check the copy and its access log')
    .argument('<file>', 'the new backup file (never overwritten)')
    .addHelpText(
      'after',
      `
The attachments are files under the data directory (files/); copy that folder too.

Example:
  $ confi backup /backups/confi-2026-11-29.db`,
    )
    .action(async (file: string) => {
      const { backupDatabase } = await import('../../core/ops/index.js')
      const database = context.config().database
      if (database.kind !== 'sqlite') {
        throw new ValidationError('confi backup copies SQLite databases; for PostgreSQL use pg_dump')
      }
      await context.db()
      const progress = progressLine(context.deps.stderr, { unit: 'rows' })
      const result = await backupDatabase(database.path, resolve(context.deps.cwd, file), {
        onStep: progress ? (step) => progress.phase(BACKUP_STEPS[step]) : undefined,
        onProgress: progress?.update,
      }).finally(() => progress?.done())
      if (!result.accessLog.ok) {
        throw new ConfiError(
          `backup written to ${result.path}, but its access log is broken at row ${result.accessLog.rowId}: ${result.accessLog.reason}`,
        )
      }
      context.out.line(
        `backup written to ${result.path} (${result.bytes} bytes): integrity ok, access log intact (${result.accessLog.rows} rows)`,
      )
    })
}
