import { describe, expect, it } from 'vitest'
import { addClient } from '../../../src/core/clients/clients.js'
import { normaliseEmail } from '../../../src/core/clients/email-address.js'
import { parseMailFrom } from '../../../src/core/clients/firm-contact.js'
import { getFirmOptions, setFirmOptions } from '../../../src/core/clients/firm.js'
import { createDelivery } from '../../../src/core/delivery/deliveries.js'
import { ValidationError } from '../../../src/core/errors.js'
import { useTestDatabase } from '../../helpers/db.js'
import { ACCOUNTANT, makeClient, makeDocument, makeUser } from '../../helpers/factories.js'

// docs/rules.md#data: an address is stored bare; address-list syntax is dropped or refused.

describe('normaliseEmail', () => {
  it('keeps a bare address and drops one enclosing pair of brackets with its display name', () => {
    expect(normaliseEmail(' ana@padaria.com.br ')).toBe('ana@padaria.com.br')
    expect(normaliseEmail('<evil@x.com>')).toBe('evil@x.com')
    expect(normaliseEmail('Ana Souza <ana@padaria.com.br>')).toBe('ana@padaria.com.br')
    expect(normaliseEmail('"Souza, Ana" <ana@padaria.com.br>')).toBe('ana@padaria.com.br')
    // The name never decides the address, even when it looks like one.
    expect(normaliseEmail('"chefe@padaria.com.br" <evil@x.com>')).toBe('evil@x.com')
    expect(normaliseEmail('   ')).toBeNull()
    expect(normaliseEmail(null)).toBeNull()
  })

  it('refuses every other address-list syntax and invisible characters', () => {
    for (const bad of [
      '<<evil@x.com>>',
      '<evil@x.com',
      'evil@x.com>',
      'a@x.com, b@y.com',
      'a@x.com;b@y.com',
      '<a@x.com>, <b@y.com>',
      'a@x.com, <b@y.com>',
      'a@x.com <b@y.com>',
      'Ana; <b@y.com>',
      'ana@padaria.com.br (Ana)',
      '"ana"@padaria.com.br',
      'ana@@padaria.com.br',
      'ana@padaria.com.br\r\nBcc: c@x.com',
      'ana\u202e@padaria.com.br',
      'ana\u0085@padaria.com.br',
      'ana\u200b@padaria.com.br',
      'Ana <>',
      'financeiro.padaria.com.br',
    ]) {
      expect(() => normaliseEmail(bad), bad).toThrow(ValidationError)
    }
  })

  it('gives the sender its bare address inside the brackets', () => {
    expect(parseMailFrom('Contabilidade Exemplo <avisos@escritorio.com.br>')).toBe('Contabilidade Exemplo <avisos@escritorio.com.br>')
    expect(() => parseMailFrom('Contabilidade <<avisos@escritorio.com.br>>')).toThrow(ValidationError)
  })
})

describe('every place an address enters stores it bare', () => {
  const t = useTestDatabase({ firm: true })

  it('clients, users, the firm and deliveries', async () => {
    const client = await addClient(t.db, t.key, ACCOUNTANT, { name: 'Padaria Pão Quente Ltda', taxId: '11222333000181', email: 'Financeiro <fin@padaria.com.br>' })
    expect(client.email).toBe('fin@padaria.com.br')
    const user = await makeUser(t.db, { clientId: client.id, username: 'ana', email: '<ana@padaria.com.br>', role: 'admin', active: true })
    expect(user.email).toBe('ana@padaria.com.br')
    await setFirmOptions(t.db, ACCOUNTANT, { contactEmail: 'Escritório <contato@escritorio.com.br>' })
    expect((await getFirmOptions(t.db)).contactEmail).toBe('contato@escritorio.com.br')
    const document = await makeDocument(t, client.id)
    const { delivery } = await createDelivery(t.db, t.key, ACCOUNTANT, { documentId: document.id, channel: 'email', recipient: '<evil@x.com>' })
    expect(delivery.recipient).toBe('evil@x.com')
    await expect(
      createDelivery(t.db, t.key, ACCOUNTANT, { documentId: document.id, channel: 'email', recipient: 'a@x.com,b@y.com' }),
    ).rejects.toThrow(ValidationError)
    const other = await makeClient(t.db, t.key, { name: 'Oficina Ltda' })
    expect(other.email).toBeNull()
  })
})
