import { describe, expect, it } from 'vitest'
import { formatBrazilianPhone, parseBrazilianPhone } from '../../../src/core/clients/phone.js'
import { composeWhatsAppText, whatsAppLink } from '../../../src/core/mail/messages.js'

describe('Brazilian phone numbers (docs/decisions.md, "Brazilian phone numbers")', () => {
  it.each([
    ['(11) 98765-4321', '+5511987654321'],
    ['11 98765-4321', '+5511987654321'],
    ['11987654321', '+5511987654321'],
    ['+55 11 98765-4321', '+5511987654321'],
    ['+55 (11) 9 8765-4321', '+5511987654321'],
    ['5511987654321', '+5511987654321'],
    ['011 98765-4321', '+5511987654321'],
    ['0 15 11 98765-4321', '+5511987654321'],
    ['(11) 8765-4321', '+5511987654321'],
    ['+55 11 3333-4444', '+551133334444'],
    ['(21) 2345.6789', '+552123456789'],
  ])('%s → %s', (input, e164) => {
    expect(parseBrazilianPhone(input)).toBe(e164)
  })

  it.each([
    ['98765-4321', /no area code/],
    ['+1 415 555 0100', /not a Brazilian number/],
    ['(00) 98765-4321', /area code/],
    ['11 1234-5678', /not a phone number/],
    ['abc', /not a phone number/],
    ['123', /not a phone number/],
  ])('refuses %s', (input, message) => {
    expect(() => parseBrazilianPhone(input)).toThrow(message)
  })

  it('formats for reading and builds a wa.me link with the text', () => {
    expect(formatBrazilianPhone('+5511987654321')).toBe('+55 11 98765-4321')
    expect(formatBrazilianPhone('+551133334444')).toBe('+55 11 3333-4444')
    const text = composeWhatsAppText({
      firmName: 'Contabilidade Exemplo',
      clientName: 'Padaria',
      title: 'DAS 11/2026',
      competence: '2026-11',
      dueDate: '2026-12-21',
      link: 'http://localhost:3000/d/abc',
    })
    const link = whatsAppLink('+5511987654321', text)
    expect(link.startsWith('https://wa.me/5511987654321?text=')).toBe(true)
    const decoded = decodeURIComponent(new URL(link).searchParams.get('text') ?? '')
    expect(decoded).toBe(
      'Olá! Contabilidade Exemplo enviou "DAS 11/2026" para Padaria. Vencimento: 21/12/2026. Acesse: http://localhost:3000/d/abc',
    )
  })
})
