import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../../src/core/errors.js'
import { formatTaxId, normaliseTaxId, taxIdKind } from '../../../src/core/clients/tax-id.js'

describe('normaliseTaxId', () => {
  it.each([
    ['11.222.333/0001-81', '11222333000181', 'cnpj'],
    ['11222333000181', '11222333000181', 'cnpj'],
    ['12.ABC.345/01DE-35', '12ABC34501DE35', 'cnpj'],
    ['12abc34501de35', '12ABC34501DE35', 'cnpj'],
    [' 12 abc 345 01de-35 ', '12ABC34501DE35', 'cnpj'],
    ['529.982.247-25', '52998224725', 'cpf'],
    ['52998224725', '52998224725', 'cpf'],
  ])('accepts %s', (input, normalised, kind) => {
    expect(normaliseTaxId(input)).toBe(normalised)
    expect(taxIdKind(normalised)).toBe(kind)
  })

  it.each([
    ['11.222.333/0001-82', /check digits/],
    ['12.ABC.345/01DE-36', /check digits/],
    ['529.982.247-26', /check digits/],
    ['11.111.111/1111-11', /same/],
    ['000.000.000-00', /same/],
    ['1122233300018', /13 characters/],
    ['112223330001811', /15 characters/],
    ['5299822472', /10 characters/],
    ['11.222.333/0001#81', /only digits, letters/],
    ['11222333_000181', /only digits, letters/],
    ['12.ABC.345/01DE-3A', /last two characters/],
    ['529.982.24A-25', /digits only/],
    ['', /0 characters/],
  ])('refuses %s', (input, problem) => {
    expect(() => normaliseTaxId(input)).toThrow(ValidationError)
    expect(() => normaliseTaxId(input)).toThrow(problem)
    expect(() => normaliseTaxId(input)).toThrow(`'${input}'`)
  })
})

describe('formatTaxId', () => {
  it('formats CNPJs, alphanumeric CNPJs and CPFs', () => {
    expect(formatTaxId('11222333000181')).toBe('11.222.333/0001-81')
    expect(formatTaxId('12ABC34501DE35')).toBe('12.ABC.345/01DE-35')
    expect(formatTaxId('52998224725')).toBe('529.982.247-25')
  })

  it('round-trips through normalisation', () => {
    for (const id of ['11222333000181', '12ABC34501DE35', '52998224725']) {
      expect(normaliseTaxId(formatTaxId(id))).toBe(id)
    }
  })
})
