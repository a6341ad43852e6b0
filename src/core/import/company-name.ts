// The taxpayer's name as a guide prints it, and whether it is the registered client's: a guide
// whose CNPJ is one client's but whose name is another company's is queued, not filed
// (docs/rules.md#import-of-guides).
import { valueByPosition } from './labels.js'
import type { Layout } from './layout.js'
import { foldText } from './text.js'

// Most specific first; the GPS's field 1 and the DARF's field 01 carry the name on their first line.
const NAME_LABELS = [
  'nome ou razão social',
  'razão social',
  'nome empresarial',
  'nome do contribuinte',
  'nome do empregador',
  'nome da empresa',
  'denominação social',
  'nome',
  'empregador',
  'contribuinte',
]

// Cells that are another box's label, not a name.
const NOT_A_NAME =
  /^(?:\d{1,2}\s*[-.)–]?\s*)?(?:CNPJ|CPF|CEI|CAEPF|CODIGO|NUMERO|DATA|VALOR|PERIODO|COMPETENCIA|VENCIMENTO|IDENTIFICADOR|ENDERECO|TELEFONE|FONE|INSCRICAO|REFERENCIA|PAGAR|TOTAL|ATM|MUNICIPIO|UF|CEP)\b/

function parseName(cell: string): string | null {
  if (NOT_A_NAME.test(cell)) return null
  const name = cell
    // A phone or a tax id printed beside the name (the DARF's "NOME/TELEFONE").
    .replace(/\(?\d{2}\)?\s?\d{4,5}\s?-?\s?\d{4}.*$/, '')
    .replace(/\b(?:FONE|TEL|TELEFONE)\b.*$/, '')
    .replace(/[0-9A-Z]{2}\.[0-9A-Z]{3}\.[0-9A-Z]{3}\/[0-9A-Z]{4}-\d{2}.*$/, '')
    .trim()
  return /[A-Z].*[A-Z]/.test(name) ? name : null
}

/** The company name after its label, folded; null when the page prints none. */
export function recogniseCompanyName(layout: Layout): string | null {
  return valueByPosition(layout, NAME_LABELS, parseName, {
    startsValue: (rest) => /^[A-Z]/.test(rest),
    linesBelow: 1,
    needsSeparator: true,
  })
}

// Words that say what kind of company it is, not which: "ALFA LTDA" and "Alfa Comércio Ltda." are
// the same company for this check; so are an abbreviation and the word it cuts ("COM", "COMERCIO").
const LEGAL_WORDS = new Set([
  'LTDA', 'LIMITADA', 'ME', 'EPP', 'MEI', 'SA', 'EIRELI', 'CIA', 'COMPANHIA', 'SLU', 'SS', 'SOCIEDADE', 'EMPRESARIA', 'UNIPESSOAL',
  'DE', 'DA', 'DO', 'DAS', 'DOS', 'E', 'EM', 'THE', 'AND',
])

function words(name: string): string[] {
  return foldText(name)
    .replace(/[^A-Z0-9]+/g, ' ')
    .split(' ')
    .filter((w) => w.length > 1 && !LEGAL_WORDS.has(w))
}

const sameWord = (a: string, b: string) => a === b || (a.length >= 3 && b.startsWith(a)) || (b.length >= 3 && a.startsWith(b))

/**
 * False only when the names plainly differ: some distinctive word of the shorter one is in the
 * other in no form (whole, abbreviated or cut short as long names are on guides).
 */
export function sameCompany(printed: string, registered: string): boolean {
  const [shorter, longer] = [words(printed), words(registered)].sort((a, b) => a.length - b.length)
  if (shorter.length === 0) return true
  return shorter.every((w) => longer.some((other) => sameWord(w, other)))
}
