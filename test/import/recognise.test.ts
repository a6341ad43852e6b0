import { describe, expect, it } from 'vitest'
import { formatAmount } from '../../src/core/documents/amount.js'
import { parseAmountValue, parseCompetenceValue, parseDateValue, recogniseAmount, recogniseCompetence, recogniseDueDate } from '../../src/core/import/fields.js'
import { groupPages, pageLabel } from '../../src/core/import/pages.js'
import { guideTitle, recognisePage } from '../../src/core/import/recognise.js'
import { recogniseTaxId } from '../../src/core/import/tax-ids.js'
import { foldText } from '../../src/core/import/text.js'

const f = foldText

describe('competência', () => {
  it.each([
    ['Competência: 10/2026', '2026-10'],
    ['COMPETÊNCIA 1/2026', '2026-01'],
    ['Período de Apuração\nOutubro/2026', '2026-10'],
    ['periodo de apuracao out/2026', '2026-10'],
    ['Período de apuração Março / 2026', '2026-03'],
    ['Competência 2026-10', '2026-10'],
    ['PERÍODO DE APURAÇÃO 31/10/2026', '2026-10'],
    ['Período\n de   Apuração   10 / 2026', '2026-10'],
    ['Mês de referência: DEZ/2025', '2025-12'],
  ])('%j → %s', (text, expected) => {
    expect(recogniseCompetence(f(text))).toBe(expected)
  })

  it('is null without a label or with an impossible month', () => {
    expect(recogniseCompetence(f('Emitido em 10/2026'))).toBeNull()
    expect(recogniseCompetence(f('Competência 13/2026'))).toBeNull()
    expect(parseCompetenceValue(f('nada aqui'))).toBeNull()
  })

  it('skips a label used for something else and takes the next one', () => {
    expect(recogniseCompetence(f('Referência: 0712345 Competência: 09/2026'))).toBe('2026-09')
  })
})

describe('due date', () => {
  it.each([
    ['Data de Vencimento 20/11/2026', '2026-11-20'],
    ['Pagar este documento até\n20/11/2026', '2026-11-20'],
    ['VENCIMENTO: 07 / 11 / 2026', '2026-11-07'],
    ['Período de Apuração 31/10/2026 Data de Vencimento 25/11/2026', '2026-11-25'],
  ])('%j → %s', (text, expected) => {
    expect(recogniseDueDate(f(text))).toBe(expected)
  })

  it('refuses impossible dates and missing labels', () => {
    expect(parseDateValue('31/02/2026')).toBeNull()
    expect(recogniseDueDate(f('Emissão 20/11/2026'))).toBeNull()
  })
})

describe('amount', () => {
  it.each([
    ['Valor Total do Documento R$ 1.234,56', 123456],
    ['VALOR TOTAL DO DOCUMENTO\n12.345.678,90', 1234567890],
    ['Valor Total do Documento 86,00', 8600],
    ['Total a recolher R$ 1 . 234 , 56', 123456],
    ['Líquido a receber 2.500,00', 250000],
    ['Principal 100,00 Multa 2,00 R$ 102,00', 10200],
  ])('%j → %d', (text, expected) => {
    expect(recogniseAmount(f(text))).toBe(expected)
  })

  it('prefers the labelled total to other amounts', () => {
    expect(recogniseAmount(f('Principal R$ 1.000,00 Juros R$ 10,00 Valor Total do Documento R$ 1.010,00'))).toBe(101000)
  })

  it('formats centavos for people', () => {
    expect(formatAmount(123456)).toBe('R$ 1.234,56')
    expect(formatAmount(5)).toBe('R$ 0,05')
    expect(formatAmount(1234567890)).toBe('R$ 12.345.678,90')
    expect(parseAmountValue('abc')).toBeNull()
  })
})

describe('tax id', () => {
  it('finds a formatted, a broken and a bare labelled CNPJ', () => {
    expect(recogniseTaxId(f('CNPJ: 11.222.333/0001-81')).taxId).toBe('11222333000181')
    expect(recogniseTaxId(f('CNPJ 11.222 .333 / 0001 - 81')).taxId).toBe('11222333000181')
    expect(recogniseTaxId(f('CNPJ: 11222333000181')).taxId).toBe('11222333000181')
    expect(recogniseTaxId(f('CPF 529.982.247-25')).taxId).toBe('52998224725')
  })

  it('finds an alphanumeric CNPJ and verifies check digits', () => {
    expect(recogniseTaxId(f('CNPJ do contribuinte 12.ABC.345/01DE-35')).taxId).toBe('12ABC34501DE35')
    expect(recogniseTaxId(f('CNPJ 11.222.333/0001-82'))).toMatchObject({ taxId: null, problem: 'none', candidates: [] })
  })

  it('ignores bare digit runs without a label (bar codes)', () => {
    expect(recogniseTaxId(f('85800000000 11222333000181 12345678901')).candidates).toEqual([])
  })

  it('picks the contributor among the Receita, the firm and an employee', () => {
    const page = `RECEITA FEDERAL DO BRASIL CNPJ 00.394.460/0058-87
      CNPJ do Contribuinte
      11.222.333/0001-81
      Escritório contábil responsável: CNPJ 45.723.174/0001-10`
    const found = recogniseTaxId(f(page))
    expect(found).toMatchObject({ taxId: '11222333000181', problem: null })
    expect(found.candidates).toEqual(['00394460005887', '11222333000181', '45723174000110'])
    expect(recogniseTaxId(f('Empregador CNPJ 11.222.333/0001-81 Empregado CPF 529.982.247-25')).taxId).toBe('11222333000181')
  })

  it('takes a lone unlabelled id, and reports several unlabelled ones', () => {
    expect(recogniseTaxId(f('Receita Federal 00.394.460/0058-87 e 11.222.333/0001-81')).taxId).toBe('11222333000181')
    expect(recogniseTaxId(f('11.222.333/0001-81 e 45.723.174/0001-10'))).toMatchObject({ taxId: null, problem: 'several' })
    expect(recogniseTaxId(f('Contribuinte 11.222.333/0001-81 Contribuinte 45.723.174/0001-10')).problem).toBe('several')
  })
})

describe('type, category and title', () => {
  it.each([
    ['Documento de Arrecadação do Simples Nacional', 'das', 'fiscal', 'DAS 10/2026'],
    ['DOCUMENTO DE ARRECADAÇÃO DE RECEITAS FEDERAIS', 'darf', 'fiscal', 'DARF 10/2026'],
    ['Documento de Arrecadação de Receitas Federais DCTFWeb', 'darf-dctfweb', 'pessoal', 'DARF DCTFWeb 10/2026'],
    ['Guia do FGTS Digital - GFD', 'fgts', 'pessoal', 'FGTS Digital 10/2026'],
    ['GUIA DA PREVIDÊNCIA SOCIAL - GPS', 'gps', 'pessoal', 'GPS 10/2026'],
    ['Recibo de Pagamento de Salário', 'holerite', 'pessoal', 'Holerite 10/2026'],
    ['Resumo da Folha de Pagamento', 'folha', 'pessoal', 'Folha de pagamento 10/2026'],
    ['Contrato social', 'other', 'outros', 'Documento 10/2026'],
  ])('%s', (heading, type, category, title) => {
    const page = recognisePage(`${heading}\nCompetência 10/2026`)
    expect(page).toMatchObject({ type, category, title, hasText: true })
  })

  it('titles without a competência and marks an empty page', () => {
    expect(guideTitle('das', null)).toBe('DAS')
    expect(recognisePage('  \n ')).toMatchObject({ hasText: false, type: 'other', taxId: null })
  })
})

describe('grouping pages into guides', () => {
  const das = (cnpj: string, competence = '10/2026') =>
    recognisePage(`Documento de Arrecadação do Simples Nacional CNPJ ${cnpj} Competência ${competence}`)
  it('keeps a continuation page with its guide and splits per company', () => {
    const continuation = recognisePage('Documento de Arrecadação do Simples Nacional - continuação Valor Total do Documento R$ 1.234,56')
    const groups = groupPages([das('11.222.333/0001-81'), continuation, das('45.723.174/0001-10'), das('12.ABC.345/01DE-35')])
    expect(groups.map((g) => [pageLabel(g.pages), g.recognised.taxId])).toEqual([
      ['1-2', '11222333000181'],
      ['3', '45723174000110'],
      ['4', '12ABC34501DE35'],
    ])
    expect(groups[0].recognised.amountCents).toBe(123456)
  })

  it('splits the same company for another competência and never joins a page without text', () => {
    const groups = groupPages([das('11.222.333/0001-81'), das('11.222.333/0001-81', '11/2026'), recognisePage('')])
    expect(groups.map((g) => pageLabel(g.pages))).toEqual(['1', '2', '3'])
    expect(pageLabel([1, 3])).toBe('1,3')
  })
})
