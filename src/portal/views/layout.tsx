import { createHash } from 'node:crypto'
import { createContext, useContext, type Child } from 'hono/jsx'
import { m } from '../messages.js'
import { ErrorSummary, type FieldError } from './fields.js'

// Table cells wrap with break-word, not anywhere: anywhere lets a table squeeze a column below its
// longest word, breaking usernames mid-word (docs/decisions.md, "Tables keep words whole").
// On a phone every link, button, field and summary is at least 44×44 px (WCAG 2.5.5, issue 22);
// a checkbox's target is its whole label row. Links are inline blocks no wider than their
// container, so a long unbroken name still wraps inside them; a link that starts a bulleted item
// is a block, so the bullet stands by its first line (an inline block's baseline is its last).
// On a phone nothing a person reads or types is under 16 px (iOS zooms into a smaller field).
// A CNPJ or an amount never breaks inside (.whole), and a definition list stacks, so one fits.
// On a phone the header is compact: the firm's name on one line (cut with "…"), the menu one
// wrapping row of 44 px targets, "Enviar ao escritório" said "Enviar" (.wide hidden); no script.
// A link with a hint after it (.with-hint) is a block on a phone, the hint under it.
// Small enough to inline; the CSP allows exactly this stylesheet by its hash, no 'unsafe-inline'.
export const CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;background:#f4f6f8}
a{color:#0b57a4}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px}
header{background:#0b3d6e;color:#fff;padding:.6rem 1rem}
header .firm{font-weight:600}
header nav{display:flex;flex-wrap:wrap;gap:.25rem .9rem;margin-top:.3rem;align-items:center}
header nav a,header nav button{color:#fff;font-size:.95rem}
header form{display:inline;margin:0}
header button{background:none;border:0;padding:0;margin:0;text-decoration:underline;cursor:pointer;font:inherit}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1,h2,p,li,dd,a,header .firm,header .who{overflow-wrap:anywhere}
td,td a,td p{overflow-wrap:break-word}
h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;margin:1.4rem 0 .6rem}
.card{background:#fff;border:1px solid #d5dbe1;border-radius:6px;padding:1rem;margin:0 0 1rem}.card>:first-child{margin-top:0}
.cols{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr))}
label{display:block;font-weight:600;margin:.6rem 0 .2rem}
.hint{display:block;font-weight:400;font-size:.85rem;color:#4a5866}
input,select,textarea{width:100%;font:inherit;padding:.5rem;border:1px solid #8a97a4;border-radius:4px;background:#fff}
input[type=checkbox]{width:auto;margin-right:.4rem}
.check{font-weight:400;display:flex;align-items:center}
button,.button{display:inline-block;font:inherit;padding:.5rem 1rem;margin-top:.8rem;border-radius:4px;border:1px solid #0b57a4;background:#0b57a4;color:#fff;cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:#fff;color:#0b57a4}
.inline{display:inline;margin:0}.inline button{margin:.15rem .3rem .15rem 0;padding:.25rem .6rem;font-size:.9rem}
.notice{padding:.7rem 1rem;border-radius:4px;margin:0 0 1rem;background:#e7f1fb;border:1px solid #9cc3ea}
.error{background:#fdecec;border-color:#e3a1a1}
.ok{background:#e8f6ec;border-color:#9fd3ad}
.error-summary{border:3px solid #b3261e;background:#fff;padding:.5rem 1rem;margin:0 0 1rem}.error-summary h2{font-size:1rem;margin:0 0 .3rem}.error-summary ul{margin:0;padding-left:1.2rem}
.field-error{color:#b3261e;font-weight:600;margin:.1rem 0 .2rem}
input[aria-invalid=true]{border:2px solid #b3261e}
header nav a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}
table{width:100%;border-collapse:collapse;background:#fff}
th,td{text-align:left;padding:.5rem;border-bottom:1px solid #e1e6eb;vertical-align:top}
.filters{display:grid;gap:.5rem;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));align-items:end}
.filter-box summary{cursor:pointer;font-weight:600;color:#0b57a4;min-height:44px;display:flex;align-items:center}
.contact ul{list-style:none;padding:0;margin:0}
.filters button{margin-top:0}
.pager{display:flex;justify-content:space-between;margin-top:1rem}
.muted{color:#4a5866;font-size:.9rem}
.whole{white-space:nowrap}
.badge{display:inline-block;font-size:.75rem;font-weight:700;padding:0 .4rem;border-radius:3px;background:#0b57a4;color:#fff;vertical-align:middle}
.due-list{list-style:none;padding:0;margin:0}.due-list li{padding:.4rem .6rem;border-left:4px solid #8a97a4;margin:.4rem 0;background:#f7f9fb}
.due-list li.urgent{border-left-color:#b26a00}.due-list li.overdue{border-left-color:#b3261e;background:#fdecec}
.due-list li.overdue .due-when{color:#b3261e}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.3rem 1rem;margin:0}dt{font-weight:600}dd{margin:0}
@media (max-width:40rem){
 a{display:inline-block;max-width:100%;min-height:44px;min-width:44px;padding:10px 0}
 button,.button,select,input{min-height:44px;min-width:44px}
 header{padding:.2rem .75rem}
 header .firm{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}header .app{display:none}
 header nav{margin-top:0;gap:0 .5rem}
 header button{padding:0}
 .wide{display:none}
 .hint,.muted,header nav a,header nav button,.inline button{font-size:1rem}
 .files>li>a:first-child,.error-summary li>a,.with-hint>a{display:block}
 dl{grid-template-columns:minmax(0,1fr);gap:0}dd{margin-bottom:.5rem}
 input[type=checkbox]{width:24px;height:24px;min-height:0;min-width:0}
 .check{min-height:44px}
 .skip:focus{padding:.6rem}
 table.list,table.list tbody{display:block}
 table.list thead{display:none}
 table.list tr{display:block;border-bottom:1px solid #d5dbe1;padding:.4rem 0}
 table.list td{display:block;border:0;padding:.15rem .5rem}
 table.list td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
}
`

/** The CSP source that allows the inline stylesheet above and nothing else. */
export const CSS_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`

export interface Viewer {
  name: string
  role: 'admin' | 'collaborator'
  /** Only 'area' sessions get the client-area menu. */
  area: boolean
}

export interface LayoutProps {
  title: string
  firmName: string
  viewer?: Viewer | null
  /** A failed submit's errors: listed first in the page, each linked to its field. */
  errors?: FieldError[]
  children?: Child
}

/** The path of the page being rendered (env.ts `render` provides it), for the menu's aria-current. */
export const CurrentPath = createContext('')

// aria-current: "page" on the menu item of this very page, "true" inside its section (a document, a user).
function currentOf(path: string, href: string): 'page' | 'true' | undefined {
  if (path === href) return 'page'
  const section = href === '/' ? '/documents/' : `${href}/`
  return path.startsWith(section) ? 'true' : undefined
}

function MenuLink(props: { href: string; children?: Child }) {
  const path = useContext(CurrentPath)
  return (
    <a href={props.href} aria-current={currentOf(path, props.href)}>
      {props.children}
    </a>
  )
}

/** The page frame: header with the firm's name and, for a logged-in user, the menu. */
export function Layout(props: LayoutProps) {
  const viewer = props.viewer
  return (
    <html lang={m.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.errors?.length ? m.errors.titlePrefix : ''}${props.title} · ${m.appName}`}</title>
        <style dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <a class="skip" href="#conteudo">
          {m.skipToContent}
        </a>
        <header>
          <div class="firm">
            {props.firmName}
            <span class="app"> · {m.appName}</span>
          </div>
          {viewer ? (
            <nav aria-label={m.nav.main}>
              {viewer.area ? <MenuLink href="/">{m.nav.documents}</MenuLink> : null}
              {viewer.area ? (
                <MenuLink href="/enviar">
                  {m.nav.send}
                  <span class="wide">{m.nav.sendMore}</span>
                </MenuLink>
              ) : null}
              {viewer.area && viewer.role === 'admin' ? <MenuLink href="/users">{m.nav.users}</MenuLink> : null}
              {viewer.area ? <MenuLink href="/account">{m.nav.account}</MenuLink> : null}
              <span class="who">{viewer.name}</span>
              <form method="post" action="/logout">
                <button type="submit">{m.nav.logout}</button>
              </form>
            </nav>
          ) : null}
        </header>
        <main id="conteudo">
          {props.errors?.length ? <ErrorSummary errors={props.errors} /> : null}
          {props.children}
        </main>
      </body>
    </html>
  )
}

/** A value read as one piece, never split over two lines: a CNPJ, an amount, a date. */
export function Whole(props: { muted?: boolean; children?: Child }) {
  return <span class={props.muted ? 'muted whole' : 'whole'}>{props.children}</span>
}

/**
 * A link with a short hint after it: "Baixar protocolo (PDF assinado …)". On a phone the link is a
 * block (its 44 px target on a line of its own) and the hint wraps under it, line spacing even.
 */
export function LinkWithHint(props: { href: string; hint: string; children?: Child }) {
  return (
    <p class="with-hint">
      <a href={props.href}>{props.children}</a> <span class="muted">{props.hint}</span>
    </p>
  )
}

/** A notice box: info, ok or error. */
export function Notice(props: { kind?: 'info' | 'ok' | 'error'; children?: Child }) {
  const kind = props.kind ?? 'info'
  return (
    <p class={`notice ${kind === 'info' ? '' : kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </p>
  )
}
