// The protocolo de envio of a colleague's upload, over a real HTTP server (as `confi serve` runs):
// a client user who is not the person who sent gets it without the sender's IP address, source
// port and browser (docs/receipts.md, "Values withheld from a colleague"); the sender gets every
// value; each is served only to whom it is for, and both verify, worded apart.
import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { loadSigningKeys } from '../../src/core/proof/keys.js'
import type { Protocol } from '../../src/core/proof/protocol-format.js'
import { parseAnyReceipt, verifyProtocol } from '../../src/core/proof/protocol-verify.js'
import { extractReceiptJson } from '../../src/core/proof/receipt-pdf/index.js'
import { ORIGIN, usePortalWorld, useRealServer } from '../helpers/portal.js'
import { multipart, PDF } from '../core/uploads/multipart.js'

const w = usePortalWorld()
const backend = process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'
const ANA_BROWSER = 'NavegadorDaAna/7.3 (Linux; ana-notebook)'
const listenPort = useRealServer(w)
const listen = async () => `http://127.0.0.1:${await listenPort()}`

/** The PDF's bytes, and every stream of it inflated (its pages' text and the attached JSON). */
function everything(pdf: Buffer): string {
  const raw = pdf.toString('latin1')
  let out = raw
  for (const match of raw.matchAll(/\/FlateDecode[^>]*>>\s*stream\r?\n([\s\S]*?)endstream/g)) {
    try {
      out += inflateSync(Buffer.from(match[1], 'latin1')).toString('latin1')
    } catch {
      // Not every stream inflates whole (a trailing newline): the JSON is checked parsed too.
    }
  }
  return out
}

/** The text the PDF's pages show (hex strings of its Tj operators). */
function pageText(pdf: Buffer): string {
  let text = ''
  for (const op of everything(pdf).matchAll(/<([0-9A-Fa-f]*)> Tj/g)) text += `${Buffer.from(op[1], 'hex').toString('latin1')}\n`
  return text
}

async function download(base: string, id: number, cookie: string): Promise<{ pdf: Buffer; protocol: Protocol }> {
  const response = await fetch(`${base}/envios/${id}/protocolo`, { headers: { cookie, 'user-agent': 'Leitor/1.0' } })
  expect(response.status).toBe(200)
  const pdf = Buffer.from(await response.arrayBuffer())
  return { pdf, protocol: parseAnyReceipt(await extractReceiptJson(pdf)) as Protocol }
}

describe(`a colleague's protocolo de envio over HTTP on ${backend}`, () => {
  it("leaves out the sender's IP, port and browser for a colleague and a head company's user; the sender gets them; both verify", async () => {
    loadSigningKeys(w.t.config.signingKeyFile, { create: true })
    const trusted = loadSigningKeys(w.t.config.signingKeyFile).all
    const { client, ana } = await w.clientWithAdmin()
    const bia = await w.user(client, 'bia')
    const head = await w.client('Holding Pão Ltda')
    await w.group(head, [client])
    const hugo = await w.user(head, 'hugo', { role: 'admin' })
    const base = await listen()

    const form = multipart([
      { name: 'empresa', value: String(client.id) },
      { name: 'categoria', value: 'contabil' },
      { name: 'arquivos', filename: 'extrato.pdf', content: PDF, type: 'application/pdf' },
    ])
    const sent = await fetch(`${base}/enviar`, {
      method: 'POST',
      headers: { cookie: await w.cookieFor(ana), origin: ORIGIN, 'content-type': form.contentType, 'user-agent': ANA_BROWSER },
      body: form.body,
      redirect: 'manual',
    })
    expect(sent.status).toBe(303)
    const id = Number(/^\/envios\/(\d+)/.exec(sent.headers.get('location')!)![1])

    // The colleague asks first: the copy stored for her is never the sender's, nor the reverse.
    const colleague = await download(base, id, await w.cookieFor(bia))
    const sender = await download(base, id, await w.cookieFor(ana))
    const row = sender.protocol.row
    expect(row).toMatchObject({ user_id: ana.id, username: 'ana', ip: '127.0.0.1', user_agent: ANA_BROWSER })
    expect(sender.protocol).not.toHaveProperty('withheld')
    const anaPort = Number(row.port)
    expect(anaPort).toBeGreaterThan(0)
    const salts = ['ip', 'port', 'user_agent'].map((f) => String(row[`${f}_salt`]))
    expect(salts.every((s) => /^[0-9a-f]{32}$/.test(s))).toBe(true)

    const held = colleague.protocol
    expect(held.withheld).toEqual({ fields: ['ip', 'port', 'user_agent'], reason: 'another_person' })
    expect(held.row).toMatchObject({
      id: row.id,
      hash: row.hash,
      username: 'ana',
      user_name: 'Nome ana',
      username_salt: row.username_salt,
      ip: null,
      ip_salt: null,
      port: null,
      port_salt: null,
      user_agent: null,
      user_agent_salt: null,
      ip_commitment: row.ip_commitment,
      port_commitment: row.port_commitment,
      user_agent_commitment: row.user_agent_commitment,
    })
    expect(held.id).not.toBe(sender.protocol.id)
    const bytes = everything(colleague.pdf)
    for (const secret of [ANA_BROWSER, 'NavegadorDaAna', '127.0.0.1', ...salts]) expect(bytes, secret).not.toContain(secret)
    expect(JSON.stringify(held)).not.toMatch(new RegExp(`"port":${anaPort}\\b`))
    expect(pageText(colleague.pdf)).toContain('IP não incluído: dado de outra pessoa, navegador não incluído: dado de outra pessoa')
    expect(pageText(colleague.pdf)).not.toContain('apagado (LGPD)')
    const senderBytes = everything(sender.pdf)
    expect(senderBytes).toContain(ANA_BROWSER)
    expect(pageText(sender.pdf)).toContain(`IP 127.0.0.1, navegador ${ANA_BROWSER}`)

    const heldCheck = verifyProtocol(held, trusted)
    expect(heldCheck).toMatchObject({ ok: true, problems: [] })
    expect(heldCheck.details).toContain("from IP not included (another person's), port not included (another person's), browser not included (another person's)")
    expect(heldCheck.details).toContain(
      "3 personal values not included (ip, port, user_agent): another person's, given only to them and the firm; their commitments stay in the row, which still verifies",
    )
    expect(heldCheck.details.join('\n')).not.toContain('erased (LGPD)')
    const fullCheck = verifyProtocol(sender.protocol, trusted)
    expect(fullCheck).toMatchObject({ ok: true, problems: [] })
    expect(fullCheck.details).toContain(`from IP 127.0.0.1, port ${anaPort}, browser ${ANA_BROWSER}`)

    // Asked again, each gets their own copy; a head company's user gets the colleague's one.
    expect((await download(base, id, await w.cookieFor(ana))).protocol).toEqual(sender.protocol)
    expect((await download(base, id, await w.cookieFor(bia))).protocol).toEqual(held)
    expect((await download(base, id, await w.cookieFor(hugo))).protocol).toEqual(held)
    expect(await w.db.selectFrom('receipts').select('id').execute()).toHaveLength(2)
  })
})
