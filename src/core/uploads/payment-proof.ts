import type { Readable } from 'node:stream'
import { clientUser } from '../actors.js'
import type { Db } from '../db/database.js'
import { getDocument } from '../documents/documents.js'
import { assertMayMark, getPayment, markPaidInTransaction, type PaymentMark } from '../documents/payments.js'
import type { FileStore } from '../storage/file-store.js'
import { readUploadBody } from './intake.js'
import { queueInboxMail } from './mail.js'
import { writeUpload, type SenderOrigin } from './commit.js'
import { uploadLimits } from './receive.js'
import { activeSender } from './senders.js'

// A guide marked paid in the portal with the bank's proof (docs/rules.md#guides-marked-paid,
// docs/uploads.md): the proof is an upload of the guide's company, in the guide's category and
// for no request, and its rows, its upload.received row and the document.paid row commit in one
// transaction. A mark refused after the file arrived (a bad date, a guide already marked) leaves
// no upload row and no log row; the stored file is named by no row, as for any refused upload.

export interface PaidWithProof {
  userId: number
  documentId: number
  /** The form's multipart body: the payment date and, optionally, one file. */
  body: Readable
  contentType: string | undefined
  origin: SenderOrigin
  /** The payment date (AAAA-MM-DD) from the form's text fields, read by the portal, which knows its field and what people type. */
  paidOnFrom: (fields: Map<string, string>) => string
  today?: string
}

/** The upload's note, so the firm's inbox says what the file is: the firm's own title of the guide. */
function proofNote(document: { id: number; title: string }): string {
  return `Comprovante de pagamento: ${document.title} (documento ${document.id})`
}

/**
 * Marks a guide paid for a client user, storing the proof when the form carries one. Refuses
 * who may not mark, and a document that is no guide, before reading a byte of the body.
 */
export async function markPaidWithProof(db: Db, store: FileStore, input: PaidWithProof): Promise<PaymentMark> {
  const actor = clientUser(input.userId)
  await assertMayMark(db, actor, input.documentId)
  const limits = { ...(await uploadLimits(db)), maxFiles: 1 }
  const incoming = await readUploadBody(store, input.body, input.contentType, limits, { fileOptional: true })
  const paidOn = input.paidOnFrom(incoming.fields)
  await db.transaction().execute(async (trx) => {
    let proofUploadId: number | null = null
    if (incoming.files.length > 0) {
      // markPaidInTransaction checks who marks again below; a refusal there takes the upload with it.
      const { user } = await activeSender(trx, input.userId)
      const document = await getDocument(trx, input.documentId)
      // A proof is a bank's receipt, not a fiscal document: it is not read as an NF-e.
      proofUploadId = await writeUpload(
        trx,
        { clientId: document.clientId, category: document.category, requestId: null, note: proofNote(document) },
        incoming.files,
        incoming.files.map(() => null),
        user,
        input.origin,
      )
      await queueInboxMail(trx, proofUploadId)
    }
    await markPaidInTransaction(trx, actor, input.documentId, { paidOn, proofUploadId, origin: input.origin }, input.today)
  })
  return (await getPayment(db, input.documentId))!
}
