import type { Child } from 'hono/jsx'
import { CATEGORIES } from '../../core/categories.js'
import type { Document } from '../../core/documents/documents.js'
import type { DueSoonItem } from '../../core/documents/due-soon.js'
import { DOCUMENT_SORTS } from '../../core/documents/list-order.js'
import { formatTaxId } from '../../core/clients/tax-id.js'
import { formatAmount } from '../../core/documents/amount.js'
import { m } from '../messages.js'
import { DueSoonPanel } from './due-soon.js'
import { RequestsPanel } from './requests.js'
import type { DocumentRequest } from '../../core/requests/index.js'
import { Field, type FieldError } from './fields.js'
import { Layout, LinkWithHint, Notice, Whole, type Viewer } from './layout.js'

export interface DashboardFilters {
  company?: number
  category?: string
  competence?: string
  q?: string
  sort?: string
}

/** "1,5 MB" */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} MB`
}

/** The query string of the current filters (and page), for links that keep them. */
export function filterQuery(filters: DashboardFilters, after?: string, path = '/'): string {
  const params = new URLSearchParams()
  if (filters.company) params.set('company', String(filters.company))
  if (filters.category) params.set('category', filters.category)
  if (filters.competence) params.set('competence', filters.competence)
  if (filters.q) params.set('q', filters.q)
  if (filters.sort && filters.sort !== 'newest') params.set('sort', filters.sort)
  if (after) params.set('after', after)
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

/** MM/AAAA, months 01 to 12: what the competência field lets the browser send. */
const COMPETENCE_PATTERN = '(0[1-9]|1[0-2])/[0-9]{4}'

/** The id prefix of the documents filters' fields (`f-competence`, `f-q`). */
export const FILTER_PREFIX = 'f'

/** GET /: the documents of every company the user may see, with filters and keyset pages. */
export function DashboardPage(props: {
  firmName: string
  viewer: Viewer
  companies: { id: number; name: string }[]
  categories: readonly string[]
  filters: DashboardFilters
  items: Document[]
  nextCursor: string | null
  paged: boolean
  /** "Pendências": what the firm asks for (first page only). */
  requests?: DocumentRequest[] | null
  /** "A vencer" (first page only). */
  dueSoon: { items: DueSoonItem[]; full: boolean } | null
  /** The listed documents this user has opened; the others are marked "Novo". */
  opened: ReadonlySet<number>
  /** Unopened documents sent since the user's previous login. */
  newSinceLastVisit: number
  notice?: string
  errors?: FieldError[]
  /** What was typed in the filters, shown again when refused. */
  typed?: { competence?: string; q?: string }
}) {
  const f = props.filters
  const filtered = Boolean(f.company || f.category || f.competence || f.q)
  const showCompany = props.companies.length > 1
  return (
    <Layout title={m.documents.title} firmName={props.firmName} viewer={props.viewer} errors={props.errors}>
      <h1>{m.documents.title}</h1>
      {props.notice ? <Notice kind="ok">{props.notice}</Notice> : null}
      {props.newSinceLastVisit > 0 ? <Notice>{m.search.newSince(props.newSinceLastVisit)}</Notice> : null}
      {props.requests ? <RequestsPanel items={props.requests} showCompany={showCompany} /> : null}
      {props.dueSoon ? <DueSoonPanel items={props.dueSoon.items} full={props.dueSoon.full} showCompany={showCompany} /> : null}
      {/* Closed by default so a phone shows the list first; open when a filter was refused. No script. */}
      <details class="card filter-box" open={Boolean(props.errors?.length)}>
        <summary>{m.documents.filterToggle}</summary>
        <form method="get" action="/" class="filters" aria-label={m.documents.filters}>
          {showCompany ? (
            <div>
              <label for="f-company">{m.fields.company}</label>
              <select id="f-company" name="company">
                <option value="">{m.documents.allCompanies}</option>
                {props.companies.map((c) => (
                  <option value={String(c.id)} selected={f.company === c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          <div>
            <label for="f-category">{m.fields.category}</label>
            <select id="f-category" name="category">
              <option value="">{m.documents.allCategories}</option>
              {props.categories.map((cat) => (
                <option value={cat} selected={f.category === cat}>
                  {m.categories[cat]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <Field
              prefix={FILTER_PREFIX}
              name="competence"
              label={m.fields.competence}
              errors={props.errors}
              hint={m.documents.competenceHint}
              placeholder={m.documents.competencePlaceholder}
              pattern={COMPETENCE_PATTERN}
              inputmode="numeric"
              maxlength={7}
              value={f.competence ? m.competence(f.competence) : (props.typed?.competence ?? '')}
            />
          </div>
          <div>
            <Field
              prefix={FILTER_PREFIX}
              name="q"
              label={m.search.label}
              errors={props.errors}
              type="search"
              maxlength={100}
              placeholder={m.search.placeholder}
              value={f.q ?? props.typed?.q ?? ''}
            />
          </div>
          <div>
            <label for="f-sort">{m.search.sortLabel}</label>
            <select id="f-sort" name="sort">
              {DOCUMENT_SORTS.map((sort) => (
                <option value={sort} selected={(f.sort ?? 'newest') === sort}>
                  {m.search.sorts[sort]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <button type="submit">{m.documents.apply}</button>{' '}
          </div>
        </form>
      </details>
      {filtered ? (
        <p>
          <a href="/">{m.documents.clear}</a>
        </p>
      ) : null}
      {props.items.length === 0 ? (
        <p class="card">{filtered || props.paged ? m.documents.emptyFiltered : m.documents.empty}</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">{m.documents.columns.title}</th>
              {showCompany ? <th scope="col">{m.documents.columns.company}</th> : null}
              <th scope="col">{m.documents.columns.category}</th>
              <th scope="col">{m.documents.columns.competence}</th>
              <th scope="col">{m.documents.columns.due}</th>
              <th scope="col">{m.documents.columns.amount}</th>
              <th scope="col">{m.documents.columns.date}</th>
            </tr>
          </thead>
          <tbody>
            {props.items.map((d) => (
              <tr>
                <td>
                  <a href={`/documents/${d.id}`}>{d.title}</a>
                  {props.opened.has(d.id) ? null : (
                    <>
                      {' '}
                      <span class="badge" title={m.search.newMarkHint}>
                        {m.search.newMark}
                      </span>
                    </>
                  )}
                </td>
                {showCompany ? <td data-label={m.documents.columns.company}>{d.clientName}</td> : null}
                <td data-label={m.documents.columns.category}>{m.categories[d.category]}</td>
                <td data-label={m.documents.columns.competence}>{d.competence ? m.competence(d.competence) : '—'}</td>
                <td data-label={m.documents.columns.due}>{d.dueDate ? m.date(d.dueDate) : '—'}</td>
                <td data-label={m.documents.columns.amount}>{d.amountCents === null ? '—' : <Whole>{formatAmount(d.amountCents)}</Whole>}</td>
                <td data-label={m.documents.columns.date}>{m.dateTime(d.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.items.length > 0 ? (
        <LinkWithHint href={filterQuery(f, undefined, '/documents/zip')} hint={m.zip.listHint}>
          {m.zip.list}
        </LinkWithHint>
      ) : null}
      <nav class="pager" aria-label="Paginação">
        {props.paged ? <a href={filterQuery(f)}>{m.documents.first(f.sort ?? 'newest')}</a> : <span />}
        {props.nextCursor ? <a href={filterQuery(f, props.nextCursor)}>{m.documents.next(f.sort ?? 'newest')}</a> : null}
      </nav>
    </Layout>
  )
}

/** One document with its files; `fileHref` builds each download link (portal or delivery). */
export function DocumentPage(props: {
  firmName: string
  viewer: Viewer | null
  document: Document
  fileHref: (attachmentId: number) => string
  back: boolean
  note?: string
  /** "Baixar todos (ZIP)", offered when the document has several files. */
  zipHref?: string
  /** Shown after the files (the client area's access list). */
  children?: Child
  /** The receipt download, for users of the client area who may see the document. */
  receiptHref?: string
  /** Shown after the document's fields (the client area's "Marcar como pago" for a guide). */
  payment?: Child
  errors?: FieldError[]
}) {
  const d = props.document
  return (
    <Layout title={d.title} firmName={props.firmName} viewer={props.viewer} errors={props.errors}>
      {props.back ? (
        <p>
          <a href="/">{m.documents.back}</a>
        </p>
      ) : null}
      {props.note ? <Notice>{props.note}</Notice> : null}
      <h1>{d.title}</h1>
      <div class="card">
        <dl>
          <dt>{m.documents.company}</dt>
          <dd>
            {d.clientName} <Whole muted>{formatTaxId(d.clientTaxId)}</Whole>
          </dd>
          <dt>{m.documents.category}</dt>
          <dd>{m.categories[d.category]}</dd>
          {d.competence ? (
            <>
              <dt>{m.documents.competence}</dt>
              <dd>{m.competence(d.competence)}</dd>
            </>
          ) : null}
          {d.dueDate ? (
            <>
              <dt>{m.documents.due}</dt>
              <dd>{m.date(d.dueDate)}</dd>
            </>
          ) : null}
          {d.amountCents !== null ? (
            <>
              <dt>{m.documents.amount}</dt>
              <dd>
                <Whole>{formatAmount(d.amountCents)}</Whole>
              </dd>
            </>
          ) : null}
          <dt>{m.documents.sentAt}</dt>
          <dd>{m.dateTime(d.createdAt)}</dd>
        </dl>
      </div>
      {props.payment}
      <h2>{m.documents.files}</h2>
      {d.attachments.length === 0 ? (
        <p>{m.documents.noFiles}</p>
      ) : (
        <ul class="files">
          {d.attachments.map((a) => (
            <li>
              <a href={props.fileHref(a.id)} download={a.fileName}>
                {m.documents.download} {a.fileName}
              </a>{' '}
              <span class="muted">({formatSize(a.size)})</span>
            </li>
          ))}
        </ul>
      )}
      {props.zipHref && d.attachments.length > 1 ? (
        <p>
          <a class="button" href={props.zipHref}>
            {m.zip.document}
          </a>
        </p>
      ) : null}
      {props.receiptHref ? (
        <LinkWithHint href={props.receiptHref} hint="(PDF assinado com os envios e acessos deste documento)">
          Comprovante de acesso
        </LinkWithHint>
      ) : null}
      {props.children}
    </Layout>
  )
}

export { CATEGORIES }
