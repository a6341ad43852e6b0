import { chmodSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { PRIVATE_FILE_MODE } from '../../core/file-modes.js'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { ConfiError, ValidationError } from '../../core/errors.js'
import { InvalidArgumentError } from 'commander'
import type { CliContext } from '../context.js'
import { formatTime } from '../output.js'
import { progressLine } from '../progress.js'
import { integer } from './parse.js'

/** Parses --expect-head ID:HASH (the hash may be shortened to 8 or more hex digits). */
function expectHead(value: string): { id: number; hash: string } {
  const match = /^(\d+):([0-9a-fA-F]{8,64})$/.exec(value)
  if (!match || !Number.isSafeInteger(Number(match[1])) || Number(match[1]) < 1) {
    throw new InvalidArgumentError(`--expect-head takes ID:HASH (a row id and its hash, 8 to 64 hex digits), not '${value}'`)
  }
  return { id: Number(match[1]), hash: match[2].toLowerCase() }
}

/** `confi docs checkpoint`, `docs verify`, `docs consistency`, `docs receipt`: the evidence side of the access log. */
export function registerDocsProof(docs: Command, context: CliContext): void {
  docs
    .command('checkpoint')
    .description('sign the current head of the access log now (confi serve does it every minute)')
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExample:\n  $ confi docs checkpoint --json')
    .action(async (options: { json?: boolean }) => {
      const { createCheckpoint, checkpointText } = await import('../../core/proof/index.js')
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
      const { verifyLogWithCheckpoints, loadPublicKeys, readWitness } = await import('../../core/proof/index.js')
      // Without the key file every checkpoint reports its key as unknown; the chain still verifies.
      const keyFile = context.config().signingKeyFile
      const keys = loadPublicKeys(keyFile) ?? []
      const db = await context.db()
      const progress = options.json ? null : progressLine(context.deps.stderr, { unit: 'rows', label: 'verifying: ' })
      const result = await verifyLogWithCheckpoints(db, keys, {
        expectHead: options.expectHead,
        witness: readWitness(keyFile),
        onProgress: progress?.update,
        target: context.config().database,
      }).finally(() => progress?.done())
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

  docs
    .command('consistency')
    .description('prove that the log of TO rows extends the log of FROM rows (an RFC 9162 consistency proof)')
    .argument('<from>', 'the older tree size (a checkpoint kept from a receipt or an e-mail)', integer('FROM', 1))
    .argument('[to]', 'the newer tree size (default: the newest checkpoint)', integer('TO', 1))
    .option('--json', 'print JSON for scripts')
    .addHelpText('after', '\nExamples:\n  $ confi docs consistency 48213\n  $ confi docs consistency 48213 50100 --json')
    .action(async (from: number, to: number | undefined, options: { json?: boolean }) => {
      const { consistencyBetween } = await import('../../core/proof/index.js')
      const answer = await consistencyBetween(await context.db(), from, to)
      if (options.json) return context.out.json(answer)
      context.out.line(`consistency proof from ${answer.from.size} to ${answer.to.size} rows (RFC 9162 2.1.4)`)
      for (const [label, head] of [['from', answer.from], ['to', answer.to]] as const) {
        const c = head.checkpoint
        const signed = c ? `checkpoint ${c.id} signed ${formatTime(c.at)} by key ${c.keyId}, signature ${c.signature}` : 'no checkpoint of this size'
        context.out.line(`${label} ${head.size} rows: root ${head.root} (${signed})`)
      }
      answer.proof.forEach((hash, i) => context.out.line(`proof ${i + 1}: ${hash}`))
    })

  docs
    .command('receipt')
    .description("the receipt (comprovante) of a document's deliveries and accesses: a PDF anyone can verify offline")
    .argument('<doc>', 'document id')
    .option('--delivery <id>', 'only this delivery of the document and the accesses through it', integer('--delivery', 1))
    .option('--output <file>', 'where to write the PDF (default: comprovante-DOC.pdf, never overwritten)')
    .option('--json', 'print the receipt JSON (the same that the PDF carries as an attachment)')
    .addHelpText('after', '\nExamples:\n  $ confi docs receipt 7 --output comprovante-7.pdf\n  $ confi docs receipt 7 --delivery 12 --json > comprovante-7.json')
    .action(async (ref: string, options: { delivery?: number; output?: string; json?: boolean }) => {
      const { resolveDocument } = await import('../../core/documents/index.js')
      const { issueReceipt } = await import('../../core/proof/index.js')
      const { renderReceiptPdf } = await import('../../core/proof/receipt-pdf/index.js')
      const db = await context.db()
      const keys = await context.signingKeys()
      const document = await resolveDocument(db, ref)
      const output = options.output ?? (options.json ? undefined : `comprovante-${document.id}.pdf`)
      const path = output ? resolve(context.deps.cwd, output) : undefined
      if (path && !options.output && existsSync(path)) {
        throw new ValidationError(`${path} already exists: choose another file with --output`)
      }
      const receipt = await issueReceipt(db, keys, context.actor, { documentId: document.id, deliveryId: options.delivery })
      if (path) await writeAtomically(path, await renderReceiptPdf(receipt))
      if (options.json) context.out.json(receipt)
      if (path) {
        context.out.note(
          `receipt ${receipt.id}: ${receipt.rows.length} access${receipt.rows.length === 1 ? '' : 'es'} of document ${document.id}, written to ${path}`,
        )
      }
    })
}

/**
 * Receipts and protocols name people with their IP addresses and browsers: 0600 whatever the
 * umask, like every export (docs/security.md, "Files on disk"). The firm hands a copy on.
 */
export async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const { tempNameFor, unwritable } = await import('../../core/storage/index.js')
  const temp = tempNameFor(path)
  try {
    writeFileSync(temp, bytes, { flag: 'wx', mode: PRIVATE_FILE_MODE })
    chmodSync(temp, PRIVATE_FILE_MODE)
    renameSync(temp, path)
  } catch (error) {
    rmSync(temp, { force: true })
    throw unwritable('--output', path, error)
  }
}
