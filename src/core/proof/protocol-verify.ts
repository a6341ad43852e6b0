import { canonicalReceiptJson } from './canonical-json.js'
import { verifySignature, type PublicKeyInfo } from './keys.js'
import { commitmentMismatches } from '../access-log/chain/format-v2.js'
import {
  isProtocolJson,
  parseProtocol,
  PROTOCOL_KINDS,
  protocolSignedText,
  WITHHELD_FIELDS,
  WITHHELD_REASON,
  withheldFields,
  type Protocol,
} from './protocol-format.js'
import { parseReceipt, receiptUrl, type AnyReceipt } from './receipt-format.js'
import { checkCheckpoint, checkRow, erasedFields, plural, verifyReceipt, type ReceiptCheck } from './receipt-verify.js'
import { ValidationError } from '../errors.js'

// Checking a protocolo de envio with no database (docs/receipts.md, "Protocolo de envio"): the
// checkpoint, the row and its proof as for a receipt; then that the row is the act the protocol
// names (kind, client, ids, the files' SHA-256, size and media type in order); that each value
// the body says is withheld is left out of the row; then the url and the firm's signature over the
// whole. The summary holds only what was authenticated.

/** A receipt or a protocol, read from its JSON text. */
export function parseAnyReceipt(text: string): AnyReceipt | Protocol {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new ValidationError('not a receipt: the JSON cannot be read')
  }
  return isProtocolJson(value) ? parseProtocol(value) : parseReceipt(text)
}

/** verifyReceipt or verifyProtocol, whichever `receipt` is. */
export function verifyAnyReceipt(receipt: AnyReceipt | Protocol, trusted: readonly PublicKeyInfo[]): ReceiptCheck {
  return receipt.type === 'confi-protocol' ? verifyProtocol(receipt, trusted) : verifyReceipt(receipt, trusted)
}

export function verifyProtocol(protocol: Protocol, trusted: readonly PublicKeyInfo[]): ReceiptCheck {
  const problems: string[] = []
  checkCheckpoint(protocol, trusted, problems)
  checkRow(protocol.row, protocol.checkpoint, problems)
  checkAct(protocol, problems)
  checkWithheld(protocol, problems)
  if (protocol.url !== receiptUrl(protocol.firm.baseUrl, protocol.id)) {
    problems.push(`the protocol's url ${protocol.url} is not the firm's check page for it (${receiptUrl(protocol.firm.baseUrl, protocol.id)})`)
  }
  checkSignature(protocol, trusted, problems)
  return { ok: problems.length === 0, problems, ...summary(protocol) }
}

const same = (a: unknown, b: unknown) => {
  try {
    return canonicalReceiptJson(a ?? null) === canonicalReceiptJson(b ?? null)
  } catch {
    return false
  }
}

/** The row is the act: its kind, client, ids and details are the protocol's body. */
function checkAct(p: Protocol, problems: string[]): void {
  const row = p.row
  const kind = PROTOCOL_KINDS[p.subject]
  if (Number(row.format) !== 2 || row.kind !== kind) {
    problems.push(`row ${row.id} is a ${String(row.kind ?? row.action)} row, not the ${kind} row a protocol of ${p.subject === 'upload' ? 'an upload' : p.subject === 'paid' ? 'a paid mark' : '"nada a enviar"'} rests on`)
    return
  }
  if (row.client_id !== p.client.id) {
    problems.push(`row ${row.id} (${kind}) is of client ${row.client_id}, not of the protocol's client ${p.client.id}`)
    return
  }
  let details: Record<string, unknown>
  try {
    details = JSON.parse(String(row.details)) as Record<string, unknown>
  } catch {
    problems.push(`row ${row.id} (${kind}) has unreadable details`)
    return
  }
  const where = `the ${kind} row ${row.id}`
  const claims: [string, unknown, unknown][] = []
  const none = (name: string, value: unknown) => value !== null && problems.push(`a protocol of ${p.subject} holds no ${name}`)
  if (p.subject === 'upload') {
    none('payment', p.payment)
    if (!p.upload) return void problems.push('the protocol of an upload lacks the upload')
    claims.push(
      ['upload', p.upload.id, details.upload_id],
      ['request', p.request?.id ?? null, details.request_id],
      ['category', p.upload.category, details.category],
      [
        'file list',
        (p.upload.files ?? []).map((f) => [f.id, f.mediaType, f.size, f.sha256]),
        ((details.files ?? []) as Record<string, unknown>[]).map((f) => [f.file_id, f.media_type, f.size, f.sha256]),
      ],
    )
  } else if (p.subject === 'nothing_to_send') {
    none('upload', p.upload)
    none('payment', p.payment)
    if (!p.request) return void problems.push('the protocol of a "nada a enviar" lacks the request')
    claims.push(['request', p.request.id, details.request_id], ['request title', p.request.title, details.title], ['competência', p.request.competence, details.competence])
  } else {
    none('upload', p.upload)
    none('request', p.request)
    if (!p.payment) return void problems.push('the protocol of a paid mark lacks the payment')
    claims.push(
      ['guide', p.payment.document?.id, row.document_id],
      ['payment date', p.payment.paidOn, details.paid_on],
      ['payer', p.payment.by, details.by],
      ['proof upload', p.payment.proofUploadId, details.proof_upload_id],
    )
  }
  for (const [claim, shown, logged] of claims) {
    if (!same(shown, logged)) problems.push(`the protocol's ${claim} does not match ${where}`)
  }
}

/**
 * A `withheld` is one the firm issues (a non-empty list of distinct fields of WITHHELD_FIELDS, the
 * reason of version 1), and each field it names is in the row's commitments with neither value nor
 * salt: a list naming a value the row holds contradicts itself (docs/receipts.md, "Values withheld
 * from a colleague").
 */
function checkWithheld(p: Protocol, problems: string[]): void {
  if (!('withheld' in p)) return
  const w = p.withheld as { fields?: unknown; reason?: unknown } | null
  const fields = w?.fields
  if (typeof w !== 'object' || w === null || !Array.isArray(fields) || fields.length === 0 || w.reason !== WITHHELD_REASON) {
    return void problems.push(`the protocol's list of withheld values is not one a protocol holds (a non-empty "fields" list and the reason "${WITHHELD_REASON}")`)
  }
  const row = p.row
  for (const [i, f] of fields.entries()) {
    if (!(WITHHELD_FIELDS as readonly unknown[]).includes(f) || fields.indexOf(f) !== i) {
      problems.push(`the protocol's withheld list names ${JSON.stringify(f)}, which a protocol does not withhold, or names it twice`)
    } else if (row[`${f}_commitment`] == null) {
      problems.push(`the protocol lists the ${f} as withheld, but access-log row ${row.id} has no ${f}`)
    } else if (row[f] != null || row[`${f}_salt`] != null) {
      problems.push(`the protocol lists the ${f} as withheld, but access-log row ${row.id} holds it`)
    }
  }
}

function checkSignature(p: Protocol, trusted: readonly PublicKeyInfo[], problems: string[]): void {
  const s = p.signature
  const key = trusted.find((k) => k.id === s.keyId)
  if (!key) return void problems.push(`unknown key: the protocol is signed by key ${s.keyId}, which is not among the trusted public keys`)
  let text: string
  try {
    text = protocolSignedText(p)
  } catch (error) {
    return void problems.push(`the protocol cannot be put in canonical form: ${(error as Error).message}`)
  }
  if (!verifySignature(key.publicKey, text, s.value)) {
    problems.push(`bad signature: the firm's signature does not cover the protocol as it stands (its file names, note, request, company, dates or url were changed after it was signed)`)
  }
}

const WITHHELD_WORDS = "not included (another person's)"

/**
 * How the verifier words each personal value of the row: a value only when its commitment
 * authenticates it; one the body lists as withheld, never as a value, even if the row holds one.
 */
function personalWords(p: Protocol): (field: string) => string {
  const row = p.row
  const withheld = withheldFields(p)
  const erased = new Set(erasedFields(row))
  const wrong = new Set<string>(Number(row.format) === 2 ? commitmentMismatches(row) : [])
  return (f) => (withheld.has(f) ? WITHHELD_WORDS : erased.has(f) ? 'erased (LGPD)' : wrong.has(f) ? 'not verified' : String(row[f] ?? '-'))
}

/** "Ana Souza (ana.souza, user 4)", from the row's committed values; an erased one says so. */
export function senderOf(p: Protocol): string | null {
  if (p.row.user_id === null) return null
  const shown = personalWords(p)
  return `${shown('user_name')} (${shown('username')}, user ${p.row.user_id})`
}

function summary(p: Protocol): Pick<ReceiptCheck, 'summary' | 'details'> {
  const { row, client, checkpoint: c } = p
  const who = senderOf(p)
  const by = who ? ` by ${who}` : ' by the firm'
  const acts = {
    upload: `${plural(p.upload?.files?.length ?? 0, 'file')} of upload ${p.upload?.id} received from ${client.name} at ${row.at}${by}`,
    nothing_to_send: `"nada a enviar" for request ${p.request?.id} ("${p.request?.title}") answered for ${client.name} at ${row.at}${by}`,
    paid: `guide ${p.payment?.document?.id} ("${p.payment?.document?.title}") of ${client.name} marked paid on ${p.payment?.paidOn} at ${row.at}${by}`,
  }
  const details = [
    `signed by ${p.firm.name} (${p.firm.baseUrl}, key ${p.signature.keyId}) on ${p.issuedAt}; check page ${p.url}`,
    `${client.name} (${client.taxId}), client ${client.id}`,
  ]
  const value = personalWords(p)
  if (row.user_id !== null) details.push(`from IP ${value('ip')}, port ${value('port')}, browser ${value('user_agent')}`)
  if (p.upload) {
    details.push(`its files, SHA-256, size and media type as the log recorded them (names as the firm signed them):`)
    for (const f of p.upload.files) details.push(`  ${f.name} (${f.mediaType}, ${f.size} bytes, SHA-256 ${f.sha256})`)
    details.push(`category ${p.upload.category ?? '-'}`)
  }
  if (p.request) details.push(`request ${p.request.id} "${p.request.title}" (competência ${p.request.competence ?? '-'})`)
  if (p.payment) {
    const d = p.payment.document
    details.push(`guide ${d.id} "${d.title}" (competência ${d.competence ?? '-'}, due ${d.dueDate ?? '-'}); proof: ${p.payment.proofUploadId === null ? 'none' : `upload ${p.payment.proofUploadId}`}`)
  }
  if (p.subject !== 'paid') details.push(`note as the firm signed it: ${p.note === null ? 'none' : JSON.stringify(p.note)}`)
  const withheld = withheldFields(p)
  if (withheld.size > 0) {
    details.push(
      `${plural(withheld.size, 'personal value')} not included (${WITHHELD_FIELDS.filter((f) => withheld.has(f)).join(', ')}): another person's, given only to them and the firm; their commitments stay in the row, which still verifies`,
    )
  }
  const erased = erasedFields(row).filter((f) => !withheld.has(f))
  if (erased.length > 0) details.push(`${plural(erased.length, 'personal value')} erased (LGPD): their commitments stay in the row, which still verifies`)
  return {
    summary: `${acts[p.subject]}; ${PROTOCOL_KINDS[p.subject]} row ${row.id} is in the access log of ${p.firm.name} as signed at ${c.at} (checkpoint ${c.id}, ${c.treeSize} rows, key ${c.keyId})`,
    details,
  }
}
