import { accessLogHash, CANONICAL_FIELDS, CANONICAL_FIELDS_V2, PERSONAL_FIELDS } from '../access-log/chain/row.js'
import { commitmentMismatches } from '../access-log/chain/format-v2.js'
import { rootFromInclusionProof, rowLeafHash } from '../access-log/tree/merkle.js'
import { checkpointText } from './checkpoints.js'
import { canonicalReceiptJson } from './canonical-json.js'
import { verifySignature, type PublicKeyInfo } from './keys.js'
import { PUBLICATION_KINDS, receiptSignedText, receiptUrl, type AnyReceipt, type Receipt, type ReceiptRow, type ReceiptV1 } from './receipt-format.js'

// Checking a receipt with no database (docs/receipts.md, "Verifying a receipt"): each claim in the
// order a reader relies on it, so that the first problem names the first claim that fails, and a
// summary made only of what was authenticated.

export interface ReceiptCheck {
  ok: boolean
  /** What fails, one sentence each, the first failing claim first; empty when ok. */
  problems: string[]
  /** What the receipt proves, when ok: its first line. */
  summary: string
  /** What else it proves, one line each, when ok. */
  details: string[]
}

const ACCESS_KINDS = ['view', 'download']

/**
 * Checks a receipt with no database against `trusted` (the firm's published keys; the key inside
 * the receipt is never trusted by itself). Version 2: every claim (docs/receipts.md); version 1:
 * its rows and checkpoint only, which is all it signed.
 */
export function verifyReceipt(receipt: AnyReceipt, trusted: readonly PublicKeyInfo[]): ReceiptCheck {
  const problems: string[] = []
  checkCheckpoint(receipt, trusted, problems)
  const version2 = receipt.version === 2
  for (const row of version2 ? [...receipt.publications, ...receipt.rows] : receipt.rows) checkRow(row, receipt.checkpoint, problems)
  if (!version2) return { ok: problems.length === 0, problems, ...summaryV1(receipt) }
  checkPublications(receipt, problems)
  checkAccesses(receipt, problems)
  if (receipt.url !== receiptUrl(receipt.firm.baseUrl, receipt.id)) {
    problems.push(`the receipt's url ${receipt.url} is not the firm's check page for it (${receiptUrl(receipt.firm.baseUrl, receipt.id)})`)
  }
  checkSignature(receipt, trusted, problems)
  return { ok: problems.length === 0, problems, ...summaryV2(receipt) }
}

/** The checkpoint's signature, by a trusted key (a protocol's too). */
export function checkCheckpoint(receipt: Pick<AnyReceipt, 'checkpoint'>, trusted: readonly PublicKeyInfo[], problems: string[]): void {
  const c = receipt.checkpoint
  const key = trusted.find((k) => k.id === c.keyId)
  if (!key) problems.push(`unknown key: the checkpoint is signed by key ${c.keyId}, which is not among the trusted public keys`)
  else if (!verifySignature(key.publicKey, checkpointText(c), c.signature)) {
    problems.push(`bad signature: checkpoint ${c.id} was not signed by key ${c.keyId} as it stands`)
  }
}

// The row's hash from its fields, each personal value against its commitment, and its inclusion
// proof to the checkpoint's root (leaf index below the tree size first: RFC 9162 2.1.3.2).
export function checkRow(row: ReceiptRow, c: AnyReceipt['checkpoint'], problems: string[]): void {
  const wrongType = mistypedField(row)
  if (wrongType) {
    problems.push(`malformed row: access-log row ${row.id}: its ${wrongType}`)
    return
  }
  const id = Number(row.id)
  if (!Number.isSafeInteger(id) || id < 1 || id > Number(c.treeSize)) {
    problems.push(`wrong proof: row ${row.id} is not proven to be in the checkpoint's tree of ${c.treeSize} rows (its leaf index is not below the tree size)`)
    return
  }
  if (accessLogHash(row, row.prev_hash) !== row.hash) {
    problems.push(`edited row: access-log row ${id} does not match its hash`)
    return
  }
  // Format 2: each personal value shown must be the one the row's hash committed to.
  const wrong = Number(row.format) === 2 ? commitmentMismatches(row) : []
  if (wrong.length > 0) problems.push(`edited value: the ${wrong.join(', ')} of access-log row ${id} do not match their commitments`)
  const proof = (Array.isArray(row.proof) ? row.proof : []).map((h) => Buffer.from(String(h), 'hex'))
  if (!rootFromInclusionProof(id - 1, c.treeSize, rowLeafHash(row.hash), proof)?.equals(Buffer.from(String(c.rootHash), 'hex'))) {
    problems.push(`wrong proof: row ${id} is not proven to be in the checkpoint's tree of ${c.treeSize} rows`)
  }
}

// The hash takes an integer as its decimal text, so 443 and "443" hash alike: the JSON type is what
// the docs fix (docs/access-log.md, "Test vectors": integers are JSON numbers, text is strings).
const INTEGER_FIELDS = new Set(['id', 'document_id', 'attachment_id', 'client_id', 'user_id', 'delivery_id', 'port'])
const TYPED_FIELDS = [...new Set([...CANONICAL_FIELDS, ...CANONICAL_FIELDS_V2, ...PERSONAL_FIELDS])]

function mistypedField(row: ReceiptRow): string | null {
  for (const field of TYPED_FIELDS) {
    const value = row[field]
    if (value === null || value === undefined) continue
    if (INTEGER_FIELDS.has(field) ? !(Number.isSafeInteger(value) && Number(value) >= 0) : typeof value !== 'string') {
      return `${field} is ${JSON.stringify(value)}, not ${INTEGER_FIELDS.has(field) ? 'an integer' : 'text'}`
    }
  }
  return null
}

const ascending = (ids: number[]) => ids.every((id, i) => i === 0 || id > ids[i - 1])

/** The header against the newest publication row: title, category, dates, amount and every file. */
function checkPublications(receipt: Receipt, problems: string[]): void {
  const { document, client } = receipt
  for (const [i, row] of receipt.publications.entries()) {
    if (Number(row.format) !== 2 || !(PUBLICATION_KINDS as readonly string[]).includes(String(row.kind))) {
      problems.push(`row ${row.id} placed among the publications is not a document.published or document.changed row`)
      return
    }
    // docs/receipts.md: the publication first, then its changes; a document is published once.
    if ((i === 0) !== (row.kind === 'document.published')) {
      problems.push(`row ${row.id} (${row.kind}) is out of place: the publications open with the one document.published row, then document.changed rows`)
      return
    }
    if (row.document_id !== document.id || row.client_id !== client.id) {
      problems.push(`row ${row.id} (${row.kind}) is of document ${row.document_id} of client ${row.client_id}, not of document ${document.id} of client ${client.id}`)
      return
    }
  }
  if (!ascending(receipt.publications.map((r) => Number(r.id)))) problems.push('the publication rows are out of order')
  const newest = receipt.publications.at(-1)
  if (!newest) return
  let details: Record<string, unknown>
  try {
    details = JSON.parse(String(newest.details)) as Record<string, unknown>
  } catch {
    problems.push(`row ${newest.id} (${newest.kind}) has unreadable details`)
    return
  }
  const where = `the ${newest.kind} row ${newest.id}`
  const same = (a: unknown, b: unknown) => canonicalReceiptJson(a ?? null) === canonicalReceiptJson(b ?? null)
  const claims: [string, unknown, unknown][] = [
    ['title', document.title, details.title],
    ['category', document.category, details.category],
    ['competência', document.competence, details.competence],
    ['due date', document.dueDate, details.due_date],
    ['amount', document.amountCents, details.amount_cents],
    [
      'file list',
      document.files.map((f) => [f.id, f.name, f.mediaType, f.size, f.sha256]),
      ((details.files ?? []) as Record<string, unknown>[]).map((f) => [f.attachment_id, f.name, f.media_type, f.size, f.sha256]),
    ],
  ]
  for (const [claim, shown, logged] of claims) {
    if (!same(shown, logged)) problems.push(`the receipt's ${claim} does not match ${where}`)
  }
}

/** Every access row is of the document, its client and the receipt's scope, and the list is whole. */
function checkAccesses(receipt: Receipt, problems: string[]): void {
  const { document, client } = receipt
  const files = new Set(document.files.map((f) => f.id))
  for (const row of receipt.rows) {
    const kind = Number(row.format) === 2 ? row.kind : row.action
    let wrong: string | null = null
    if (!ACCESS_KINDS.includes(String(kind))) wrong = `is a ${kind} row, not an access`
    else if (row.document_id !== document.id) wrong = `is an access to document ${row.document_id}, not to document ${document.id}`
    else if (row.client_id !== client.id) wrong = `is of client ${row.client_id}, not of the receipt's client ${client.id}`
    else if (receipt.userId !== null && row.user_id !== receipt.userId) wrong = `is not an access of user ${receipt.userId}, whose receipt this is`
    else if (receipt.deliveryId !== null && row.delivery_id !== receipt.deliveryId) wrong = `is not an access through delivery ${receipt.deliveryId}`
    else if (row.attachment_id !== null && !files.has(Number(row.attachment_id))) wrong = `downloads attachment ${row.attachment_id}, which is not a file of the document`
    if (wrong) problems.push(`access-log row ${row.id} ${wrong}`)
  }
  const shown = receipt.rows.map((r) => Number(r.id))
  const listed = receipt.rowIds.map(Number)
  if (!ascending(shown)) problems.push('the access rows are out of order or repeated')
  const missing = listed.filter((id) => !shown.includes(id))
  const extra = shown.filter((id) => !listed.includes(id))
  if (missing.length > 0) problems.push(`row ${missing[0]} of the receipt's list of every access is missing from its rows${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}`)
  if (extra.length > 0) problems.push(`row ${extra[0]} is not in the receipt's list of every access`)
}

function checkSignature(receipt: Receipt, trusted: readonly PublicKeyInfo[], problems: string[]): void {
  const s = receipt.signature
  const key = trusted.find((k) => k.id === s.keyId)
  if (!key) {
    problems.push(`unknown key: the receipt is signed by key ${s.keyId}, which is not among the trusted public keys`)
    return
  }
  let text: string
  try {
    text = receiptSignedText(receipt)
  } catch (error) {
    problems.push(`the receipt cannot be put in canonical form: ${(error as Error).message}`)
    return
  }
  if (!verifySignature(key.publicKey, text, s.value)) {
    problems.push(`bad signature: the firm's signature does not cover the receipt as it stands (its header, deliveries, dates, url or list of rows were changed after it was signed)`)
  }
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

function summaryV1(receipt: ReceiptV1): Pick<ReceiptCheck, 'summary' | 'details'> {
  const c = receipt.checkpoint
  return {
    summary:
      `version 1: ${plural(receipt.rows.length, 'access-log row')} (${receipt.rows.map((r) => r.id).join(', ') || 'none'}) ` +
      `in the access log as signed at ${c.at} (checkpoint ${c.id}, ${c.treeSize} rows, key ${c.keyId})`,
    details: [
      'a version-1 receipt signs nothing else: its document, files, client, firm, deliveries and dates are not verified, and rows may have been left out',
    ],
  }
}

function summaryV2(receipt: Receipt): Pick<ReceiptCheck, 'summary' | 'details'> {
  const { document: d, client, checkpoint: c } = receipt
  const whose = receipt.userId !== null ? ` by user ${receipt.userId}` : ''
  const through = receipt.deliveryId !== null ? ` through delivery ${receipt.deliveryId}` : ''
  const details = [
    `signed by ${receipt.firm.name} (${receipt.firm.baseUrl}, key ${receipt.signature.keyId}) on ${receipt.issuedAt}; check page ${receipt.url}`,
    `${client.name} (${client.taxId}), client ${client.id}`,
  ]
  const newest = receipt.publications.at(-1)
  const source = newest
    ? `as the log recorded them (${receipt.publications.map((r) => `${r.kind} row ${r.id}`).join(', ')})`
    : 'as the firm states them in this signed receipt: the document was filed before the log recorded publications, so no log row proves them'
  details.push(`document ${d.id} "${d.title}" (${d.category}, competência ${d.competence ?? '-'}, due ${d.dueDate ?? '-'}); its files ${source}:`)
  for (const f of d.files) details.push(`  ${f.name} (${f.mediaType}, ${f.size} bytes, SHA-256 ${f.sha256})`)
  details.push(
    `every access${whose}${through} up to row ${c.treeSize}: ${receipt.rowIds.length === 0 ? 'none' : `rows ${receipt.rowIds.join(', ')}`}`,
  )
  for (const x of receipt.deliveries) {
    const to = x.recipientWithheld ? ' (to someone else: address left out)' : x.recipient ? ` to ${x.recipient}` : ''
    const accepted = x.acceptedByMailServerAt ? `; the mail server accepted it at ${x.acceptedByMailServerAt} (${x.mailServerReply ?? 'no reply recorded'})` : ''
    details.push(`delivery ${x.id} by ${x.channel}${to} on ${x.createdAt}${accepted}${x.revokedAt ? `; revoked ${x.revokedAt}` : ''}`)
  }
  const erased = receipt.rows.reduce((n, r) => n + erasedFields(r).length, 0)
  if (erased > 0) details.push(`${plural(erased, 'personal value')} erased (LGPD): their commitments stay in the rows, which still verify`)
  return {
    summary:
      `${plural(receipt.rows.length, 'access', 'accesses')} of document ${d.id} ("${d.title}", ${client.name}) are in the access log of ${receipt.firm.name} ` +
      `as signed at ${c.at} (checkpoint ${c.id}, ${c.treeSize} rows, key ${c.keyId})`,
    details,
  }
}

/** The personal fields of a format-2 row whose value and salt were erased (the commitment stays). */
export function erasedFields(row: ReceiptRow): readonly string[] {
  if (Number(row.format) !== 2) return []
  return PERSONAL_FIELDS.filter(
    (f) => row[`${f}_commitment`] != null && row[f] == null && row[`${f}_salt`] == null,
  )
}
