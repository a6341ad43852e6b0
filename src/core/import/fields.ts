// Recognisers for the dated and money fields of a guide: competência, due date and total.
// Pure functions over folded text (./text.ts); each returns null when it is not sure.
import { valueAfterLabels } from './text.js'

const MONTHS = ['JANEIRO', 'FEVEREIRO', 'MARCO', 'ABRIL', 'MAIO', 'JUNHO', 'JULHO', 'AGOSTO', 'SETEMBRO', 'OUTUBRO', 'NOVEMBRO', 'DEZEMBRO']
const MONTH_NAMES = [...MONTHS, ...MONTHS.map((m) => m.slice(0, 3))].join('|')

// One pattern, alternatives tried left to right at each position, so the first value after the
// label wins whichever way it is written.
const COMPETENCE = new RegExp(
  [
    `(?<!\\d)(\\d{2})\\s?\\/\\s?(\\d{2})\\s?\\/\\s?(\\d{4})(?!\\d)`, // 31/10/2026 (período de apuração as a date)
    `(?<![\\d/])(\\d{1,2})\\s?\\/\\s?(\\d{4})(?!\\d)`, // 10/2026
    `(?<![A-Z])(${MONTH_NAMES})\\s?[/.\\- ]\\s?(\\d{4})(?!\\d)`, // OUTUBRO/2026, OUT/2026
    `(?<!\\d)(\\d{4})\\s?-\\s?(\\d{2})(?![\\d-])`, // 2026-10
  ].join('|'),
)

const COMPETENCE_LABELS = ['competência', 'período de apuração', 'periodo apuração', 'mês/ano de referência', 'referência', 'mês de referência']

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
export function recogniseCompetence(folded: string): string | null {
  return valueAfterLabels(folded, COMPETENCE_LABELS, 80, parseCompetenceValue)
}

const DATE = /(?<!\d)(\d{2})\s?\/\s?(\d{2})\s?\/\s?(\d{4})(?!\d)/
const DUE_LABELS = ['pagar este documento até', 'data de vencimento', 'data do vencimento', 'vencimento', 'data limite para pagamento']

/** A real calendar date `DD/MM/YYYY` at the start of `text`'s first date, as YYYY-MM-DD. */
export function parseDateValue(text: string): string | null {
  const m = DATE.exec(text)
  if (!m) return null
  const iso = `${m[3]}-${m[2]}-${m[1]}`
  const date = new Date(`${iso}T00:00:00Z`)
  return Number.isNaN(date.getTime()) || !date.toISOString().startsWith(iso) ? null : iso
}

/** The due date after its label, as YYYY-MM-DD; null when absent. */
export function recogniseDueDate(folded: string): string | null {
  return valueAfterLabels(folded, DUE_LABELS, 80, parseDateValue)
}

// 1.234,56 or 1234,56, optionally after R$, with the stray spaces pieces of text leave.
const AMOUNT = /(?:R\s?\$\s?)?(?<![\d.,])(\d{1,3}(?:\s?\.\s?\d{3})+|\d+)\s?,\s?(\d{2})(?!\d)/
const AMOUNT_LABELS = ['valor total do documento', 'valor total', 'total a recolher', 'valor a recolher', 'líquido a receber', 'valor líquido', 'total a pagar']

/** A Brazilian money value at the start of `text`'s first amount, in centavos. */
export function parseAmountValue(text: string): number | null {
  const m = AMOUNT.exec(text)
  if (!m) return null
  const cents = Number(m[1].replace(/[\s.]/g, '')) * 100 + Number(m[2])
  return Number.isSafeInteger(cents) ? cents : null
}

/** The total after its label (else the first `R$` amount), in centavos; null when absent. */
export function recogniseAmount(folded: string): number | null {
  const labelled = valueAfterLabels(folded, AMOUNT_LABELS, 80, parseAmountValue)
  if (labelled !== null) return labelled
  const money = /R\s?\$\s?[\d.\s]+,\s?\d{2}/.exec(folded)
  return money ? parseAmountValue(money[0]) : null
}
