import type { FirmOptions } from '../../core/clients/firm.js'
import { m } from '../messages.js'
import { FirmContact } from './firm-contact.js'
import { Layout, Notice, type Viewer } from './layout.js'

/**
 * A page for a pending user: why it waits, which of the client's administrators can activate it,
 * and how to reach the firm (docs/rules.md#document-links-and-login).
 */
export function PendingPage(props: {
  firm: FirmOptions
  viewer?: Viewer | null
  title: string
  message: string
  admins: string[]
  /** Who the admins are to this reader; by default, who can activate the account. */
  adminsText?: (names: string[]) => string
}) {
  const { firm } = props
  return (
    <Layout title={props.title} firmName={firm.firmName} viewer={props.viewer}>
      <h1>{props.title}</h1>
      <Notice kind="info">{props.message}</Notice>
      <div class="card">
        <p>{props.admins.length > 0 ? (props.adminsText ?? m.pending.admins)(props.admins) : m.pending.noAdmins}</p>
      </div>
      <FirmContact firm={firm} />
    </Layout>
  )
}
