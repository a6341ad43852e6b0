import type { Category } from '../../core/categories.js'
import { formatTaxId } from '../../core/clients/tax-id.js'
import { formatAmount } from '../../core/documents/amount.js'
import { FISCAL_MODEL_NAMES, type ClientUpload, type FiscalFields } from '../../core/uploads/index.js'
import { m } from '../messages.js'
import { Field, fieldId, type FieldError } from './fields.js'
import { Layout, LinkWithHint, Notice, Whole, type Viewer } from './layout.js'

// What a client sends the firm: the "Enviar ao escritório" form and the page of one upload, with
// its history. Plain multipart forms: they work without JavaScript; on a phone the file picker
// offers the camera.

/** The portal's words for uploads. */
export const um = {
  protocol: 'Baixar protocolo',
  protocolHint: '(PDF assinado pelo escritório com os arquivos que você enviou e quando: sua prova do envio)',
  sendTitle: 'Enviar ao escritório',
  sendIntro: 'Envie arquivos ao escritório sem esperar um pedido: extratos, notas, comprovantes, planilhas.',
  files: 'Arquivos',
  filesHint: (maxMb: number, maxFiles: number) =>
    `Até ${maxFiles} arquivos de até ${maxMb} MB cada: PDF, foto (JPEG, PNG, HEIC), XML, OFX, CSV ou planilha XLSX.`,
  note: 'Observação (opcional)',
  noteHint: 'Algo que o escritório deva saber sobre estes arquivos.',
  submit: 'Enviar',
  uploadTitle: (id: number) => `Envio ${id}`,
  sentNotice: 'Arquivos enviados. O escritório foi avisado e você verá aqui quando forem conferidos.',
  history: 'Histórico',
  filesSent: 'Arquivos enviados',
  download: 'Baixar',
  status: { received: 'Aguardando o escritório', accepted: 'Aceito pelo escritório', rejected: 'Recusado pelo escritório' },
  step: {
    sent: (by: string | null) => `Enviado por ${by ?? 'sua empresa'}`,
    accepted: 'Aceito pelo escritório',
    rejected: 'Recusado pelo escritório',
  },
  reason: 'Motivo',
  request: 'Pedido',
  sendAgain: 'Enviar de novo',
  back: 'Voltar e tentar de novo',
  fiscal: { key: 'chave', issuer: 'Emitente', recipient: 'Destinatário', issuedOn: 'Emissão', total: 'Total' },
  refused: {
    too_large: (name: string, maxMb: number) => `O arquivo "${name}" passa de ${maxMb} MB, o limite por arquivo. Diminua o arquivo (ou divida-o) e envie de novo.`,
    upload_too_large: (maxMb: number) => `O envio passa de ${maxMb} MB no total. Envie os arquivos em partes, em mais de um envio.`,
    too_many_files: (maxFiles: number) => `Escolha no máximo ${maxFiles} arquivos de cada vez. Envie os demais em outro envio.`,
    type_not_accepted: (name: string) =>
      `O arquivo "${name}" não é de um tipo aceito. Envie PDF, JPEG, PNG, HEIC, XML, OFX, CSV ou XLSX.`,
    empty_file: (name: string) => `O arquivo "${name}" está vazio. Escolha o arquivo de novo.`,
    no_file: 'Escolha pelo menos um arquivo para enviar.',
    interrupted: 'O envio foi interrompido antes de terminar e nada foi guardado. Confira sua conexão e envie de novo.',
    malformed: 'O formulário enviado não é válido. Volte e envie de novo.',
    already_received: (name: string) => `O arquivo "${name}" traz uma nota fiscal que sua empresa já enviou. Retire-o e envie os demais.`,
    closed: 'Este pedido já foi encerrado e não recebe mais arquivos.',
  },
  refusedTitle: {
    too_large: 'Arquivo grande demais',
    upload_too_large: 'Envio grande demais',
    too_many_files: 'Arquivos demais',
    type_not_accepted: 'Tipo de arquivo não aceito',
    empty_file: 'Arquivo vazio',
    no_file: 'Nenhum arquivo escolhido',
    interrupted: 'Envio interrompido',
    malformed: 'Dados inválidos',
    already_received: 'Nota fiscal já enviada',
    closed: 'Pedido encerrado',
  },
}

export interface SendForm {
  companies: { id: number; name: string }[]
  categories: Category[]
  maxMb: number
  maxFiles: number
  typed?: { company?: string; category?: string; note?: string }
}

/** The file input and note of every send form (this page's and each request's). */
export function FileFields(props: { prefix: string; maxMb: number; maxFiles: number; errors?: FieldError[]; note?: string }) {
  return (
    <>
      <Field
        prefix={props.prefix}
        name="arquivos"
        label={um.files}
        hint={um.filesHint(props.maxMb, props.maxFiles)}
        type="file"
        multiple
        required
        accept=".pdf,.jpg,.jpeg,.png,.heic,.heif,.xml,.ofx,.csv,.xlsx,application/pdf,image/*,text/csv,application/xml"
        errors={props.errors}
      />
      <label for={fieldId(props.prefix, 'nota')}>
        {um.note}
        <span class="hint">{um.noteHint}</span>
      </label>
      <textarea id={fieldId(props.prefix, 'nota')} name="nota" rows={3} maxlength={2000}>
        {props.note ?? ''}
      </textarea>
    </>
  )
}

/** GET /enviar: files outside any request, for a company of the group and a category. */
export function SendPage(props: { firmName: string; viewer: Viewer; form: SendForm; errors?: FieldError[] }) {
  const f = props.form
  return (
    <Layout title={um.sendTitle} firmName={props.firmName} viewer={props.viewer} errors={props.errors}>
      <h1>{um.sendTitle}</h1>
      <div class="card">
        <p>{um.sendIntro}</p>
        <form method="post" action="/enviar" enctype="multipart/form-data">
          {f.companies.length > 1 ? (
            <>
              <label for="enviar-empresa">{m.fields.company}</label>
              <select id="enviar-empresa" name="empresa">
                {f.companies.map((c) => (
                  <option value={String(c.id)} selected={f.typed?.company === String(c.id)}>
                    {c.name}
                  </option>
                ))}
              </select>
            </>
          ) : (
            <input type="hidden" name="empresa" value={String(f.companies[0]?.id ?? '')} />
          )}
          <label for="enviar-categoria">{m.fields.category}</label>
          <select id="enviar-categoria" name="categoria">
            {f.categories.map((c) => (
              <option value={c} selected={(f.typed?.category ?? 'outros') === c}>
                {m.categories[c]}
              </option>
            ))}
          </select>
          <FileFields prefix="enviar" maxMb={f.maxMb} maxFiles={f.maxFiles} errors={props.errors} note={f.typed?.note} />
          <button type="submit">{um.submit}</button>
        </form>
      </div>
    </Layout>
  )
}

/** GET /envios/:id: what was sent, its files (to download again) and its history. */
export function UploadPage(props: { firmName: string; viewer: Viewer; view: ClientUpload; notice?: string }) {
  const { upload, history } = props.view
  return (
    <Layout title={um.uploadTitle(upload.id)} firmName={props.firmName} viewer={props.viewer}>
      <h1>{um.uploadTitle(upload.id)}</h1>
      {props.notice ? <Notice kind="ok">{props.notice}</Notice> : null}
      <section class="card" aria-labelledby="h-envio">
        <h2 id="h-envio">{um.status[upload.status]}</h2>
        <dl>
          <dt>{m.fields.company}</dt>
          <dd>{upload.clientName}</dd>
          {upload.requestTitle ? (
            <>
              <dt>{um.request}</dt>
              <dd>{upload.requestTitle}</dd>
            </>
          ) : null}
          {upload.category ? (
            <>
              <dt>{m.fields.category}</dt>
              <dd>{m.categories[upload.category]}</dd>
            </>
          ) : null}
        </dl>
      </section>
      <section class="card" aria-labelledby="h-arquivos">
        <h2 id="h-arquivos">{um.filesSent}</h2>
        <ul class="files">
          {upload.files.map((file) => (
            <li>
              <a href={`/envios/${upload.id}/arquivos/${file.id}`} download={file.name}>
                {file.name}
              </a>{' '}
              <span class="muted">({formatBytes(file.size)})</span>
              {file.fiscal ? <FiscalLine fiscal={file.fiscal} /> : null}
              {file.note ? <p class="muted">{file.note}</p> : null}
            </li>
          ))}
        </ul>
        <LinkWithHint href={`/envios/${upload.id}/protocolo`} hint={um.protocolHint}>
          {um.protocol}
        </LinkWithHint>
      </section>
      <section class="card" aria-labelledby="h-historico">
        <h2 id="h-historico">{um.history}</h2>
        <ol>
          {history.map((step) => (
            <li>
              <strong>{step.action === 'sent' ? um.step.sent(step.by) : um.step[step.action]}</strong>, {m.dateTime(step.at)}
              {step.note ? (
                <p>
                  {step.action === 'rejected' ? `${um.reason}: ` : ''}
                  {step.note}
                </p>
              ) : null}
            </li>
          ))}
        </ol>
        {upload.status === 'rejected' ? (
          <p>
            <a class="button" href={upload.requestId ? `/pendencias/${upload.requestId}` : '/enviar'}>
              {um.sendAgain}
            </a>
          </p>
        ) : null}
      </section>
    </Layout>
  )
}

/**
 * What an NF-e, NFC-e or CT-e says, read on arrival: the key in blocks of four, as the DANFE prints
 * it (it wraps between blocks); each CNPJ, date and amount whole.
 */
function FiscalLine(props: { fiscal: FiscalFields }) {
  const f = props.fiscal
  const parts: [string, string][] = [
    [um.fiscal.issuer, formatTaxId(f.issuer)],
    ...(f.recipient ? [[um.fiscal.recipient, formatTaxId(f.recipient)] as [string, string]] : []),
    [um.fiscal.issuedOn, m.date(f.issued_on)],
    [um.fiscal.total, formatAmount(f.total_cents)],
  ]
  return (
    <p class="muted">
      {FISCAL_MODEL_NAMES[f.model]} · {um.fiscal.key} {f.key.replace(/(.{4})(?=.)/g, '$1 ')}
      {parts.map(([label, value]) => (
        <>
          {` · ${label} `}
          <Whole>{value}</Whole>
        </>
      ))}
    </p>
  )
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace('.', ',')} MB`
  return `${Math.max(1, Math.round(bytes / 1024))} KB`
}
