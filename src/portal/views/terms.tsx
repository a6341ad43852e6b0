import type { Child } from 'hono/jsx'
import { m } from '../messages.js'
import type { FieldError } from './fields.js'
import { Layout, Notice, type Viewer } from './layout.js'

// The firm's terms, written in Markdown, shown without ever passing their text as HTML: a small
// renderer turns headings, lists, paragraphs and **bold** into elements whose text hono/jsx
// escapes, so a <script> or any other tag in the file is shown as the characters it is
// (docs/rules.md#terms-and-consent). Links, images, tables and raw HTML are not Markdown this
// renderer knows: they show as written.

type Block = { kind: 'heading'; level: number; text: string } | { kind: 'list'; ordered: boolean; items: string[] } | { kind: 'paragraph'; text: string }

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/
const BULLET = /^\s*[-*+]\s+(.*)$/
const NUMBERED = /^\s*\d{1,9}[.)]\s+(.*)$/

/** The blocks of a Markdown text: a blank line ends a paragraph or a list; a heading is one line. */
export function markdownBlocks(text: string): Block[] {
  const blocks: Block[] = []
  let paragraph: string[] = []
  let list: { ordered: boolean; items: string[] } | null = null
  const flush = () => {
    if (paragraph.length) blocks.push({ kind: 'paragraph', text: paragraph.join(' ') })
    if (list) blocks.push({ kind: 'list', ...list })
    paragraph = []
    list = null
  }
  for (const line of text.split('\n')) {
    const heading = HEADING.exec(line)
    const bullet = BULLET.exec(line)
    const numbered = bullet ? null : NUMBERED.exec(line)
    if (line.trim() === '') flush()
    else if (heading) {
      flush()
      blocks.push({ kind: 'heading', level: heading[1].length, text: heading[2] })
    } else if (bullet || numbered) {
      const ordered = numbered !== null
      if (paragraph.length || (list && list.ordered !== ordered)) flush()
      list ??= { ordered, items: [] }
      list.items.push((bullet ?? numbered)![1].trim())
    } else if (list && /^\s+/.test(line)) {
      // An indented line continues the list item above it.
      list.items[list.items.length - 1] += ` ${line.trim()}`
    } else {
      if (list) flush()
      paragraph.push(line.trim())
    }
  }
  flush()
  return blocks
}

// **bold** inside a line; everything else is text, escaped by hono/jsx.
function Inline(props: { text: string }) {
  const parts = props.text.split(/\*\*(.+?)\*\*/g)
  return <>{parts.map((part, i) => (i % 2 === 1 ? <strong>{part}</strong> : part))}</>
}

function Heading(props: { level: number; top: number; children?: Child }) {
  // The page has its own title and sections: the text's `#` is the level `top` under them.
  const level = Math.min(props.level + props.top - 1, 6)
  if (level === 2) return <h2>{props.children}</h2>
  if (level === 3) return <h3>{props.children}</h3>
  if (level === 4) return <h4>{props.children}</h4>
  if (level === 5) return <h5>{props.children}</h5>
  return <h6>{props.children}</h6>
}

/** A Markdown text as escaped elements; its `#` headings become `<h{top}>`. */
export function MarkdownText(props: { text: string; top: number }) {
  return (
    <>
      {markdownBlocks(props.text).map((block) => {
        if (block.kind === 'heading') return <Heading level={block.level} top={props.top}><Inline text={block.text} /></Heading>
        if (block.kind === 'paragraph') return <p><Inline text={block.text} /></p>
        const items = block.items.map((item) => <li><Inline text={item} /></li>)
        return block.ordered ? <ol>{items}</ol> : <ul>{items}</ul>
      })}
    </>
  )
}

/** The consent box of a registration form, with the version it is for and a link to read it. */
export function TermsConsent(props: { prefix: string; termsId: number; errors?: FieldError[] }) {
  const id = `${props.prefix}-terms`
  const error = props.errors?.find((e) => e.fieldId === id)?.message
  return (
    <>
      <input type="hidden" name="terms_id" value={String(props.termsId)} />
      <p>
        <a href="/termos" target="_blank" rel="noopener">
          {m.terms.read}
        </a>
      </p>
      {error ? (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
      <label class="check" for={id}>
        <input type="checkbox" id={id} name="terms" value="1" required aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-error` : undefined} />
        {m.terms.agree}
      </label>
    </>
  )
}

interface TermsView {
  id: number
  body: string
  publishedAt: string
}

/** GET /termos: the current terms, for anyone, before registering. */
export function TermsPage(props: { firmName: string; viewer: Viewer | null; terms: TermsView }) {
  return (
    <Layout title={m.terms.title} firmName={props.firmName} viewer={props.viewer}>
      <h1>{m.terms.title}</h1>
      <p class="muted">{m.terms.published(m.dateTime(props.terms.publishedAt))}</p>
      <div class="card">
        <MarkdownText text={props.terms.body} top={2} />
      </div>
    </Layout>
  )
}

/** GET /termos/aceitar: the current terms and the one button that accepts them (or log out). */
export function AcceptTermsPage(props: { firmName: string; viewer: Viewer; terms: TermsView; next: string | null; notice?: string }) {
  return (
    <Layout title={m.terms.acceptTitle} firmName={props.firmName} viewer={props.viewer}>
      <h1>{m.terms.acceptTitle}</h1>
      {props.notice ? <Notice kind="error">{props.notice}</Notice> : null}
      <p>{m.terms.acceptIntro}</p>
      <section class="card" aria-labelledby="h-terms">
        <h2 id="h-terms">{m.terms.title}</h2>
        <p class="muted">{m.terms.published(m.dateTime(props.terms.publishedAt))}</p>
        <MarkdownText text={props.terms.body} top={3} />
      </section>
      <form method="post" action="/termos/aceitar">
        <input type="hidden" name="terms_id" value={String(props.terms.id)} />
        {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
        <button type="submit">{m.terms.agree}</button>
      </form>
      <form method="post" action="/logout">
        <button type="submit" class="secondary">
          {m.terms.logoutInstead}
        </button>
      </form>
    </Layout>
  )
}
