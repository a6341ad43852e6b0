import type { PaymentMark } from '../../core/documents/payments.js'
import { FILES_FIELD } from '../../core/uploads/index.js'
import { m } from '../messages.js'
import { Field, type FieldError } from './fields.js'
import { LinkWithHint } from './layout.js'

/** The id prefix of the "Marcar como pago" form's fields (`pay-paid-on`). */
export const PAYMENT_PREFIX = 'pay'

/** The proof's file input: the uploads intake's file field (one file here). */
export const PROOF_FIELD = FILES_FIELD

/**
 * A guide's payment on its page: "Pago em … por …" (with a link to the proof) and "Desmarcar",
 * or the form that marks it paid (the date, today by default, and the bank's proof, optional).
 * Works without JavaScript: a multipart form; a browser without a date picker shows a text
 * field, and DD/MM/AAAA is read too.
 */
export function PaymentSection(props: {
  documentId: number
  payment: PaymentMark | null
  today: string
  /** The firm's limit per file, in MB, said next to the proof's input. */
  maxMb: number
  errors?: FieldError[]
  /** What was typed in the date field, shown again when refused. */
  typedDate?: string
}) {
  const action = `/documents/${props.documentId}/pago`
  const p = props.payment
  return (
    <section aria-labelledby="pagamento" class="card">
      <h2 id="pagamento">{m.payment.heading}</h2>
      {p ? (
        <>
          <p>{m.payment.paid(m.date(p.paidOn), p.user ? p.user.name : m.payment.byFirm)}</p>
          {p.proofUploadId !== null ? (
            <p>
              <a href={`/envios/${p.proofUploadId}`}>{m.payment.proof}</a>
            </p>
          ) : null}
          <LinkWithHint href={`/documents/${props.documentId}/protocolo`} hint={m.payment.protocolHint}>
            {m.payment.protocol}
          </LinkWithHint>
          <form method="post" action={`${action}/desmarcar`}>
            <p class="muted">{m.payment.unmarkHint}</p>
            <button type="submit" class="secondary">
              {m.payment.unmark}
            </button>
          </form>
        </>
      ) : (
        <form method="post" action={action} enctype="multipart/form-data">
          <p class="muted">{m.payment.intro}</p>
          <Field
            prefix={PAYMENT_PREFIX}
            name="paid_on"
            label={m.payment.paidOn}
            hint={m.payment.paidOnHint}
            type="date"
            required
            max={props.today}
            value={props.typedDate ?? props.today}
            errors={props.errors}
          />
          <ProofInput maxMb={props.maxMb} errors={props.errors} />
          <button type="submit">{m.payment.mark}</button>
        </form>
      )}
    </section>
  )
}

/** The optional proof: one file, its error under its label as every field's (fields.tsx). */
function ProofInput(props: { maxMb: number; errors?: FieldError[] }) {
  return (
    <Field
      prefix={PAYMENT_PREFIX}
      name={PROOF_FIELD}
      label={m.payment.proofLabel}
      hint={m.payment.proofHint(props.maxMb)}
      type="file"
      accept=".pdf,.jpg,.jpeg,.png,.heic,.heif,application/pdf,image/*"
      errors={props.errors}
    />
  )
}
