// Recognisers for the dated and money fields of a guide: competência, due date and total.
// Pure functions over a page's layout (./layout.ts) and its folded text (./text.ts): a value is
// looked for where its label's box puts it first, then in reading order; null when not sure.
import { fieldByPosition, type Parse } from './labels.js'
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

/**
 * The field's value in its box; when the page has no box for it, `fallback` (reading order). A box
 * of its own that is empty makes the field missing: the same words in a later sentence ("pagar até
 * 31/03/2027 com multa") are about something else (docs/rules.md#import-of-guides).
 */
function boxedOr<T>(layout: Layout, labels: readonly string[], parse: Parse<T>, fallback: () => T | null): T | null {
  const boxed = fieldByPosition(layout, labels, parse, { startsValue })
  return boxed.value !== null || boxed.boxed ? boxed.value : fallback()
}

/** Competência / período de apuração after its label, as YYYY-MM; null when absent. */
export function recogniseCompetence(folded: string, layout: Layout = layoutLines(folded)): string | null {
  return boxedOr(layout, COMPETENCE_LABELS, parseCompetenceValue, () => valueAfterLabels(folded, COMPETENCE_LABELS, 80, parseCompetenceValue))
}

// 31/01/2027, 31.01.2027, 31-01-2027, 31/01/27: one separator, used twice.
const DATE = /(?<![\d/.-])(\d{2})\s?([/.-])\s?(\d{2})\s?\2\s?(\d{4}|\d{2})(?!\d)/
// FGTS Digital writes "Pagar até:", the DAS "Pagar este documento até", the DARF "Data de vencimento".
const DUE_LABELS = ['pagar este documento até', 'pagar até', 'pagável até', 'data de vencimento', 'data do vencimento', 'vencimento', 'data limite para pagamento']

/** A real calendar date (DD/MM/YYYY, DD.MM.YYYY, DD-MM-YYYY, DD/MM/YY) at `text`'s first date, as YYYY-MM-DD. */
export function parseDateValue(text: string): string | null {
  const m = DATE.exec(text)
  if (!m) return null
  // A two-digit year is this century's: guides are for months just past or to come.
  const iso = `${m[4].length === 2 ? `20${m[4]}` : m[4]}-${m[3]}-${m[1]}`
  const date = new Date(`${iso}T00:00:00Z`)
  return Number.isNaN(date.getTime()) || !date.toISOString().startsWith(iso) ? null : iso
}

/** The due date after its label, as YYYY-MM-DD; null when absent. */
export function recogniseDueDate(folded: string, layout: Layout = layoutLines(folded)): string | null {
  return boxedOr(layout, DUE_LABELS, parseDateValue, () => valueAfterLabels(folded, DUE_LABELS, 80, parseDateValue))
}

// 1.234,56, 1 234,56 or 1234,56, optionally after R$ (R$1.234,56 too), with the stray spaces
// pieces of text leave. A space between digit groups is a thousands separator only in groups of
// three: "1 234,56" is 1234,56, never 234,56.
const AMOUNT = /(?:R\s?\$\s?)?(?<![\d.,])(\d{1,3}(?:\s?\.\s?\d{3})+|\d{1,3}(?: \d{3})+|\d+)\s?,\s?(\d{2})(?!\d)/
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
  return boxedOr(layout, [...AMOUNT_LABELS, ...BOX_ONLY_AMOUNT_LABELS], parseAmountValue, () => {
    const labelled = valueAfterLabels(folded, AMOUNT_LABELS, 80, parseDueAmount)
    if (labelled !== null) return labelled
    for (const money of folded.matchAll(/R\s?\$\s?[\d.\s]+,\s?\d{2}/g)) {
      if (!THRESHOLD.test(folded.slice(Math.max(0, money.index - 40), money.index))) return parseAmountValue(money[0])
    }
    return null
  })
}
