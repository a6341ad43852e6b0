// What a guide's text says: its type (hence category and title), taxpayer, competência, due
// date and total. Pure functions, so every layout rule is unit-tested without a database.
import type { Category } from '../categories.js'
import { recogniseAmount, recogniseCompetence, recogniseDueDate } from './fields.js'
import { recogniseTaxId, type TaxIdFinding } from './tax-ids.js'
import { foldText } from './text.js'

export type GuideType = 'das' | 'darf-dctfweb' | 'darf' | 'fgts' | 'gps' | 'holerite' | 'folha' | 'other'

interface TypeRule {
  type: GuideType
  name: string
  category: Category
  pattern: RegExp
}

// Most specific first: a DCTFWeb DARF also says DARF, a DAS says "Documento de Arrecadação".
const TYPE_RULES: readonly TypeRule[] = [
  { type: 'fgts', name: 'FGTS Digital', category: 'pessoal', pattern: /FGTS\s?DIGITAL|GUIA DO FGTS|\bGFD\b/ },
  { type: 'darf-dctfweb', name: 'DARF DCTFWeb', category: 'pessoal', pattern: /DCTF\s?WEB/ },
  { type: 'das', name: 'DAS', category: 'fiscal', pattern: /ARRECADACAO DO SIMPLES NACIONAL|\bDAS\b|\bPGDAS/ },
  { type: 'gps', name: 'GPS', category: 'pessoal', pattern: /GUIA DA PREVIDENCIA SOCIAL|\bGPS\b/ },
  { type: 'darf', name: 'DARF', category: 'fiscal', pattern: /ARRECADACAO DE RECEITAS FEDERAIS|\bDARF\b/ },
  { type: 'holerite', name: 'Holerite', category: 'pessoal', pattern: /RECIBO DE PAGAMENTO|HOLERITE|CONTRA\s?CHEQUE|DEMONSTRATIVO DE PAGAMENTO/ },
  { type: 'folha', name: 'Folha de pagamento', category: 'pessoal', pattern: /FOLHA DE PAGAMENTO|RESUMO DA FOLHA/ },
]

const OTHER: TypeRule = { type: 'other', name: 'Documento', category: 'outros', pattern: /$^/ }

/** The type of a guide from its folded text. */
export function recogniseType(folded: string): TypeRule {
  return TYPE_RULES.find((rule) => rule.pattern.test(folded)) ?? OTHER
}

/** Everything recognised on one page (or one guide, once its pages are merged). */
export interface Recognised {
  type: GuideType
  category: Category
  /** "DAS 10/2026"; without a competência just the type's name. */
  title: string
  taxId: string | null
  taxIdCandidates: string[]
  taxIdProblem: TaxIdFinding['problem']
  /** YYYY-MM */
  competence: string | null
  /** YYYY-MM-DD */
  dueDate: string | null
  amountCents: number | null
  /** False for a page without any text (a scanned image). */
  hasText: boolean
}

/** The title people see: the type's name and the competência as MM/YYYY. */
export function guideTitle(type: GuideType, competence: string | null): string {
  const name = (TYPE_RULES.find((r) => r.type === type) ?? OTHER).name
  return competence ? `${name} ${competence.slice(5)}/${competence.slice(0, 4)}` : name
}

/** Recognises one page's text. */
export function recognisePage(text: string): Recognised {
  const folded = foldText(text)
  const rule = recogniseType(folded)
  const tax = recogniseTaxId(folded)
  const competence = recogniseCompetence(folded)
  return {
    type: rule.type,
    category: rule.category,
    title: guideTitle(rule.type, competence),
    taxId: tax.taxId,
    taxIdCandidates: tax.candidates,
    taxIdProblem: tax.problem,
    competence,
    dueDate: recogniseDueDate(folded),
    amountCents: recogniseAmount(folded),
    hasText: folded !== '',
  }
}

/** One guide's pages merged: the first page's type and taxpayer, the first value of each field. */
export function mergePages(pages: readonly Recognised[]): Recognised {
  const first = pages[0]
  const firstOf = <K extends 'competence' | 'dueDate' | 'amountCents'>(key: K): Recognised[K] =>
    pages.find((p) => p[key] !== null)?.[key] ?? null
  const competence = firstOf('competence')
  return {
    ...first,
    title: guideTitle(first.type, competence),
    competence,
    dueDate: firstOf('dueDate'),
    amountCents: firstOf('amountCents'),
    taxIdCandidates: [...new Set(pages.flatMap((p) => p.taxIdCandidates))],
    hasText: pages.some((p) => p.hasText),
  }
}
