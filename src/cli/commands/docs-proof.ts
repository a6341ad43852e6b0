import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import type { CliContext } from '../context.js'
import { formatTime } from '../output.js'

/** Parses --expect-head ID:HASH (the hash may be shortened to 8 or more hex digits). */
function expectHead(value: string): { id: number; hash: string } {
  const match = /^(\d+):([0-9a-fA-F]{8,64})$/.exec(value)
  if (!match || !Number.isSafeInteger(Number(match[1])) || Number(match[1]) < 1) {
    throw new InvalidArgumentError(`--expect-head takes ID:HASH (a row id and its hash, 8 to 64 hex digits), not '${value}'`)
  }
  return { id: Number(match[1]), hash: match[2].toLowerCase() }
}

/** `confi docs checkpoint`, `docs verify`, `docs receipt`: the evidence side of the access log. */
export function registerDocsProof(docs: Command, context: CliContext): void {
  docs
    .command('checkpoint')
    .description('sign the current head of the access log now (confi serve does it every minute)')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi docs checkpoint --json')
    .action(async (options: { json?: boolean }) => {
      const { createCheckpoint, checkpointText } = await import('../../core/proof/checkpoints.js')
      const checkpoint = (await createCheckpoint(await context.db(), await context.signingKeys()))!
      if (options.json) return context.out.json({ ...checkpoint, signedText: checkpointText(checkpoint) })
      context.out.line(
        `checkpoint ${checkpoint.id}: ${checkpoint.treeSize} rows, root ${checkpoint.rootHash}, key ${checkpoint.keyId}`,
      )
    })

  docs
    .command('verify')
    .description('check the access log chain and every signed checkpoint; exit 1 naming what is wrong')
    .option('--expect-head <id:hash>', 'also require this row with this hash (a head kept outside the database)', expectHead)
    .option('--json', 'print JSON for scripts')
    .addHelpText(
      'after',
      '\nExamples:\n  $ confi docs verify\n  $ confi docs verify --expect-head 48213:9f2c41d07a5be3e1',
    )
    .action(async (options: { json?: boolean; expectHead?: { id: number; hash: string } }) => {
      const { verifyLogWithCheckpoints } = await import('../../core/proof/checkpoints.js')
      const { ConfiError } = await import('../../core/errors.js')
      const keys = await context.signingKeys()
      const result = await verifyLogWithCheckpoints(await context.db(), keys.all, { expectHead: options.expectHead })
      if (options.json) context.out.json(result)
      if (!result.ok) {
        const more = result.problems.length - 1
        const rest = more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'}: 'confi docs verify --json' lists them)` : ''
        throw new ConfiError(`${result.problems[0]}${rest}`)
      }
      if (options.json) return
      const newest = result.newest
      const covered = newest
        ? `; ${result.checkpoints} checkpoint${result.checkpoints === 1 ? '' : 's'} verified, the newest covering ${newest.treeSize} rows (${formatTime(newest.at)})`
        : "; no checkpoint yet: 'confi docs checkpoint' signs one"
      context.out.line(`access log intact: ${result.rows} rows${covered}`)
      if (result.rows > 0) context.out.note(`head ${result.lastId}:${result.lastHash} (keep it elsewhere for --expect-head)`)
    })
}
