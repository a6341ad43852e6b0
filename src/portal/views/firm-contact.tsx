import type { FirmOptions } from '../../core/clients/firm.js'
import { formatBrazilianPhone, isBrazilianMobile, whatsAppChatLink } from '../../core/clients/phone.js'
import { m } from '../messages.js'

/**
 * The firm's phone, WhatsApp and e-mail as links a phone opens directly (`tel:`, `wa.me`,
 * `mailto:`), for pages that otherwise leave a client with nowhere to go; nothing when the firm
 * set neither. WhatsApp only for a mobile number (docs/rules.md#the-client-area).
 */
export function FirmContact(props: { firm: Pick<FirmOptions, 'firmName' | 'phone' | 'contactEmail'> }) {
  const { firm } = props
  if (!firm.phone && !firm.contactEmail) return null
  return (
    <div class="card contact">
      <p>{m.pending.firmContact(firm.firmName)}</p>
      <ul class="actions">
        {firm.phone ? (
          <li>
            <a href={`tel:${firm.phone}`}>{m.pending.phone(formatBrazilianPhone(firm.phone))}</a>
          </li>
        ) : null}
        {firm.phone && isBrazilianMobile(firm.phone) ? (
          <li>
            <a href={whatsAppChatLink(firm.phone)} rel="noopener noreferrer">
              {m.pending.whatsApp}
            </a>
          </li>
        ) : null}
        {firm.contactEmail ? (
          <li>
            <a href={`mailto:${firm.contactEmail}`}>{m.pending.email(firm.contactEmail)}</a>
          </li>
        ) : null}
      </ul>
    </div>
  )
}
