import type { DueSoonItem } from '../../core/documents/due-soon.js'
import { formatAmount } from '../../core/documents/amount.js'
import { m } from '../messages.js'
import { Whole } from './layout.js'

/** The class of a `.due-list` item due in `daysLeft` days: red when overdue, amber today and tomorrow. */
export function urgencyClass(daysLeft: number): string {
  return daysLeft < 0 ? 'overdue' : daysLeft <= 1 ? 'urgent' : ''
}

/** "A vencer": the top of the documents page; overdue in red and in words ("Vencido há 2 dias"). */
export function DueSoonPanel(props: { items: DueSoonItem[]; showCompany: boolean; full: boolean }) {
  return (
    <section class="card due" aria-labelledby="a-vencer">
      <h2 id="a-vencer">{m.dueSoon.heading}</h2>
      <p class="muted">{m.dueSoon.intro}</p>
      {props.items.length === 0 ? (
        <p>{m.dueSoon.empty}</p>
      ) : (
        <ul class="due-list">
          {props.items.map((item) => (
            <li class={urgencyClass(item.daysLeft)}>
              <a href={`/documents/${item.id}`}>{item.title}</a>
              {props.showCompany ? <span class="muted"> · {item.clientName}</span> : null}
              <br />
              <strong class="due-when">{m.dueSoon.days(item.daysLeft)}</strong>{' '}
              <span class="muted">({m.date(item.dueDate)})</span>
              {item.amountCents === null ? null : <span> · <Whole>{formatAmount(item.amountCents)}</Whole></span>}
            </li>
          ))}
        </ul>
      )}
      {props.full ? (
        <p>
          <a href="/?sort=due">{m.dueSoon.seeAll}</a>
        </p>
      ) : null}
    </section>
  )
}
