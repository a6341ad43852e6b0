import { beforeEach, describe, expect, it } from 'vitest'
import { recordAccess } from '../../../src/core/access-log/chain/append.js'
import { logDocumentEvent } from '../../../src/core/access-log/chain/document-events.js'
import { accountant } from '../../../src/core/actors.js'
import { canonicalReceiptJson } from '../../../src/core/proof/canonical-json.js'
import { loadSigningKeys, type SigningKeys } from '../../../src/core/proof/keys.js'
import { accessLine, renderReceiptPdf } from '../../../src/core/proof/receipt-pdf/receipt-pdf.js'
import { receiptSignedText } from '../../../src/core/proof/receipt-format.js'
import { issueReceipt, verifyReceipt } from '../../../src/core/proof/receipts.js'
import { useTestDatabase } from '../../helpers/db.js'
import { makeClient, makeDocument, makeUser } from '../../helpers/factories.js'

const t = useTestDatabase({ firm: true })
let keys: SigningKeys
let clientId: number
beforeEach(async () => {
  keys = loadSigningKeys(t.config.signingKeyFile, { create: true })
  clientId = (await makeClient(t.db, t.key)).id
})

const backend = process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'

describe(`receipts of version 2 on ${backend}`, () => {
  it('a document filed before the log recorded publications: no publication row, and the receipt says so plainly', async () => {
    const filed = await makeDocument(t, clientId)
    // As a release before log format 2 filed it: the document and its file, no document.published row.
    const old = await t.db
      .insertInto('documents')
      .values({ client_id: clientId, title: 'DAS 09/2026', category: 'fiscal', competence: '2026-09', due_date: null, amount_cents: null, created_at: '2026-10-01T00:00:00.000Z', created_by: 'cli:test' })
      .returning('id')
      .executeTakeFirstOrThrow()
    const source = await t.db.selectFrom('attachments').selectAll().where('document_id', '=', filed.id).executeTakeFirstOrThrow()
    const { id: _, ...file } = source
    await t.db.insertInto('attachments').values({ ...file, document_id: Number(old.id), file_name: 'das-09.pdf' }).execute()
    await recordAccess(t.db, { documentId: Number(old.id), clientId, channel: 'link', action: 'view', ip: '203.0.113.9' })
    const receipt = await issueReceipt(t.db, keys, accountant('test'), { documentId: Number(old.id) })
    expect(receipt.publications).toEqual([])
    const check = verifyReceipt(receipt, keys.all)
    expect(check).toMatchObject({ ok: true, problems: [] })
    expect(check.details).toContain(
      `document ${old.id} "DAS 09/2026" (fiscal, competência 2026-09, due -); its files as the firm states them in this signed receipt: the document was filed before the log recorded publications, so no log row proves them:`,
    )
    expect((await renderReceiptPdf(receipt)).length).toBeGreaterThan(1000)
    // Its header is still bound by the signature.
    expect(verifyReceipt({ ...receipt, document: { ...receipt.document, files: [] } }, keys.all).problems).toEqual([
      expect.stringMatching(/^bad signature: the firm's signature does not cover the receipt as it stands/),
    ])
  })

  it('personal values with their salts, each checked against its commitment; an erased one shows as "apagado (LGPD)" and still verifies', async () => {
    const doc = await makeDocument(t, clientId)
    const ana = await makeUser(t.db, { clientId, name: 'Ana Souza' })
    await recordAccess(t.db, { documentId: doc.id, clientId, channel: 'portal', action: 'view', ip: '203.0.113.9', port: 443, user: { id: ana.id, username: ana.username, name: ana.name } })
    const before = await issueReceipt(t.db, keys, accountant('test'), { documentId: doc.id })
    const row = before.rows[0]
    expect(row).toMatchObject({ format: 2, user_name: 'Ana Souza', ip: '203.0.113.9', port: 443, user_name_salt: expect.stringMatching(/^[0-9a-f]{32}$/) })
    expect(accessLine(row, new Map())).toMatch(/: Ana Souza \(\S+\) abriu o documento na Área do Cliente, IP 203\.0\.113\.9 \(registro nº \d+\)\.$/)
    // The user's name edited, or shown without its salt: refused.
    expect(verifyReceipt({ ...before, rows: [{ ...row, user_name: 'Beatriz' }] }, keys.all).problems[0]).toBe(`edited value: the user_name of access-log row ${row.id} do not match their commitments`)
    expect(verifyReceipt({ ...before, rows: [{ ...row, user_name_salt: null }] }, keys.all).problems[0]).toMatch(/^edited value: the user_name of/)

    // An erasure (LGPD) clears the value and its salt beside the row; the row and its commitment stay.
    await t.db.updateTable('access_log_personal').set({ user_name: null, user_name_salt: null, ip: null, ip_salt: null }).where('id', '=', Number(row.id)).execute()
    const after = await issueReceipt(t.db, keys, accountant('test'), { documentId: doc.id })
    const erased = after.rows[0]
    expect(erased).toMatchObject({ user_name: null, user_name_salt: null, ip: null, ip_salt: null, user_name_commitment: row.user_name_commitment, port: 443 })
    const check = verifyReceipt(after, keys.all)
    expect(check).toMatchObject({ ok: true, problems: [] })
    expect(check.details).toContain('2 personal values erased (LGPD): their commitments stay in the rows, which still verify')
    expect(accessLine(erased, new Map())).toMatch(/: apagado \(LGPD\) \(\S+\) abriu o documento na Área do Cliente, IP apagado \(LGPD\) \(registro nº \d+\)\.$/)
    expect(after.id).not.toBe(before.id)
  })

  it('a row integer written as text is refused, though its decimal text hashes alike (docs/access-log.md: integers are JSON numbers)', async () => {
    const doc = await makeDocument(t, clientId)
    await recordAccess(t.db, { documentId: doc.id, clientId, channel: 'link', action: 'view', ip: '203.0.113.9', port: 443 })
    const receipt = await issueReceipt(t.db, keys, accountant('test'), { documentId: doc.id })
    const row = receipt.rows[0]
    // Signed again as only the firm could: the signature then holds, and only the row's types differ.
    const resigned = (r: typeof receipt) => ({ ...r, signature: { keyId: keys.current.id, value: keys.sign(receiptSignedText(r)) } })
    expect(verifyReceipt(resigned(receipt), keys.all).problems).toEqual([])
    expect(verifyReceipt(resigned({ ...receipt, rows: [{ ...row, port: '443' }] }), keys.all).problems).toEqual([
      `malformed row: access-log row ${row.id}: its port is "443", not an integer`,
    ])
    expect(verifyReceipt(resigned({ ...receipt, rows: [{ ...row, id: String(row.id) }], rowIds: [String(row.id) as never] }), keys.all).problems).toEqual([
      `malformed row: access-log row ${row.id}: its id is "${row.id}", not an integer`,
    ])
    expect(verifyReceipt(resigned({ ...receipt, rows: [{ ...row, channel: 7 as never }] }), keys.all).problems[0]).toBe(`malformed row: access-log row ${row.id}: its channel is 7, not text`)
  })

  it('the publications open with the document.published row; a change alone, or first, is refused', async () => {
    const doc = await makeDocument(t, clientId)
    await t.db.transaction().execute((trx) => logDocumentEvent(trx, 'document.changed', doc.id))
    await recordAccess(t.db, { documentId: doc.id, clientId, channel: 'link', action: 'view', ip: '203.0.113.9' })
    const receipt = await issueReceipt(t.db, keys, accountant('test'), { documentId: doc.id })
    const [published, changed] = receipt.publications
    expect([published.kind, changed.kind]).toEqual(['document.published', 'document.changed'])
    const resigned = (r: typeof receipt) => ({ ...r, signature: { keyId: keys.current.id, value: keys.sign(receiptSignedText(r)) } })
    expect(verifyReceipt(resigned(receipt), keys.all).problems).toEqual([])
    // Signed again as only the firm could, with the publication left out: the change's header still matches.
    expect(verifyReceipt(resigned({ ...receipt, publications: [changed] }), keys.all).problems).toContain(
      `row ${changed.id} (document.changed) is out of place: the publications open with the one document.published row, then document.changed rows`,
    )
    expect(verifyReceipt(resigned({ ...receipt, publications: [published, published] }), keys.all).problems).toContain(
      `row ${published.id} (document.published) is out of place: the publications open with the one document.published row, then document.changed rows`,
    )
  })

  it('a header the log contradicts is never issued', async () => {
    const doc = await makeDocument(t, clientId, { title: 'Balancete' })
    await t.db.updateTable('documents').set({ title: 'Balancete corrigido' }).where('id', '=', doc.id).execute()
    await expect(issueReceipt(t.db, keys, accountant('test'), { documentId: doc.id })).rejects.toThrow(
      /^the receipt of document \d+ would not verify: the receipt's title does not match the document.published row 1/,
    )
    expect(await t.db.selectFrom('receipts').select('id').execute()).toEqual([])
  })
})

describe('canonical JSON of a receipt (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units, escapes as JSON.stringify, and writes no whitespace', () => {
    expect(canonicalReceiptJson({ b: [1, true, null], a: { d: 'x', c: -0 }, '\u20ac': 1, '\ud83d\ude00': 2, '\ufb33': 3 })).toBe(
      '{"a":{"c":0,"d":"x"},"b":[1,true,null],"\u20ac":1,"\ud83d\ude00":2,"\ufb33":3}',
    )
    // RFC 8785 3.2.2.2's string example.
    expect(canonicalReceiptJson('\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/')).toBe('"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"')
  })

  it('refuses what a receipt may not hold', () => {
    for (const [value, message] of [
      [{ amount: 1.5 }, /\$\.amount is 1\.5, not an integer/],
      [[Number.NaN], /\$\[0\] is NaN/],
      [{ big: 2 ** 53 }, /\$\.big is 9007199254740992/],
      ['\ud800x', /not well-formed Unicode/],
      [{ x: undefined }, /\$\.x is not a JSON value a receipt may hold \(undefined\)/],
      [new Date(0), /not a JSON value/],
    ] as [unknown, RegExp][]) {
      expect(() => canonicalReceiptJson(value)).toThrow(message)
    }
  })
})
