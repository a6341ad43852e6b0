// Issue 20 part 8 end to end: an NF-e XML sent through the portal is read on arrival by the real
// reader; its fields show on the upload's page and in `confi inbox list` (table and JSON), the
// same key again is refused, and a hostile XML is kept as a plain file with its note.
import { describe, expect, it } from 'vitest'
import { runConfi } from '../helpers/cli.js'
import { BILLION_LAUGHS, CTE_KEY, cte, NFE_KEY, nfe, xxe } from '../helpers/fiscal-xml.js'
import { ORIGIN, usePortalWorld, visible } from '../helpers/portal.js'
import { multipart, type Part } from '../core/uploads/multipart.js'

const w = usePortalWorld()

function send(cookie: string, clientId: number, files: { filename: string; content: string }[]) {
  const parts: Part[] = [
    { name: 'empresa', value: String(clientId) },
    { name: 'categoria', value: 'fiscal' },
    ...files.map((f) => ({ name: 'arquivos', filename: f.filename, content: f.content, type: 'text/xml' })),
  ]
  const form = multipart(parts)
  return w.app.request(
    '/enviar',
    { method: 'POST', headers: { origin: ORIGIN, cookie, 'content-type': form.contentType }, body: form.body, redirect: 'manual' },
    { incoming: { socket: { remoteAddress: '198.51.100.4', remotePort: 40000 } } } as never,
  )
}

const uploadId = (response: Response) => Number(/\/envios\/(\d+)/.exec(response.headers.get('location') ?? '')![1])
const confi = (args: string[]) => runConfi(args, { env: w.t.env, cwd: w.t.dir })

describe('NF-e sent through the portal', () => {
  it('shows the note’s fields on the upload page and in inbox list, and refuses the same key again (409)', async () => {
    const { client, ana } = await w.clientWithAdmin()
    const cookie = await w.cookieFor(ana)
    const sent = await send(cookie, client.id, [
      { filename: 'nota-1234.xml', content: nfe() },
      { filename: 'frete.xml', content: cte() },
    ])
    expect(sent.status).toBe(303)
    const id = uploadId(sent)
    const page = visible(await (await w.request(`/envios/${id}`, { cookie })).text())
    expect(page).toContain(
      'NF-e · chave 3526 1211 2223 3300 0181 5500 1000 0012 3411 2345 6784 · Emitente 11.222.333/0001-81 · Destinatário 11.444.777/0001-61 · Emissão 01/12/2026 · Total R$ 1.234,56',
    )
    expect(page).toContain('CT-e · chave 3526 1211 2223 3300 0181 5700 1000 0000 4211 2345 6788 · Emitente 11.222.333/0001-81 · Destinatário 529.982.247-25 · Emissão 30/11/2026 · Total R$ 350,00')

    const json = await confi(['inbox', 'list', '--json'])
    expect(json.code, json.stderr).toBe(0)
    const [listed] = JSON.parse(json.stdout) as { id: number; files: { name: string; fiscal: unknown; note: string | null }[] }[]
    expect(listed.id).toBe(id)
    expect(listed.files.map((f) => [f.name, f.fiscal, f.note])).toEqual([
      ['nota-1234.xml', { key: NFE_KEY, model: 'nfe', issuer: '11222333000181', recipient: '11444777000161', issued_on: '2026-12-01', total_cents: 123456 }, null],
      ['frete.xml', { key: CTE_KEY, model: 'cte', issuer: '11222333000181', recipient: '52998224725', issued_on: '2026-11-30', total_cents: 35000 }, null],
    ])
    const table = await confi(['inbox', 'list'])
    expect(table.code, table.stderr).toBe(0)
    const nfeLine = table.stdout.split('\n').find((line) => line.includes(NFE_KEY))!
    for (const cell of ['nota-1234.xml', 'NF-e', '11.222.333/0001-81', '11.444.777/0001-61', '2026-12-01', 'R$ 1.234,56']) expect(nfeLine).toContain(cell)
    expect(table.stdout.split('\n').find((line) => line.includes(CTE_KEY))).toContain('R$ 350,00')

    // The same NF-e again, renamed and with other files: the whole upload is refused.
    const again = await send(cookie, client.id, [{ filename: 'copia.xml', content: nfe() }, { filename: 'outra.xml', content: nfe({ key: '35261211222333000181550010000012351123456789' }) }])
    expect(again.status).toBe(409)
    const html = await again.text()
    expect(html).toContain('<html lang="pt-BR">')
    expect(visible(html)).toContain('O arquivo "copia.xml" traz uma nota fiscal que sua empresa já enviou')
    expect((await w.db.selectFrom('uploads').select('id').execute()).length).toBe(1)
    expect((await w.db.selectFrom('received_fiscal_keys').select('access_key').execute()).map((r) => r.access_key).sort()).toEqual([NFE_KEY, CTE_KEY].sort())
  })

  it('keeps an XML bomb and an XXE as plain files with their note, shown on the page and in inbox list', async () => {
    const { client, ana } = await w.clientWithAdmin()
    const cookie = await w.cookieFor(ana)
    const sent = await send(cookie, client.id, [
      { filename: 'bomba.xml', content: BILLION_LAUGHS },
      { filename: 'xxe.xml', content: xxe() },
    ])
    expect(sent.status).toBe(303)
    const id = uploadId(sent)
    const view = await w.request(`/envios/${id}`, { cookie })
    expect(view.status).toBe(200)
    const page = visible(await view.text())
    expect(page).toContain('bomba.xml')
    expect(page.match(/O XML traz uma declaração DOCTYPE, que nenhuma nota fiscal tem; por segurança não foi lido\./g)).toHaveLength(2)
    expect(page).not.toContain('root:')
    const files = await w.db.selectFrom('upload_files').select(['file_name', 'media_type', 'fiscal']).orderBy('id').execute()
    expect(files).toEqual([
      { file_name: 'bomba.xml', media_type: 'application/xml', fiscal: null },
      { file_name: 'xxe.xml', media_type: 'application/xml', fiscal: null },
    ])
    expect(await w.db.selectFrom('received_fiscal_keys').selectAll().execute()).toEqual([])
    const table = await confi(['inbox', 'list'])
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout.split('\n').find((line) => line.includes('bomba.xml'))).toContain('DOCTYPE')
    expect(w.errors).toEqual([])
  })
})
