// Recognisers for the dated and money fields of a guide: competência, due date and total.
// Pure functions over a page's layout (./layout.ts) and its folded text (./text.ts): a value is
// looked for where its label's box puts it first, then in reading order; null when not sure.
import { valueByPosition } from './labels.js'
import { layoutLines, type Layout } from './layout.js'
import { valueAfterLabels } from './text.js'

// A value starts right there: a number, R$, or a month's name before a year ("OUTUBRO/2026",
// "janeiro de 2027" as the DCTFWeb and the DAE write it).
const STARTS_VALUE = /^(?:R\s?\$|\d|[A-Z]{3,9}\s?(?:[/.\- ]|\sDE\s)\s?\d{4})/
const startsValue = (rest: string) => STARTS_VALUE.test(rest)

const MONTHS = ['JANEIRO', 'FEVEREIRO', 'MARCO', 'ABRIL', 'MAIO', 'JUNHO', 'JULHO', 'AGOSTO', 'SETEMBRO', 'OUTUBRO', 'NOVEMBRO', 'DEZEMBRO']
const MONTH_NAMES = [...MONTHS, ...MONTHS.map((m) => m.slice(0, 3))].join('|')

// One pattern, alternatives tried left to right at each position, so the first value after the
// label wins whichever way it is written.
const COMPETENCE = new RegExp(
  [
    `(?<!\\d)(\\d{2})\\s?\\/\\s?(\\d{2})\\s?\\/\\s?(\\d{4})(?!\\d)`, // 31/10/2026 (período de apuração as a date)
    `(?<![\\d/])(\\d{1,2})\\s?\\/\\s?(\\d{4})(?!\\d)`, // 10/2026
    `(?<![A-Z])(${MONTH_NAMES})(?:\\s?[/.\\- ]|\\sDE)\\s?(\\d{4})(?!\\d)`, // OUTUBRO/2026, OUT/2026, OUTUBRO DE 2026
    `(?<!\\d)(\\d{4})\\s?-\\s?(\\d{2})(?![\\d-])`, // 2026-10
  ].join('|'),
)

const COMPETENCE_LABELS = ['competência', 'período de apuração', 'periodo apuração', 'mês/ano de referência', 'referência', 'mês de referência', 'mês/ano']

function yearMonth(year: number, month: number): string | null {
  if (month < 1 || month > 12 || year < 1990 || year > 2100) return null
  return `${year}-${String(month).padStart(2, '0')}`
}

/** The first competence written in `text` (folded), as YYYY-MM, or null. */
export function parseCompetenceValue(text: string): string | null {
  const m = COMPETENCE.exec(text)
  if (!m) return null
  if (m[1]) return yearMonth(Number(m[3]), Number(m[2]))
  if (m[4]) return yearMonth(Number(m[5]), Number(m[4]))
  if (m[6]) return yearMonth(Number(m[7]), (MONTHS.findIndex((name) => name.startsWith(m[6])) + 1))
  return yearMonth(Number(m[8]), Number(m[9]))
}

/** Competência / período de apuração after its label, as YYYY-MM; null when absent. */
export function recogniseCompetence(folded: string, layout: Layout = layoutLines(folded)): string | null {
  return (
    valueByPosition(layout, COMPETENCE_LABELS, parseCompetenceValue, { startsValue }) ??
    valueAfterLabels(folded, COMPETENCE_LABELS, 80, parseCompetenceValue)
  )
}

const DATE = /(?<!\d)(\d{2})\s?\/\s?(\d{2})\s?\/\s?(\d{4})(?!\d)/
// FGTS Digital writes "Pagar até:", the DAS "Pagar este documento até", the DARF "Data de vencimento".
const DUE_LABELS = ['pagar este documento até', 'pagar até', 'pagável até', 'data de vencimento', 'data do vencimento', 'vencimento', 'data limite para pagamento']

/** A real calendar date `DD/MM/YYYY` at the start of `text`'s first date, as YYYY-MM-DD. */
export function parseDateValue(text: string): string | null {
  const m = DATE.exec(text)
  if (!m) return null
  const iso = `${m[3]}-${m[2]}-${m[1]}`
  const date = new Date(`${iso}T00:00:00Z`)
  return Number.isNaN(date.getTime()) || !date.toISOString().startsWith(iso) ? null : iso
}

/** The due date after its label, as YYYY-MM-DD; null when absent. */
export function recogniseDueDate(folded: string, layout: Layout = layoutLines(folded)): string | null {
  return valueByPosition(layout, DUE_LABELS, parseDateValue, { startsValue }) ?? valueAfterLabels(folded, DUE_LABELS, 80, parseDateValue)
}

// 1.234,56 or 1234,56, optionally after R$, with the stray spaces pieces of text leave.
const AMOUNT = /(?:R\s?\$\s?)?(?<![\d.,])(\d{1,3}(?:\s?\.\s?\d{3})+|\d+)\s?,\s?(\d{2})(?!\d)/
const AMOUNT_LABELS = ['valor total do documento', 'valor total', 'total a recolher', 'valor a recolher', 'líquido a receber', 'valor líquido', 'total a pagar', 'valor do documento']
// Only where it starts a box (the GPS's "11 - TOTAL"): inside a sentence "total" means anything.
const BOX_ONLY_AMOUNT_LABELS = ['total']
// Words that make an amount a threshold, not what is due: "valor total inferior a R$ 10,00".
const THRESHOLD = /\b(?:INFERIOR|SUPERIOR|MENOR|MAIOR|ACIMA|ABAIXO|MINIMO|MAXIMO|LIMITE)\b[^,]{0,30}$/

/** A Brazilian money value at the start of `text`'s first amount, in centavos. */
export function parseAmountValue(text: string): number | null {
  const m = AMOUNT.exec(text)
  if (!m) return null
  const cents = Number(m[1].replace(/[\s.]/g, '')) * 100 + Number(m[2])
  return Number.isSafeInteger(cents) ? cents : null
}

// An amount in reading order, unless the words just before it make it a threshold.
function parseDueAmount(after: string): number | null {
  const m = AMOUNT.exec(after)
  if (!m || THRESHOLD.test(after.slice(0, m.index))) return null
  return parseAmountValue(m[0])
}

/**
 * The total in its box, else after its label in reading order, else the first `R$` amount that is
 * not a threshold, in centavos; null when absent.
 */
export function recogniseAmount(folded: string, layout: Layout = layoutLines(folded)): number | null {
  const boxed = valueByPosition(layout, [...AMOUNT_LABELS, ...BOX_ONLY_AMOUNT_LABELS], parseAmountValue, { startsValue })
  if (boxed !== null) return boxed
  const labelled = valueAfterLabels(folded, AMOUNT_LABELS, 80, parseDueAmount)
  if (labelled !== null) return labelled
  for (const money of folded.matchAll(/R\s?\$\s?[\d.\s]+,\s?\d{2}/g)) {
    if (!THRESHOLD.test(folded.slice(Math.max(0, money.index - 40), money.index))) return parseAmountValue(money[0])
  }
  return null
}
