import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { accountant } from '../core/actors.js'
import {
  addClient,
  addGroupMembers,
  getFirmOptions,
  initFirm,
  listClients,
  loginLinkToken,
  loginLinkUrl,
  type Client,
} from '../core/clients/index.js'
import type { Db } from '../core/db/index.js'
import { createDelivery } from '../core/delivery/index.js'
import { addDocument } from '../core/documents/index.js'
import { ConflictError } from '../core/errors.js'
import { addUser, disableUser, setVisibility, type PasswordHasher } from '../core/identity/index.js'
import type { FileStore } from '../core/storage/index.js'
import type { SecretKey } from '../core/tokens.js'
import { addDays, localDate } from '../core/time.js'
import { fillDemoAnswers } from './demo-answers.js'

/** The password every demo user shares (printed by `confi demo` and `npm start`). */
export const DEMO_PASSWORD = 'demo-confi-2026'

export interface DemoResult {
  firmName: string
  baseUrl: string
  loginLinks: { client: string; url: string }[]
  credentials: { username: string; client: string; role: string; status: string }[]
  password: string
  deliveries: { title: string; url: string; requiresLogin: boolean }[]
}

const ACTOR = accountant('demo')

/**
 * A minimal one-page PDF with a few lines of text: a real file a browser opens, small enough to
 * build here (Helvetica, WinAnsi, so Portuguese accents show).
 */
export function demoPdf(lines: string[]): Buffer {
  const escape = (s: string) => s.replace(/[\\()]/g, (ch) => `\\${ch}`)
  const text = lines.map((line, i) => `BT /F1 ${i === 0 ? 16 : 11} Tf 56 ${780 - i * 22} Td (${escape(line)}) Tj ET`).join('\n')
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Length ${Buffer.byteLength(text, 'latin1')} >>\nstream\n${text}\nendstream`,
  ]
  let body = '%PDF-1.4\n'
  const offsets: number[] = []
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'))
    body += `${i + 1} 0 obj\n${object}\nendobj\n`
  })
  const xref = Buffer.byteLength(body, 'latin1')
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(body, 'latin1')
}

/** `2026-03` → `2026-02`. */
function previousMonth(month: string): string {
  const [y, mo] = month.split('-').map(Number)
  return mo === 1 ? `${y - 1}-12` : `${y}-${String(mo - 1).padStart(2, '0')}`
}

/** `2026-03` → `2026-04`. */
function nextMonth(month: string): string {
  const [y, mo] = month.split('-').map(Number)
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`
}

interface DemoDoc {
  client: Client
  title: string
  category: string
  competence?: string
  dueDate?: string
  file: string
}

/**
 * Fills an EMPTY database with a demo firm: a matriz with two filiais, another client, documents
 * of every category with real PDFs, users in every status, two document links (one open, one
 * that requires login), requests (one overdue, one answered with a file) and a guide marked paid
 * with its proof. Refuses a database that already has clients.
 */
export async function fillDemo(
  db: Db,
  key: SecretKey,
  store: FileStore,
  hasher: PasswordHasher,
): Promise<DemoResult> {
  const existing = await listClients(db, { limit: 1 })
  if (existing.length > 0) {
    throw new ConflictError('the database already has clients: demo data goes only into an empty database, such as a new file', {
      remedy: 'database_location',
    })
  }
  await initFirm(db, {})
  const firm = await getFirmOptions(db)
  if (firm.firmName === 'Escritório de Contabilidade') await initFirm(db, { firmName: 'Contabilidade Exemplo' })
  const { firmName, baseUrl } = await getFirmOptions(db)

  const matriz = await addClient(db, key, ACTOR, { name: 'Padaria Pão Quente Ltda', taxId: '11.222.333/0001-81', email: 'financeiro@paoquente.com.br' })
  const filialNorte = await addClient(db, key, ACTOR, { name: 'Pão Quente Filial Norte Ltda', taxId: '11.222.333/0002-62' })
  const filialSul = await addClient(db, key, ACTOR, { name: 'Pão Quente Filial Sul Ltda', taxId: '11.222.333/0003-43' })
  const oficina = await addClient(db, key, ACTOR, { name: 'Oficina Mecânica Roda Viva ME', taxId: '12.ABC.345/01DE-35', requireLogin: 'on' })
  await addGroupMembers(db, ACTOR, matriz.id, [filialNorte.id, filialSul.id])

  const user = (client: Client, username: string, name: string, role: 'admin' | 'collaborator', active = true) =>
    addUser(db, ACTOR, { clientId: client.id, username, name, password: DEMO_PASSWORD, role, active, email: null }, hasher)
  const ana = await user(matriz, 'ana.souza', 'Ana Souza', 'admin')
  const bruno = await user(matriz, 'bruno.lima', 'Bruno Lima', 'collaborator')
  await user(matriz, 'carla.dias', 'Carla Dias', 'collaborator', false)
  const diego = await user(matriz, 'diego.alves', 'Diego Alves', 'collaborator')
  await disableUser(db, ACTOR, diego.id)
  const eduardo = await user(filialNorte, 'eduardo.norte', 'Eduardo Ramos', 'admin')
  await user(oficina, 'fabio.oficina', 'Fábio Nunes', 'admin')
  // Bruno works in purchasing: he does not see payroll.
  await setVisibility(db, ACTOR, bruno.id, { hiddenCategories: ['pessoal'], hiddenCompanyIds: [] })

  // Dated from today, so "A vencer" shows what it is for on any day the demo is made: a guide
  // overdue, one due today, one in 2 days, and one next month (docs/rules.md#the-client-area).
  const today = localDate()
  const c = previousMonth(today.slice(0, 7))
  const docs: DemoDoc[] = [
    { client: matriz, title: 'DAS — Simples Nacional', category: 'fiscal', competence: c, dueDate: addDays(today, -3), file: `das-${c}.pdf` },
    { client: matriz, title: 'Folha de pagamento', category: 'pessoal', competence: c, file: `folha-${c}.pdf` },
    { client: matriz, title: 'FGTS Digital — guia', category: 'pessoal', competence: c, dueDate: today, file: `fgts-${c}.pdf` },
    { client: matriz, title: 'Balancete mensal', category: 'contabil', competence: c, file: `balancete-${c}.pdf` },
    { client: matriz, title: 'Alteração contratual', category: 'societario', file: 'alteracao-contratual.pdf' },
    { client: matriz, title: 'Comunicado de férias coletivas', category: 'outros', file: 'comunicado.pdf' },
    { client: filialNorte, title: 'DARF — IRRF', category: 'fiscal', competence: c, dueDate: addDays(today, 2), file: `darf-norte-${c}.pdf` },
    { client: filialSul, title: 'Balancete mensal', category: 'contabil', competence: c, file: `balancete-sul-${c}.pdf` },
    { client: oficina, title: 'DAS — Simples Nacional', category: 'fiscal', competence: c, dueDate: `${nextMonth(today.slice(0, 7))}-20`, file: `das-oficina-${c}.pdf` },
  ]
  const dir = mkdtempSync(join(tmpdir(), 'confi-demo-'))
  const added = []
  try {
    for (const doc of docs) {
      const path = join(dir, doc.file)
      writeFileSync(path, demoPdf([doc.title, doc.client.name, `Competência: ${doc.competence ?? '-'}`, `${firmName} — documento de demonstração`]))
      added.push(
        await addDocument(db, store, ACTOR, {
          clientId: doc.client.id,
          title: doc.title,
          category: doc.category,
          competence: doc.competence,
          dueDate: doc.dueDate,
          files: [{ path, name: doc.file }],
        }),
      )
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  await fillDemoAnswers(db, store, { matriz, ana, eduardo, darfId: added[6].id, competence: c, today, pdf: demoPdf })
  const open = await createDelivery(db, key, ACTOR, { documentId: added[0].id, channel: 'email', recipient: 'financeiro@paoquente.com.br' })
  const gated = await createDelivery(db, key, ACTOR, { documentId: added[8].id, channel: 'whatsapp', recipient: '+55 11 91234-5678' })

  const link = (client: Client) => ({ client: client.name, url: loginLinkUrl(baseUrl, loginLinkToken(key, client)) })
  return {
    firmName,
    baseUrl,
    loginLinks: [link(matriz), link(filialNorte), link(filialSul), link(oficina)],
    credentials: [
      { username: 'ana.souza', client: matriz.name, role: 'admin', status: 'active' },
      { username: 'bruno.lima', client: matriz.name, role: 'collaborator', status: 'active' },
      { username: 'carla.dias', client: matriz.name, role: 'collaborator', status: 'pending' },
      { username: 'diego.alves', client: matriz.name, role: 'collaborator', status: 'disabled' },
      { username: 'eduardo.norte', client: filialNorte.name, role: 'admin', status: 'active' },
      { username: 'fabio.oficina', client: oficina.name, role: 'admin', status: 'active' },
    ],
    password: DEMO_PASSWORD,
    deliveries: [
      { title: `${added[0].title} (${matriz.name})`, url: open.url, requiresLogin: false },
      { title: `${added[8].title} (${oficina.name})`, url: gated.url, requiresLogin: true },
    ],
  }
}
