import type { DocumentAccesses } from '../../core/documents/accesses.js'
import { m } from '../messages.js'

/** Who opened or downloaded a document (an admin: the company; a collaborator: themselves). */
export function AccessesSection(props: { accesses: DocumentAccesses }) {
  const { scope, items, total } = props.accesses
  const company = scope === 'company'
  const cols = m.accesses.columns
  return (
    <section aria-labelledby="acessos">
      <h2 id="acessos">{company ? m.accesses.headingCompany : m.accesses.headingOwn}</h2>
      <p class="muted">{company ? m.accesses.introCompany : m.accesses.introOwn}</p>
      {items.length === 0 ? (
        <p>{m.accesses.empty}</p>
      ) : (
        <table class="list accesses">
          <thead>
            <tr>
              {company ? <th scope="col">{cols.who}</th> : null}
              <th scope="col">{cols.what}</th>
              <th scope="col">{cols.when}</th>
              <th scope="col">{cols.channel}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr>
                {company ? (
                  <td data-label={cols.who}>
                    {a.user ? (
                      <>
                        {a.user.name} <span class="muted">({a.user.username})</span>
                      </>
                    ) : (
                      m.accesses.anonymous
                    )}
                  </td>
                ) : null}
                <td data-label={cols.what}>
                  {a.action === 'view' ? m.accesses.opened : m.accesses.downloaded(a.fileName)}
                </td>
                <td data-label={cols.when}>
                  <time datetime={a.at}>{m.dateTime(a.at)}</time>
                </td>
                <td data-label={cols.channel}>{m.accesses.channels[a.channel]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {total > items.length ? <p class="muted">{m.accesses.more(items.length, total)}</p> : null}
    </section>
  )
}
