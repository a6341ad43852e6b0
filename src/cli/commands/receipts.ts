import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { ConfiError, ValidationError } from '../../core/errors.js'
import { countOf } from '../../core/plural.js'
import type { CliContext } from '../context.js'
import type { PublicKeyInfo } from '../../core/proof/index.js'
import { writeAtomically } from './docs-proof.js'
import { integer } from './parse.js'

const collect = (value: string, previous: string[]) => [...previous, value]

/**
 * `confi receipts verify FILE`: checks a receipt or protocol offline, with no database.
 * `confi receipts protocol`: the firm's copy of a protocolo de envio.
 */
export function registerReceipts(program: Command, context: CliContext): void {
  const receipts = program.command('receipts').description('receipts (comprovantes) of deliveries and accesses')

  receipts
    .command('verify')
    .description("check a receipt or a protocolo de envio (PDF or JSON) offline: the firm's signature, the rows, their proofs and the checkpoint; print only what it proves")
    .argument('<file>', 'the receipt (comprovante-N.pdf) or protocol (protocolo-N.pdf), or its JSON')
    .option('--public-key <key>', "a public key to trust (base64, from 'confi keys show'); repeat for several", collect, [])
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Without --public-key, the keys of the firm's signing key file are trusted (on the firm's machine).
The key embedded in the receipt is never trusted by itself.

Example:
  $ confi receipts verify comprovante-7.pdf --public-key 3n1Qb2sX0v9mJq8w7YH4tR6eLkA5cZ2uVfP0gN1iOyE=`,
    )
    .action(async (file: string, options: { publicKey: string[]; json?: boolean }) => {
      const {
        keyIdOf,
        loadPublicKeys,
        publicKeyFromBase64,
        parseAnyReceipt,
        verifyAnyReceipt,
      } = await import('../../core/proof/index.js')
      const trusted: PublicKeyInfo[] = options.publicKey.map((key) => {
        publicKeyFromBase64(key)
        return { id: keyIdOf(Buffer.from(key, 'base64')), publicKey: key, createdAt: '', retiredAt: null }
      })
      if (trusted.length === 0) {
        const own = loadPublicKeys(context.config().signingKeyFile)
        if (!own) {
          throw new ValidationError("no public key to check the signature against: pass --public-key (the firm publishes it; 'confi keys show' prints it)")
        }
        trusted.push(...own)
      }
      const path = resolve(context.deps.cwd, file)
      let bytes: Buffer
      try {
        bytes = readFileSync(path)
      } catch (error) {
        throw new ValidationError(`cannot read ${path} (${(error as NodeJS.ErrnoException).code}): check the path`)
      }
      let text = bytes.toString('utf8')
      if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') {
        const { extractReceiptJson } = await import('../../core/proof/receipt-pdf/index.js')
        text = await extractReceiptJson(bytes)
      }
      const receipt = parseAnyReceipt(text)
      const check = verifyAnyReceipt(receipt, trusted)
      if (options.json) context.out.json(check)
      const what = receipt.type === 'confi-protocol' ? 'protocol' : 'receipt'
      if (!check.ok) {
        const more = check.problems.length - 1
        const rest = more > 0 ? ` (and ${countOf(more, 'more problem')}: --json lists them)` : ''
        throw new ConfiError(`the ${what} does not verify: ${check.problems[0]}${rest}`)
      }
      if (options.json) return
      // Only what was authenticated: a version-1 receipt's header is not, so it is not printed.
      context.out.line(`${what} ${receipt.id} verified: ${check.summary}`)
      for (const line of check.details) context.out.line(line)
    })

  receipts
    .command('protocol')
    .description('the protocolo de envio of what a client sent (an upload, a "nada a enviar", a paid mark): a PDF anyone can verify offline')
    .option('--upload <id>', 'the protocol of this upload (confi inbox list)', integer('--upload', 1))
    .option('--request <id>', 'the protocol of this request\'s "nada a enviar"', integer('--request', 1))
    .option('--paid <doc>', 'the protocol of this guide\'s paid mark', integer('--paid', 1))
    .option('--output <file>', 'where to write the PDF (default: protocolo-<upload|request|paid>-ID.pdf, never overwritten)')
    .option('--json', 'print the protocol JSON (the same that the PDF carries as an attachment)')
    .addHelpText('after', '\nExamples:\n  $ confi receipts protocol --upload 42 --output protocolo-42.pdf\n  $ confi receipts protocol --request 7 --json > protocolo.json')
    .action(async (options: { upload?: number; request?: number; paid?: number; output?: string; json?: boolean }) => {
      const chosen = (['upload', 'request', 'paid'] as const).filter((k) => options[k] !== undefined)
      if (chosen.length !== 1) throw new ValidationError('name what the protocol is of: exactly one of --upload ID, --request ID or --paid DOC')
      const which = chosen[0]
      const id = options[which]!
      const output = options.output ?? (options.json ? undefined : `protocolo-${which}-${id}.pdf`)
      const path = output ? resolve(context.deps.cwd, output) : undefined
      if (path && !options.output && existsSync(path)) throw new ValidationError(`${path} already exists: choose another file with --output`)
      const proof = await import('../../core/proof/index.js')
      const { renderProtocolPdf } = await import('../../core/proof/receipt-pdf/index.js')
      const db = await context.db()
      const keys = await context.signingKeys()
      const issue = { upload: proof.issueUploadProtocol, request: proof.issueNothingToSendProtocol, paid: proof.issuePaidProtocol }[which]
      const protocol = await issue(db, keys, context.actor, id)
      if (path) await writeAtomically(path, await renderProtocolPdf(protocol))
      if (options.json) context.out.json(protocol)
      if (path) context.out.note(`protocol ${protocol.id} of ${which} ${id} (access-log row ${protocol.row.id}), written to ${path}`)
    })
}
