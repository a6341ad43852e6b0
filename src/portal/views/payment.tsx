import type { PaymentMark } from '../../core/documents/payments.js'
import { m } from '../messages.js'
import { Field, type FieldError } from './fields.js'

/** The id prefix of the "Marcar como pago" form's fields (`pay-paid-on`). */
export const PAYMENT_PREFIX = 'pay'

/**
 * A guide's payment on its page: "Pago em … por …" with "Desmarcar", or the form that marks it
 * paid (the date, today by default). Works without JavaScript: a browser without a date picker
 * shows a text field, and DD/MM/AAAA is read too.
 */
export function PaymentSection(props: {
  documentId: number
  payment: PaymentMark | null
  today: string
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
          {p.proofUploadId !== null ? <p class="muted">{m.payment.proof(p.proofUploadId)}</p> : null}
          <p>
            <a href={`/documents/${props.documentId}/protocolo`}>{m.payment.protocol}</a> <span class="muted">{m.payment.protocolHint}</span>
          </p>
          <form method="post" action={`${action}/desmarcar`}>
            <p class="muted">{m.payment.unmarkHint}</p>
            <button type="submit" class="secondary">
              {m.payment.unmark}
            </button>
          </form>
        </>
      ) : (
        <form method="post" action={action}>
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
          <button type="submit">{m.payment.mark}</button>
        </form>
      )}
    </section>
  )
}
