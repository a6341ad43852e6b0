// The synthetic firm of `npm run bench:scale` (issue 13 target 4), row by row, identical on both
// backends: every value is a function of its id and the fill's `now`, so nothing has to be kept
// in memory but the document-to-client map.
//
// Shape (docs/decisions.md, "Scale bench (issue 13)"): the first 20% of the clients form groups
// of 50 whose head is the first company; the first group is the "heavy" one measured in the
// portal (10,000 documents, its head's admin opens everything of the group); every client has an
// admin user, the heavy head 30 users. 70% of the documents have a due date from 300 days ago to
// 65 days ahead; documents due from 10 days ago on with an even id are still unopened, every other
// document is opened by the access-log rows, which are spread over them.
import { CANONICAL_FIELDS } from '../dist/core/access-log/chain/row.js'

export const FULL = { clients: 100_000, documents: 1_000_000, logRows: 10_000_000 }
/** Bumped whenever a row below changes shape, so an older cached fill is never reused. */
export const FILL_FORMAT = 1

const DAY = 86_400_000
const CATEGORIES = ['fiscal', 'pessoal', 'contabil', 'societario', 'outros']
const TITLES = { fiscal: 'DAS', pessoal: 'Folha de pagamento', contabil: 'Balancete', societario: 'Alteração contratual', outros: 'Comunicado' }
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
  'WhatsApp/2.23.20.0',
]
export const HEAVY_EXTRA_USERS = 29
/** Every user's password (bcrypt cost 10, hashed once per fill). */
export const SCALE_PASSWORD = 'senha-da-escala-1'

/** The sizes for CONFI_SCALE (1 = the sizes), never below what the shape needs. */
export function scaleSizes(scale) {
  if (!(scale > 0 && scale <= 1)) throw new Error(`CONFI_SCALE must be a number above 0 and at most 1, not '${scale}'`)
  return {
    clients: Math.max(4, Math.round(FULL.clients * scale)),
    documents: Math.max(8, Math.round(FULL.documents * scale)),
    logRows: Math.max(16, Math.round(FULL.logRows * scale)),
  }
}

const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10)

// A cheap integer hash, so neighbouring ids land far apart.
const mix = (n) => ((Math.imul(n ^ (n >>> 15), 0x2c1b3c6d) ^ 0x297a2d39) >>> 0)

/** The firm generated from `sizes` at `now` (ms). */
export function scaleFirm(sizes, now) {
  const { clients, documents, logRows } = sizes
  const today = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate())
  const groupSize = Math.min(50, Math.floor(clients / 2))
  const grouped = Math.floor((clients * 0.2) / groupSize) * groupSize || groupSize
  const heavyDocs = Math.min(10_000, Math.floor(documents / 2))
  const nowIso = new Date(now).toISOString()

  const clientOf = new Int32Array(documents + 1)
  for (let d = 1; d <= documents; d++) {
    clientOf[d] = d <= heavyDocs ? ((d - 1) % groupSize) + 1 : groupSize + 1 + ((d - heavyDocs - 1) % (clients - groupSize))
  }
  const headOf = (c) => (c <= grouped && (c - 1) % groupSize !== 0 ? c - ((c - 1) % groupSize) : null)
  const dueMs = (d) => (d % 10 < 7 ? today + ((mix(d) % 366) - 300) * DAY : null)
  const unopened = (d) => {
    const due = dueMs(d)
    return due !== null && due >= today - 10 * DAY && d % 2 === 0
  }
  // The user who opens a document on the portal: the heavy head's admin for the heavy group.
  const openerOf = (d) => (d <= heavyDocs ? 1 : clientOf[d])
  const span = 730 * DAY
  const createdMs = (d) => now - 3_600_000 - (mix(d + 7) % documents) * (span / documents)

  return {
    sizes,
    groupSize,
    grouped,
    heavyDocs,
    today: isoDate(today),
    clientOf,
    unopened,
    heavyHead: { clientId: 1, userId: 1 },

    client(c) {
      return {
        id: c,
        name: `Empresa ${c} Comércio e Serviços Ltda`,
        tax_id: String(10_000_000_000_000 + c),
        email: `financeiro@empresa${c}.example`,
        require_login: 'inherit',
        login_link_version: 1,
        login_link_digest: null,
        group_head_id: headOf(c),
        created_at: nowIso,
        updated_at: nowIso,
      }
    },

    /** Users 1..clients: each client's admin; then the heavy head's other users. */
    *users(passwordHash) {
      const total = clients + HEAVY_EXTRA_USERS
      for (let u = 1; u <= total; u++) {
        const own = u <= clients
        const username = own ? `admin${u}` : `equipe${u - clients}`
        yield {
          id: u,
          client_id: own ? u : 1,
          username,
          username_key: username,
          name: own ? `Administrador ${u}` : `Equipe ${u - clients}`,
          email: `${username}@empresa.example`,
          password_hash: passwordHash,
          role: own ? 'admin' : 'collaborator',
          status: 'active',
          origin: 'cli',
          created_at: nowIso,
          activated_at: nowIso,
          activated_by: 'cli:bench',
          last_login_at: nowIso,
          password_changed_at: nowIso,
          previous_login_at: new Date(now - 7 * DAY).toISOString(),
        }
      }
    },

    document(d) {
      const category = CATEGORIES[d % 5]
      const due = dueMs(d)
      const competenceMs = (due ?? createdMs(d)) - 20 * DAY
      const competence = isoDate(competenceMs).slice(0, 7)
      return {
        id: d,
        client_id: clientOf[d],
        title: `${TITLES[category]} ${competence.slice(5)}/${competence.slice(0, 4)}`,
        category,
        competence,
        due_date: due === null ? null : isoDate(due),
        amount_cents: category === 'fiscal' ? 10_000 + (mix(d) % 900_000) : null,
        created_at: new Date(createdMs(d)).toISOString(),
        created_by: 'cli:bench',
      }
    },

    attachment(d) {
      const sha = (mix(d).toString(16).padStart(8, '0')).repeat(8)
      return {
        id: d,
        document_id: d,
        file_name: `documento-${d}.pdf`,
        media_type: 'application/pdf',
        size: 100_000 + (d % 1000),
        sha256: sha,
        storage_key: `${sha.slice(0, 2)}/${sha.slice(2)}`,
      }
    },

    /** A sent notification for every fifth document still due or recently due: what reminders repeat. */
    *outbox() {
      let id = 0
      for (let d = 5; d <= documents; d += 5) {
        const due = dueMs(d)
        if (due === null || due < today - 10 * DAY) continue
        id += 1
        yield {
          id,
          kind: 'notification',
          document_id: d,
          delivery_id: null,
          recipient: `financeiro@empresa${clientOf[d]}.example`,
          mail_from: 'escritorio@contabil.example',
          message_id: `<bench-${d}@contabil.example>`,
          subject: `Novo documento ${d}`,
          body_text: `Há um novo documento na sua área do cliente.`,
          body_html: `<p>Há um novo documento na sua área do cliente.</p>`,
          status: 'sent',
          attempts: 1,
          next_attempt_at: nowIso,
          lease_owner: null,
          lease_until: null,
          last_error: null,
          server_reply: '250 OK',
          created_at: nowIso,
          created_by: 'cli:bench',
          sent_at: nowIso,
        }
      }
    },

    /** Access-log row `i` (1..logRows) without its hashes, spread over the opened documents. */
    logRow(i) {
      let d = (mix(i) % documents) + 1
      while (unopened(d)) d = (d % documents) + 1
      const portal = i % 4 < 2
      const user = portal ? openerOf(d) : null
      const download = i % 3 === 0
      return {
        id: i,
        at: new Date(now - span + Math.floor((i * (span - 7_200_000)) / logRows)).toISOString(),
        document_id: d,
        attachment_id: download ? d : null,
        client_id: clientOf[d],
        user_id: user,
        username: user === null ? null : `admin${user}`,
        user_name: user === null ? null : `Administrador ${user}`,
        channel: portal ? 'portal' : i % 4 === 2 ? 'link' : 'email',
        delivery_id: null,
        ip: `203.0.113.${i % 250}`,
        port: 40_000 + (i % 20_000),
        user_agent: AGENTS[i % 3],
        action: download ? 'download' : 'view',
      }
    },
  }
}

export const LOG_COLUMNS = [...CANONICAL_FIELDS, 'prev_hash', 'hash']
