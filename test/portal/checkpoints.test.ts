import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { accessLogHash } from '../../src/core/access-log/chain/row.js'
import { memorySource, rowLeafHash, subtreeHash, verifyConsistency } from '../../src/core/access-log/tree/merkle.js'
import { checkpointText, createCheckpoint } from '../../src/core/proof/checkpoints.js'
import { loadSigningKeys, verifySignature, type SigningKeys } from '../../src/core/proof/keys.js'
import { dropAccessLogTriggers, fillAccessLog } from '../helpers/access-log.js'
import { createPortalWorld, type PortalWorld } from '../helpers/portal.js'

// The public evidence pages: /checkpoints/latest and /checkpoints/consistency (RFC 9162 2.1.4).
let w: PortalWorld
let keys: SigningKeys
let target: { documentId: number; clientId: number }
beforeEach(async () => {
  w = await createPortalWorld()
  keys = loadSigningKeys(w.t.config.signingKeyFile, { create: true })
  const client = await w.client('Padaria Pão Quente Ltda')
  target = { documentId: (await w.doc(client, 'DAS Março 2026')).id, clientId: client.id }
})
afterEach(async () => w.close())

const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as any, cache: response.headers.get('cache-control') })

async function rootOf(size: number): Promise<string> {
  const rows = await w.db.selectFrom('access_log').select('hash').where('id', '<=', size).orderBy('id').execute()
  return (await subtreeHash(memorySource(rows.map((r) => rowLeafHash(r.hash))), 0, size)).toString('hex')
}

describe(`public checkpoint pages on ${process.env.CONFI_TEST_DATABASE_URL ? 'PostgreSQL' : 'SQLite'}`, { timeout: 60_000 }, () => {
  it('/checkpoints/latest: 404 before the first checkpoint, then the newest, signed, with no login and nothing personal', async () => {
    expect(await json(await w.request('/checkpoints/latest'))).toEqual({
      status: 404,
      body: { error: 'O escritório ainda não assinou nenhum ponto de verificação (checkpoint) do registro de acessos.' },
      cache: 'no-store',
    })
    await fillAccessLog(w.t, 40, target)
    await createCheckpoint(w.db, keys)
    await fillAccessLog(w.t, 25, target)
    const signed = (await createCheckpoint(w.db, keys))!
    const latest = await w.request('/checkpoints/latest')
    expect(latest.headers.get('access-control-allow-origin')).toBe('*')
    const { status, body, cache } = await json(latest)
    expect([status, cache]).toEqual([200, 'public, max-age=60'])
    expect(body).toEqual({ ...signed, signedText: checkpointText(signed) })
    expect(Object.keys(body).sort()).toEqual(['at', 'id', 'keyId', 'rootHash', 'signature', 'signedText', 'treeSize'])
    expect(verifySignature(keys.current.publicKey, body.signedText, body.signature)).toBe(true)
  })

  it('/checkpoints/consistency: between two checkpoints, from one to the newest, and between any two sizes', async () => {
    // Row 1 is the document's document.published row: 1 + 39 rows, then 25 more.
    await fillAccessLog(w.t, 39, target)
    const older = (await createCheckpoint(w.db, keys))!
    await fillAccessLog(w.t, 25, target)
    const newer = (await createCheckpoint(w.db, keys))!
    const between = await json(await w.request('/checkpoints/consistency?from=40&to=65'))
    expect([between.status, between.cache]).toEqual([200, 'public, max-age=3600'])
    expect(between.body).toMatchObject({
      from: { size: 40, root: older.rootHash, checkpoint: { id: older.id, signature: older.signature } },
      to: { size: 65, root: newer.rootHash, checkpoint: { id: newer.id, signature: newer.signature } },
    })
    const proof = (hex: string[]) => hex.map((h) => Buffer.from(h, 'hex'))
    const hex = (h: string) => Buffer.from(h, 'hex')
    expect(verifyConsistency(40, 65, proof(between.body.proof), hex(older.rootHash), hex(newer.rootHash))).toBe(true)
    const toNewest = await json(await w.request('/checkpoints/consistency?from=40'))
    expect([toNewest.status, toNewest.cache, toNewest.body]).toEqual([200, 'public, max-age=60', between.body])

    const any = await json(await w.request('/checkpoints/consistency?from=17&to=53'))
    expect(any.body).toMatchObject({ from: { size: 17, checkpoint: null }, to: { size: 53, checkpoint: null } })
    expect([any.body.from.root, any.body.to.root]).toEqual([await rootOf(17), await rootOf(53)])
    expect(verifyConsistency(17, 53, proof(any.body.proof), hex(any.body.from.root), hex(any.body.to.root))).toBe(true)
    const same = await json(await w.request('/checkpoints/consistency?from=65&to=65'))
    expect(same.body).toMatchObject({ from: { size: 65 }, to: { size: 65 }, proof: [] })
  })

  it('refuses bad sizes (400), sizes beyond the log (404), and a log that no longer gives its signed roots (409)', async () => {
    expect((await json(await w.request('/checkpoints/consistency?from=3'))).status).toBe(404) // no checkpoint to default to
    // The document.published row and 19 accesses: 20 rows.
    await fillAccessLog(w.t, 19, target)
    await createCheckpoint(w.db, keys)
    const bad = (from: string) => `O parâmetro '${from}' deve ser um número inteiro a partir de 1: o tamanho (número de registros) de uma árvore do registro de acessos.`
    const cases: [string, number, string][] = [
      ['/checkpoints/consistency', 400, bad('from')],
      ['/checkpoints/consistency?from=abc', 400, bad('from')],
      ['/checkpoints/consistency?from=0', 400, bad('from')],
      ['/checkpoints/consistency?from=-3', 400, bad('from')],
      ['/checkpoints/consistency?from=1e3', 400, bad('from')],
      ['/checkpoints/consistency?from=99999999999999999999', 400, bad('from')],
      ['/checkpoints/consistency?from=5&to=', 400, bad('to')],
      ['/checkpoints/consistency?from=5&to=x', 400, bad('to')],
      ['/checkpoints/consistency?from=15&to=10', 400, "O parâmetro 'from' (15) não pode ser maior que 'to' (10): o registro de acessos só cresce."],
      ['/checkpoints/consistency?from=5&to=21', 404, 'O registro de acessos ainda não tem 21 registros: não há árvore desse tamanho.'],
    ]
    for (const [path, status, error] of cases) {
      expect(await json(await w.request(path)), path).toEqual({ status, body: { error }, cache: 'no-store' })
    }
    // An insider rewrites row 3 and every hash after it: the signed root no longer matches.
    await dropAccessLogTriggers(w.db)
    const rows = await w.db.selectFrom('access_log').selectAll().orderBy('id').execute()
    let prev = rows[1].hash
    for (const row of rows.slice(2)) {
      const hash = accessLogHash({ ...row, id: Number(row.id), ip: row.id === 3 ? '198.51.100.3' : row.ip, port: row.port == null ? null : Number(row.port) }, prev)
      await w.db.updateTable('access_log').set({ ip: row.id === 3 ? '198.51.100.3' : row.ip, prev_hash: prev, hash }).where('id', '=', row.id).execute()
      prev = hash
    }
    const refused = await json(await w.request('/checkpoints/consistency?from=2&to=20'))
    expect(refused).toMatchObject({ status: 409, body: { error: expect.stringMatching(/^Os registros não conferem/) } })
  })
})
