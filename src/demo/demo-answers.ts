import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { accountant } from '../core/actors.js'
import type { Client } from '../core/clients/index.js'
import type { Db } from '../core/db/index.js'
import type { ClientUser } from '../core/identity/index.js'
import { addRequest } from '../core/requests/index.js'
import type { FileStore } from '../core/storage/index.js'
import { addDays } from '../core/time.js'
import { FILES_FIELD, markPaidWithProof, receiveUpload, UPLOAD_FIELDS } from '../core/uploads/index.js'

// The client's side of the demo (docs/requests.md, docs/uploads.md): what the firm asks for, one
// request already answered with a file, and a guide marked paid with its proof, so the client
// area shows "Pendências" and a paid guide on the first run. The answers go through the same
// intake as the portal's forms, as a browser would send them.

const ACTOR = accountant('demo')
// No browser sent these: the log rows commit no address.
const ORIGIN = { ip: null, port: null, userAgent: null }

/** A multipart body as a browser's form sends it: text fields, then one file. */
function formBody(fields: Record<string, string>, file: { name: string; bytes: Buffer }): { body: Readable; contentType: string } {
  const boundary = `----confidemo${randomBytes(8).toString('hex')}`
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  )
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${FILES_FIELD}"; filename="${file.name}"\r\nContent-Type: application/pdf\r\n\r\n`
  const body = Buffer.concat([Buffer.from(parts.join('') + head), file.bytes, Buffer.from(`\r\n--${boundary}--\r\n`)])
  return { body: Readable.from([body]), contentType: `multipart/form-data; boundary=${boundary}` }
}

export interface DemoAnswers {
  matriz: Client
  /** The matriz's admin, who answers a request. */
  ana: ClientUser
  /** The filial's admin, who marks its DARF paid. */
  eduardo: ClientUser
  /** A guide of the filial, due in 2 days. */
  darfId: number
  competence: string
  today: string
  /** A PDF with these lines. */
  pdf: (lines: string[]) => Buffer
}

/** Two open requests (one overdue), one answered with a file, and the filial's DARF paid with its proof. */
export async function fillDemoAnswers(db: Db, store: FileStore, d: DemoAnswers): Promise<void> {
  const ask = (title: string, category: string, due: number, note?: string) =>
    addRequest(db, ACTOR, { clientId: d.matriz.id, title, category, competence: d.competence, dueDate: addDays(d.today, due), note })
  await ask('Notas fiscais de entrada', 'fiscal', -2)
  await ask('Extrato bancário', 'contabil', 3, 'Todas as contas da empresa, em PDF ou OFX.')
  const sales = await ask('Relatório de vendas do mês', 'contabil', 1)
  const report = formBody({ [UPLOAD_FIELDS.note]: 'Relatório tirado do sistema do caixa.' }, {
    name: `vendas-${d.competence}.pdf`,
    bytes: d.pdf(['Relatório de vendas', d.matriz.name, `Competência: ${d.competence}`]),
  })
  await receiveUpload(db, store, { userId: d.ana.id, requestId: sales.id, ...report, origin: ORIGIN })
  const proof = formBody({ paid_on: d.today }, { name: 'comprovante-darf.pdf', bytes: d.pdf(['Comprovante de pagamento', 'DARF — IRRF', d.today]) })
  await markPaidWithProof(db, store, { userId: d.eduardo.id, documentId: d.darfId, ...proof, origin: ORIGIN, paidOnFrom: (fields) => fields.get('paid_on') ?? '' })
}
