import { allowsMove, MAX_REQUEST_NOTE_CHARS, type DocumentRequest, type RequestEvent } from '../../core/requests/requests.js'
import { formatTaxId } from '../../core/clients/tax-id.js'
import { daysBetween, localDate } from '../../core/time.js'
import { m } from '../messages.js'
import { urgencyClass } from './due-soon.js'
import type { FieldError } from './fields.js'
import { Layout, LinkWithHint, Notice, Whole, type Viewer } from './layout.js'
import { FileFields } from './uploads.js'

// "Pendências" on the client area's home and the page of one request (docs/requests.md): what the
// firm asks for, its history, and the two answers, each a plain form that works without script.

/** The id prefix of a request's send form (`envio-arquivos`, `envio-nota`). */
export const SEND_PREFIX = 'envio'

/** A refused send, shown again: its errors and the note that was typed. */
interface SendState {
  limits: { maxMb: number; maxFiles: number }
  errors?: FieldError[]
  typedNote?: string
}

/** "Pendências": the open requests the viewer may answer, most urgent first; nothing when none. */
export function RequestsPanel(props: { items: DocumentRequest[]; showCompany: boolean; today?: string }) {
  if (props.items.length === 0) return null
  const today = props.today ?? localDate()
  return (
    <section class="card due" aria-labelledby="pendencias">
      <h2 id="pendencias">{m.requests.heading}</h2>
      <p class="muted">{m.requests.intro}</p>
      <ul class="due-list">
        {props.items.map((item) => {
          const daysLeft = daysBetween(today, item.dueDate)
          return (
            <li class={urgencyClass(daysLeft)}>
              <a href={`/pendencias/${item.id}`}>{item.title}</a>
              {item.competence ? <span class="muted"> · {m.competence(item.competence)}</span> : null}
              {props.showCompany ? <span class="muted"> · {item.clientName}</span> : null}
              <br />
              <strong class="due-when">{m.requests.days(daysLeft)}</strong> <span class="muted">({m.date(item.dueDate)})</span>
              {item.rejection ? (
                <p class="muted">
                  {m.requests.rejected}
                  {item.rejection.reason ? `. ${m.requests.reason(item.rejection.reason)}` : ''}
                </p>
              ) : null}
            </li>
          )
        })}
      </ul>
    </section>
  )
}

function HistoryList(props: { history: RequestEvent[] }) {
  return (
    <ol class="due-list">
      {props.history.map((event) => (
        <li>
          <strong>{m.requests.events[event.action]}</strong>
          {event.userName ? ` ${m.requests.by(event.userName)}` : ''} <span class="muted">({m.dateTime(event.at)})</span>
          {event.note ? (
            <>
              <br />
              {event.action === 'rejected' ? m.requests.reason(event.note) : event.note}
            </>
          ) : null}
        </li>
      ))}
    </ol>
  )
}

/** The two answers a request waiting for the client takes: files, or "nada a enviar". */
function AnswerForms(props: { request: DocumentRequest; send: SendState }) {
  const r = props.request
  if (!allowsMove(r.status, 'received')) return <p class="muted">{m.requests.closedNote}</p>
  return (
    <>
      <section class="card" aria-labelledby="enviar">
        <h2 id="enviar">{m.requests.sendHeading}</h2>
        <p class="muted">{m.requests.sendIntro}</p>
        <form method="post" enctype="multipart/form-data" action={`/pendencias/${r.id}/enviar`}>
          <FileFields prefix={SEND_PREFIX} {...props.send.limits} errors={props.send.errors} note={props.send.typedNote} />
          <button type="submit">{m.requests.sendSubmit}</button>
        </form>
      </section>
      {allowsMove(r.status, 'nothing_to_send') ? (
        <section class="card" aria-labelledby="nada-a-enviar">
          <h2 id="nada-a-enviar">{m.requests.nothingHeading}</h2>
          <p class="muted">{m.requests.nothingIntro}</p>
          <form method="post" action={`/pendencias/${r.id}/nada-a-enviar`}>
            <label for="nada-observacao">
              {m.requests.nothingNote}
              <span class="hint">{m.requests.nothingNoteHint}</span>
            </label>
            <input id="nada-observacao" type="text" name="observacao" maxlength={MAX_REQUEST_NOTE_CHARS} />
            <button type="submit" class="secondary">
              {m.requests.nothingSubmit}
            </button>
          </form>
        </section>
      ) : null}
    </>
  )
}

/** GET /pendencias/:id: a request, its history and its answers (or a refused send's errors). */
export function RequestPage(
  props: SendState & {
    firmName: string
    viewer: Viewer
    request: DocumentRequest
    history: RequestEvent[]
    notice?: string
    today?: string
  },
) {
  const r = props.request
  const daysLeft = daysBetween(props.today ?? localDate(), r.dueDate)
  const waiting = r.status === 'open'
  return (
    <Layout title={r.title} firmName={props.firmName} viewer={props.viewer} errors={props.errors}>
      <p>
        <a href="/">{m.requests.back}</a>
      </p>
      {props.notice ? <Notice kind="ok">{props.notice}</Notice> : null}
      <h1>{r.title}</h1>
      <div class="card">
        <dl>
          <dt>{m.documents.company}</dt>
          <dd>
            {r.clientName} <Whole muted>{formatTaxId(r.clientTaxId)}</Whole>
          </dd>
          {r.competence ? (
            <>
              <dt>{m.fields.competence}</dt>
              <dd>{m.competence(r.competence)}</dd>
            </>
          ) : null}
          <dt>{m.requests.due}</dt>
          <dd>
            {m.date(r.dueDate)}
            {waiting ? <strong class="due-when"> · {m.requests.when(daysLeft)}</strong> : null}
          </dd>
          <dt>{m.requests.status}</dt>
          <dd>{m.requests.statuses[r.status]}</dd>
          {r.note ? (
            <>
              <dt>{m.requests.note}</dt>
              <dd>{r.note}</dd>
            </>
          ) : null}
        </dl>
      </div>
      {r.rejection ? (
        <Notice>
          {m.requests.rejected}
          {r.rejection.reason ? `. ${m.requests.reason(r.rejection.reason)}` : '.'}
        </Notice>
      ) : null}
      <AnswerForms request={r} send={props} />
      {props.history.some((e) => e.action === 'nothing_to_send') ? (
        <LinkWithHint href={`/pendencias/${r.id}/protocolo`} hint={m.requests.protocolHint}>
          {m.requests.protocol}
        </LinkWithHint>
      ) : null}
      <section aria-labelledby="historico">
        <h2 id="historico">{m.requests.history}</h2>
        <HistoryList history={props.history} />
      </section>
    </Layout>
  )
}
