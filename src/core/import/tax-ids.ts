// Finds the taxpayer's CNPJ or CPF on a guide's page. A page often shows several (the Receita's,
// the firm's, an employee's): the one labelled as the contributor's wins (docs/decisions.md,
// "Which tax id is the taxpayer's").
import { stripTaxId, taxIdKind } from '../clients/tax-id.js'

const ID = '[0-9A-Z]'
// Formatted ids, with the stray spaces split text leaves around separators.
const FORMATTED_CNPJ = `${ID}{2}\\s?\\.\\s?${ID}{3}\\s?\\.\\s?${ID}{3}\\s?\\/\\s?${ID}{4}\\s?-\\s?\\d{2}`
const FORMATTED_CPF = `\\d{3}\\s?\\.\\s?\\d{3}\\s?\\.\\s?\\d{3}\\s?-\\s?\\d{2}`
// Bare digit runs are accepted only right after a CNPJ/CPF label: the bar-code line of every
// guide is made of digit groups that could pass a check by chance.
const BARE = `(?<=(?:CNPJ|CPF|CNPJ\\/CPF|CPF\\/CNPJ|CPF OU CNPJ|CNPJ OU CPF|IDENTIFICADOR)\\s?:?\\s?)(?:\\d{14}|\\d{11})`
const TAX_ID = new RegExp(`(?<![0-9A-Z])(?:${FORMATTED_CNPJ}|${FORMATTED_CPF}|${BARE})(?![0-9A-Z])`, 'g')

const CONTRIBUTOR = /CONTRIBUINTE|EMPREGADOR|EMPRESA|RAZAO SOCIAL|IDENTIFICADOR|DEVEDOR|PAGADOR|TOMADOR|OPTANTE/g
const SOMEONE_ELSE =
  /RECEITA FEDERAL|\bRFB\b|SECRETARIA|CAIXA ECONOMICA|BANCO|ESCRITORIO|CONTADOR|CONTABILIDADE|CONTABIL|RESPONSAVEL|EMITENTE|EMITID[OA]|BENEFICIARIO|FAVORECIDO|CEDENTE|PROCURADOR|\bEMPREGADO\b|FUNCIONARIO|COLABORADOR|TRABALHADOR/g

// How far before an id its label may be (the label row of a box above its value).
const LABEL_REACH = 60

export type TaxIdLabel = 'contributor' | 'other' | 'none'

export interface TaxIdFinding {
  /** The taxpayer's id (normalised), or null when none or several could be it. */
  taxId: string | null
  /** Every valid id on the page, normalised, in order. */
  candidates: string[]
  /** Why taxId is null: no valid id at all, or several that could each be the taxpayer. */
  problem: 'none' | 'several' | null
  /**
   * The other ids not labelled as someone else's (the Receita's, the firm's, an employee's): when
   * one is a client's too, the page holds two clients' guides (docs/rules.md#import-of-guides).
   */
  rivals: string[]
}

function lastIndexOf(text: string, pattern: RegExp): number {
  let last = -1
  for (const match of text.matchAll(pattern)) last = match.index
  return last
}

/** The label nearest before an id: whichever kind of label comes last in the text before it. */
export function labelBefore(window: string): TaxIdLabel {
  const contributor = lastIndexOf(window, CONTRIBUTOR)
  const other = lastIndexOf(window, SOMEONE_ELSE)
  if (contributor < 0 && other < 0) return 'none'
  return contributor > other ? 'contributor' : 'other'
}

/** Finds the taxpayer's id in folded text (./text.ts). */
export function recogniseTaxId(folded: string): TaxIdFinding {
  const found: { id: string; label: TaxIdLabel }[] = []
  let previousEnd = 0
  for (const match of folded.matchAll(TAX_ID)) {
    const id = stripTaxId(match[0])
    const start = Math.max(previousEnd, match.index - LABEL_REACH)
    previousEnd = match.index + match[0].length
    if (!taxIdKind(id)) continue
    found.push({ id, label: labelBefore(folded.slice(start, match.index)) })
  }
  const candidates = [...new Set(found.map((f) => f.id))]
  const pick = (label: TaxIdLabel) => [...new Set(found.filter((f) => f.label === label).map((f) => f.id))]
  const contributors = pick('contributor')
  const unlabelled = pick('none')
  const rivalsOf = (taxId: string) => [...new Set([...contributors, ...unlabelled])].filter((id) => id !== taxId)
  if (contributors.length === 1) return { taxId: contributors[0], candidates, problem: null, rivals: rivalsOf(contributors[0]) }
  if (contributors.length > 1) return { taxId: null, candidates, problem: 'several', rivals: [] }
  if (unlabelled.length === 1) return { taxId: unlabelled[0], candidates, problem: null, rivals: [] }
  return { taxId: null, candidates, problem: unlabelled.length > 1 ? 'several' : 'none', rivals: [] }
}
