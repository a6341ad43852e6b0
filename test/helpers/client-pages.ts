import { Readable } from 'node:stream'
import type { Browser, BrowserContext } from 'playwright-core'
import { accountant } from '../../src/core/actors.js'
import { setFirmOptions } from '../../src/core/clients/firm.js'
import { acceptTerms, publishTerms } from '../../src/core/identity/terms.js'
import { getUser } from '../../src/core/identity/users.js'
import { revokeDelivery, resolveDelivery } from '../../src/core/delivery/deliveries.js'
import { addRequest, closeRequest, reopenRequest } from '../../src/core/requests/index.js'
import { addDays, localDate } from '../../src/core/time.js'
import { markPaidWithProof, receiveUpload } from '../../src/core/uploads/index.js'
import { multipart, PDF } from '../core/uploads/multipart.js'
import { nfe } from './fiscal-xml.js'
import { makeDocument, writeTestFile } from './factories.js'
import type { PortalWorld } from './portal.js'

// The main pages of the portal as a firm's client meets them (issue 22), filled once per browser
// test file: an admin with documents due and past, a collaborator, a pending user, a link with
// several files and an expired link. Paths are filled in by `fillClientPages`.

export interface ClientPages {
  /** The admin's session cookie value. */
  adminSession: string
  /** Page name → path; the `anonymous` ones are opened without a session. */
  paths: Record<string, string>
  anonymous: Set<string>
}

/** Fills the world and returns the pages to visit. */
export async function fillClientPages(w: PortalWorld, pages: ClientPages): Promise<void> {
  const actor = accountant('cli:test')
  await setFirmOptions(w.t.db, actor, { firmName: 'Contabilidade Exemplo', phone: '(11) 98765-4321', contactEmail: 'atendimento@exemplo.com.br' })
  const matriz = await w.client('Padaria Pão Quente Ltda')
  const filial = await w.client('Pão Quente Filial Norte Ltda')
  await w.group(matriz, [filial])
  const ana = await w.user(matriz, 'ana.souza', { role: 'admin' })
  const bruno = await w.user(matriz, 'bruno.lima')
  await w.user(matriz, 'carla.dias', { status: 'pending' })
  const today = localDate()
  const file = (name: string) => ({ path: writeTestFile(w.t.dir, `${name}-${Math.random()}`, `%PDF-1.4 ${name}`), name })
  const das = await makeDocument(w.t, matriz.id, { title: 'DAS — Simples Nacional', competence: today.slice(0, 7), dueDate: addDays(today, -3), files: [file('das.pdf')] })
  const darf = await makeDocument(w.t, filial.id, { title: 'DARF — IRRF', dueDate: addDays(today, 2), files: [file('darf.pdf')] })
  const folha = await makeDocument(w.t, matriz.id, { title: 'Folha de pagamento', category: 'pessoal', files: [file('folha.pdf'), file('recibos.pdf')] })
  const token = await w.deliver(folha)
  const gone = await w.deliver(folha)
  const resolved = await resolveDelivery(w.t.db, gone)
  if (resolved.status !== 'ok') throw new Error('expected a live delivery')
  await revokeDelivery(w.t.db, actor, resolved.delivery.id)
  // "Pendências": one overdue request and one the firm reopened, with its reason.
  await addRequest(w.t.db, actor, { clientId: filial.id, title: 'Notas fiscais de entrada', category: 'fiscal', dueDate: addDays(today, -1) })
  const extrato = await addRequest(w.t.db, actor, {
    clientId: matriz.id,
    title: 'Extrato bancário',
    category: 'contabil',
    competence: today.slice(0, 7),
    dueDate: addDays(today, 4),
    note: 'Todas as contas da empresa, em PDF',
  })
  await closeRequest(w.t.db, actor, extrato.id)
  await reopenRequest(w.t.db, actor, extrato.id, { reason: 'Falta o extrato da conta poupança', mail: null })
  // Something sent to the firm: a bank statement and an NF-e, read on arrival; and a guide paid
  // with its proof (the DARF keeps the "Marcar como pago" form with its file input).
  const sent = multipart([
    { name: 'empresa', value: String(matriz.id) },
    { name: 'categoria', value: 'fiscal' },
    { name: 'nota', value: 'Extrato de novembro e a nota de compra da farinha' },
    { name: 'arquivos', filename: 'extrato-novembro.pdf', content: PDF },
    { name: 'arquivos', filename: 'nota-1234.xml', content: nfe() },
  ])
  const origin = { ip: '198.51.100.4', port: 40000, userAgent: 'Teste' }
  const uploadId = await receiveUpload(w.t.db, w.store, { userId: ana.id, requestId: null, body: Readable.from([sent.body]), contentType: sent.contentType, origin })
  const paid = multipart([{ name: 'paid_on', value: today }, { name: 'arquivos', filename: 'comprovante.pdf', content: PDF }])
  await markPaidWithProof(w.t.db, w.store, { userId: ana.id, documentId: das.id, body: Readable.from([paid.body]), contentType: paid.contentType, origin, paidOnFrom: (f) => f.get('paid_on') ?? '' })
  // Published terms: the registration page carries the consent box, /termos shows them; the
  // admin accepted them, so the other pages open as they are.
  const terms = '# Termos de uso\n\nO escritório guarda os documentos enviados pelo prazo da lei.\n\n- Seus acessos ficam registrados.\n'
  const { version } = await publishTerms(w.t.db, actor, { bytes: new TextEncoder().encode(terms), sourceName: 'termos.md' })
  await acceptTerms(w.t.db, await getUser(w.t.db, ana.id), version.id, origin)
  pages.adminSession = (await w.cookieFor(ana)).split('=')[1]
  pages.paths = {
    login: '/login',
    area: w.loginPath(matriz),
    documents: '/',
    document: `/documents/${folha.id}`,
    users: '/users',
    user: `/users/${bruno.id}`,
    'disable-confirm': `/users/${bruno.id}/disable`,
    account: '/account',
    'two-factor-setup': '/account/2fa',
    link: `/d/${token}`,
    'link-gone': `/d/${gone}`,
    request: `/pendencias/${extrato.id}`,
    send: '/enviar',
    upload: `/envios/${uploadId}`,
    guide: `/documents/${darf.id}`,
    'guide-paid': `/documents/${das.id}`,
    terms: '/termos',
  }
  pages.anonymous = new Set(['login', 'area', 'link', 'link-gone', 'terms'])
}

/** A browser context of `width`, logged in as the admin unless `anonymous`. */
export async function contextFor(browser: Browser, baseUrl: string, pages: ClientPages, width: number, anonymous: boolean): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width, height: width < 600 ? 640 : 800 } })
  if (!anonymous) await context.addCookies([{ name: 'confi_session', value: pages.adminSession, url: baseUrl }])
  return context
}
