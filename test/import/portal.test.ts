import { afterEach, beforeEach, expect, it } from 'vitest'
import { localDate } from '../../src/core/time.js'
import { createPortalWorld, type PortalWorld } from '../helpers/portal.js'

let w: PortalWorld
beforeEach(async () => {
  w = await createPortalWorld()
})
afterEach(async () => w.close())

it('shows an imported guide amount in the document list and on its page', async () => {
  const client = await w.client('Padaria Pão Quente Ltda', { requireLogin: 'on' })
  const guide = await w.doc(client, 'DAS outubro 2026', 'fiscal')
  const plain = await w.doc(client, 'Contrato social', 'societario')
  // Due today: the guide also heads "A vencer", with its amount.
  await w.db.updateTable('documents').set({ amount_cents: 123456, due_date: localDate() }).where('id', '=', guide.id).execute()
  const cookie = await w.cookieFor(await w.user(client, 'ana', { role: 'admin' }))
  const list = await (await w.request('/', { cookie })).text()
  expect(list).toContain('<th scope="col">Valor</th>')
  expect(list).toContain('<td data-label="Valor"><span class="whole">R$ 1.234,56</span></td>')
  expect(list).toContain('<td data-label="Valor">—</td>')
  expect(list).toMatch(/<li class="urgent"><a href="\/documents\/\d+">DAS outubro 2026<\/a>[\s\S]*?Vence hoje[\s\S]*?<span> · <span class="whole">R\$ 1\.234,56<\/span><\/span><\/li>/)
  const page = await (await w.request(`/documents/${guide.id}`, { cookie })).text()
  expect(page).toContain('<dt>Valor</dt><dd><span class="whole">R$ 1.234,56</span></dd>')
  expect(await (await w.request(`/documents/${plain.id}`, { cookie })).text()).not.toContain('<dt>Valor</dt>')
})
