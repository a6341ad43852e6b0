import { CATEGORIES, type Category } from '../categories.js'
import { getFirmOptions } from '../clients/firm.js'
import { formatPeriod, monthsOf, parseLogRetention, parseRetentionPolicy, type RetentionPeriod, type RetentionPolicy } from '../clients/retention-policy.js'
import type { Db } from '../db/database.js'

// What `confi retention show` prints and `retention run` applies (docs/privacy.md, "Retention").
// Every period counts from the first day of the year after the document's date, where its date
// is the later of its competência (its last day) and its due date, or the day it was filed when it
// has neither: CTN art. 173 I counts the tax authority's five years from the first day of the
// following fiscal year, and counting every category the same way keeps one rule, never shorter.

/** Why each category is kept as long as it is, in the law's own words where they are Portuguese. */
export const LEGAL_BASIS: Record<Category, string> = {
  fiscal:
    'CTN (Lei 5.172/1966) arts. 173 e 174 (decadência e prescrição tributária: 5 anos contados do primeiro dia do exercício seguinte); art. 195, parágrafo único (livros e comprovantes guardados até a prescrição)',
  pessoal:
    'CF art. 7º, XXIX e CLT art. 11 (créditos trabalhistas: 5 anos, até 2 após o contrato); FGTS 5 anos (STF, ARE 709.212); contribuições previdenciárias 5 anos (CTN art. 173, Súmula Vinculante 8); 10 anos (Código Civil art. 205) como margem para o que não tem prazo menor',
  contabil:
    'Código Civil art. 1.194 (escrituração e documentos guardados enquanto não ocorrer prescrição ou decadência dos atos neles consignados); CTN art. 195, parágrafo único; 10 anos pela regra geral do Código Civil art. 205',
  societario: 'Atos constitutivos, alterações e atas: prova permanente da existência e da representação da empresa (Código Civil arts. 45, 1.150 e 1.153; Lei 8.934/1994); mantidos',
  outros: 'Sem prazo legal próprio: 5 anos, o prazo de decadência e prescrição mais comum (CTN arts. 173/174; Código de Defesa do Consumidor art. 27)',
}

export const LOG_BASIS =
  'Marco Civil da Internet (Lei 12.965/2014) art. 15: registros de acesso a aplicações guardados por no mínimo 6 meses; LGPD (Lei 13.709/2018) arts. 15 e 16: os dados pessoais são eliminados ao fim do tratamento, salvo obrigação legal. Só os campos pessoais (usuário, IP, porta, navegador, destinatário) são apagados; a linha e seus compromissos ficam, e o registro continua verificável.'

export const COUNTED_FROM =
  "the first day of the year after the document's date: the later of its competência and its due date, or the day it was filed when it has neither (CTN art. 173 I)"

export interface CategoryRetention {
  category: Category
  period: string
  /** Months kept, or null: kept forever. */
  months: number | null
  basis: string
}

export interface RetentionShow {
  categories: CategoryRetention[]
  countedFrom: string
  log: { period: string; months: number; basis: string }
}

/** The firm's policy with each category's legal basis. */
export async function showRetention(db: Db): Promise<RetentionShow> {
  const firm = await getFirmOptions(db)
  const policy = parseRetentionPolicy(firm.retention)
  const log = parseLogRetention(firm.logRetention)
  return {
    categories: CATEGORIES.map((category) => {
      const months = monthsOf(policy[category])
      return { category, period: formatPeriod(policy[category]), months: Number.isFinite(months) ? months : null, basis: LEGAL_BASIS[category] }
    }),
    countedFrom: COUNTED_FROM,
    log: { period: formatPeriod(log), months: monthsOf(log), basis: LOG_BASIS },
  }
}

/** `date` (YYYY-MM-DD) moved back `months` months (the day clamped to the month's length). */
export function monthsBefore(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number)
  const index = y * 12 + (m - 1) - months
  const year = Math.floor(index / 12)
  const month = (index % 12) + 1
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate()
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`
}

/**
 * The first year whose documents are still kept on `today`: a document dated in year Y is kept
 * from Y+1-01-01 for the period, so it has expired exactly when Y is before this year.
 */
export function firstKeptYear(period: RetentionPeriod, today: string): number | null {
  if (period === 'forever') return null
  return Number(monthsBefore(today, monthsOf(period)).slice(0, 4))
}

/** The year a document's period counts from (its date's year + 1), as the rule above reads it. */
export function countedFromYear(document: { competence: string | null; due_date: string | null; created_at: string }): number {
  const years = [document.competence, document.due_date].filter((v): v is string => v !== null).map((v) => Number(v.slice(0, 4)))
  return (years.length > 0 ? Math.max(...years) : Number(document.created_at.slice(0, 4))) + 1
}

export type { RetentionPolicy }
