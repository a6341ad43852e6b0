import { Hono } from 'hono'
import { clientUser } from '../../core/actors.js'
import { NotFoundError } from '../../core/errors.js'
import { loadPublicKeys, loadSigningKeys } from '../../core/proof/keys.js'
import { renderProtocolPdf, renderReceiptPdf } from '../../core/proof/receipt-pdf/index.js'
import { issueNothingToSendProtocol, issuePaidProtocol, issueUploadProtocol } from '../../core/proof/protocols.js'
import type { Protocol } from '../../core/proof/protocol-format.js'
import { issueReceipt, recheckReceipt } from '../../core/proof/receipts.js'
import { render, viewerOf, type PortalContext, type PortalEnv } from '../env.js'
import { requireArea } from '../guards.js'
import { parseId } from '../ids.js'
import { m } from '../messages.js'
import { Layout, Notice } from '../views/layout.js'
import { visibleDocument } from './document-request.js'

/** GET /:id/comprovante under /documents: the receipt PDF of a document the user may see. */
export function documentReceiptRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  app.get('/:id/comprovante', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const { db, config } = c.var.deps
    const document = await visibleDocument(c, auth)
    const receipt = await issueReceipt(db, loadSigningKeys(config.signingKeyFile), clientUser(auth.user.id), {
      documentId: document.id,
    })
    return pdfAttachment(c, await renderReceiptPdf(receipt), `comprovante-${document.id}.pdf`)
  })

  // The protocolo de envio of a guide's paid mark: for whoever may see the guide (core checks).
  app.get('/:id/protocolo', async (c) => {
    const auth = await requireArea(c)
    if (auth instanceof Response) return auth
    const { db, config } = c.var.deps
    const id = parseId(c.req.param('id'))
    const protocol = await issuePaidProtocol(db, loadSigningKeys(config.signingKeyFile), clientUser(auth.user.id), id)
    return pdfAttachment(c, await renderProtocolPdf(protocol), `protocolo-pagamento-${id}.pdf`)
  })

  return app
}

/**
 * GET /envios/:id/protocolo and /pendencias/:id/protocolo: the protocolo de envio of an upload,
 * and of a request's "nada a enviar", for whoever may see them (core answers "not found" to anyone else).
 */
export function protocolRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()
  for (const [path, issue, name] of [
    ['/envios/:id/protocolo', issueUploadProtocol, 'envio'],
    ['/pendencias/:id/protocolo', issueNothingToSendProtocol, 'nada-a-enviar'],
  ] as const) {
    app.get(path, async (c) => {
      const auth = await requireArea(c)
      if (auth instanceof Response) return auth
      const { db, config } = c.var.deps
      const id = parseId(c.req.param('id'))
      const protocol = await issue(db, loadSigningKeys(config.signingKeyFile), clientUser(auth.user.id), id)
      return pdfAttachment(c, await renderProtocolPdf(protocol), `protocolo-${name}-${id}.pdf`)
    })
  }
  return app
}

function pdfAttachment(c: PortalContext, pdf: Uint8Array, name: string): Response {
  return c.body(pdf as Uint8Array<ArrayBuffer>, 200, {
    'content-type': 'application/pdf',
    'content-disposition': `attachment; filename="${name}"`,
    'cache-control': 'no-store',
  })
}

/** GET /:code under /comprovantes: the public re-check of a receipt, where its QR code points. */
export function receiptCheckRoutes(): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>()

  // Public by design: the receipt's 128-bit code is what its holder shows (docs/decisions.md).
  app.get('/:code', async (c) => {
    const { db, config } = c.var.deps
    const found = await recheckReceipt(db, loadPublicKeys(config.signingKeyFile) ?? [], c.req.param('code'))
    if (!found) throw new NotFoundError('not found')
    const { receipt, check } = found
    const status = check.ok ? 200 : 409
    const title = receipt.type === 'confi-protocol' ? 'Protocolo de envio' : 'Comprovante de acesso'
    return render(
      c,
      <Layout title={title} firmName={c.var.firm.firmName} viewer={viewerOf(c.var.auth ?? null)}>
        <h1>{title}</h1>
        {check.ok ? (
          <Notice kind="ok">Comprovante válido: os registros conferem com o registro de acessos assinado do escritório.</Notice>
        ) : (
          <Notice kind="error">Comprovante não confere: {check.problems.join('; ')}</Notice>
        )}
        <div class="card">
          <dl>
            <dt>Código</dt>
            <dd>{receipt.id}</dd>
            <dt>Emitido em</dt>
            <dd>{m.dateTime(receipt.issuedAt)}</dd>
            {receipt.type === 'confi-protocol' ? (
              <>
                <dt>Empresa</dt>
                <dd>{receipt.client.name}</dd>
                <dt>O que foi enviado</dt>
                <dd>{protocolWhat(receipt)}</dd>
                <dt>Registrado em</dt>
                <dd>{m.dateTime(String(receipt.row.at))}</dd>
              </>
            ) : (
              <>
                <dt>Documento</dt>
                <dd>{receipt.document.title}</dd>
                <dt>Acessos</dt>
                <dd>{receipt.rows.length}</dd>
              </>
            )}
            <dt>Assinado em</dt>
            <dd>
              {m.dateTime(receipt.checkpoint.at)} <span class="muted">(chave {receipt.checkpoint.keyId})</span>
            </dd>
          </dl>
        </div>
      </Layout>,
      status,
    )
  })

  return app
}

/** "2 arquivos", "Nada a enviar: Extrato bancário", "Guia paga: DAS 10/2026" — what a protocol is of. */
function protocolWhat(p: Protocol): string {
  if (p.upload) return `${p.upload.files.length} ${p.upload.files.length === 1 ? 'arquivo' : 'arquivos'}${p.request ? ` (${p.request.title})` : ''}`
  if (p.payment) return `Guia paga: ${p.payment.document.title}`
  return `Nada a enviar: ${p.request?.title ?? ''}`
}
