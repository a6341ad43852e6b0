// What a guide's text says: its type (hence category and title), taxpayer, competência, due
// date and total. Pure functions, so every layout rule is unit-tested without a database.
import type { Category } from '../categories.js'
import { recogniseCompanyName } from './company-name.js'
import { recogniseAmount, recogniseCompetence, recogniseDueDate } from './fields.js'
import { layoutLines, type Layout } from './layout.js'
import { recogniseTaxId, type TaxIdFinding } from './tax-ids.js'

export type GuideType = 'das' | 'darf-dctfweb' | 'darf' | 'fgts' | 'gps' | 'holerite' | 'folha' | 'other'

interface TypeRule {
  type: GuideType
  name: string
  category: Category
  /** The guide's own title, anywhere on the page. */
  title: RegExp
  /** Its acronym, which counts only where it stands as a title (see ACRONYM_AS_TITLE). */
  acronym?: string
}

const TYPE_RULES: readonly TypeRule[] = [
  { type: 'fgts', name: 'FGTS Digital', category: 'pessoal', title: /FGTS\s?DIGITAL|GUIA DO FGTS/, acronym: 'GFD' },
  { type: 'das', name: 'DAS', category: 'fiscal', title: /ARRECADACAO DO SIMPLES NACIONAL|\bPGDAS/, acronym: 'DAS' },
  { type: 'gps', name: 'GPS', category: 'pessoal', title: /GUIA DA PREVIDENCIA SOCIAL/, acronym: 'GPS' },
  { type: 'darf', name: 'DARF', category: 'fiscal', title: /ARRECADACAO DE RECEITAS FEDERAIS/, acronym: 'DARF' },
  { type: 'holerite', name: 'Holerite', category: 'pessoal', title: /RECIBO DE PAGAMENTO|HOLERITE|CONTRA\s?CHEQUE|DEMONSTRATIVO DE PAGAMENTO/ },
  { type: 'folha', name: 'Folha de pagamento', category: 'pessoal', title: /FOLHA DE PAGAMENTO|RESUMO DA FOLHA/ },
]
// Guides confi does not file by itself (municipal ISS and DAM, state GARE, DARE and GNRE, the DAE
// of the eSocial): their titles compete for "first on the page" too, so a note in an ISS guide
// naming the "Documento de Arrecadação do Simples Nacional" does not make it a DAS; they are queued.
const FOREIGN_TITLE =
  /PREFEITURA (?:MUNICIPAL|DO MUNICIPIO|DA CIDADE|DE)|DOCUMENTO DE ARRECADACAO MUNICIPAL|IMPOSTO SOBRE SERVICOS|ARRECADACAO DO ESOCIAL|GUIA NACIONAL DE RECOLHIMENTO DE TRIBUTOS ESTADUAIS/
const FOREIGN_ACRONYMS = ['ISS', 'ISSQN', 'DAM', 'DAE', 'GARE', 'DARE', 'GNRE']
const DCTFWEB: TypeRule = { type: 'darf-dctfweb', name: 'DARF DCTFWeb', category: 'pessoal', title: /DCTF\s?WEB/ }
const OTHER: TypeRule = { type: 'other', name: 'Documento', category: 'outros', title: /$^/ }
const FOREIGN: TypeRule = { ...OTHER }
const RULES = [...TYPE_RULES, DCTFWEB, OTHER]

// An acronym is a title when it stands alone in its cell, or beside a dash, a bar or a bracket
// ("DAS - Documento…", "… - GFD", "(GPS)"); "Rua das Flores" or "GPS Transportes Ltda" is not.
const ACRONYM_AS_TITLE = (acronym: string) =>
  new RegExp(`(?:^|[-–(|:/]\\s*)${acronym}(?:\\s+(?:MEI|COMUM|NUMERADO|AVULSO))?(?:\\s*[-–)|:/(]|$)`)

/**
 * The type of a guide from its own title and markers: whichever comes first on the page (the
 * heading), so a name elsewhere in the text, an address or an instruction, does not decide it.
 */
export function recogniseType(layout: Layout): TypeRule {
  const cells = layout.flat()
  const folded = cells.map((c) => c.folded).join(' ')
  let best: { rule: TypeRule; at: number } | null = null
  const consider = (rule: TypeRule, at: number) => {
    if (best === null || at < best.at) best = { rule, at }
  }
  const considerAcronym = (rule: TypeRule, acronym: string) => {
    const pattern = ACRONYM_AS_TITLE(acronym)
    let offset = 0
    for (const cell of cells) {
      const match = pattern.exec(cell.folded)
      if (match) consider(rule, offset + match.index)
      offset += cell.folded.length + 1
    }
  }
  for (const rule of TYPE_RULES) {
    const title = rule.title.exec(folded)
    if (title) consider(rule, title.index)
    if (rule.acronym) considerAcronym(rule, rule.acronym)
  }
  const foreign = FOREIGN_TITLE.exec(folded)
  if (foreign) consider(FOREIGN, foreign.index)
  for (const acronym of FOREIGN_ACRONYMS) considerAcronym(FOREIGN, acronym)
  const found = (best as { rule: TypeRule } | null)?.rule ?? OTHER
  if (found === FOREIGN) return OTHER
  // A DCTFWeb DARF says DARF too; DCTFWeb alone is still one.
  if ((found.type === 'darf' || found.type === 'other') && DCTFWEB.title.test(folded)) return DCTFWEB
  return found
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
  /** Other ids on the page that may be a taxpayer's (./tax-ids.ts). */
  taxIdRivals: string[]
  /** The taxpayer's name as printed, folded; null when the page prints none under a label. */
  companyName: string | null
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
  const name = (RULES.find((r) => r.type === type) ?? OTHER).name
  return competence ? `${name} ${competence.slice(5)}/${competence.slice(0, 4)}` : name
}

/** Recognises one page: its text, and where each piece is drawn when read from a PDF. */
export function recognisePage(page: string | { text: string; layout: Layout }): Recognised {
  const layout = typeof page === 'string' ? layoutLines(page) : page.layout
  const folded = layout.map((line) => line.map((cell) => cell.folded).join(' ')).join(' ')
  const rule = recogniseType(layout)
  const tax = recogniseTaxId(folded)
  const competence = recogniseCompetence(folded, layout)
  return {
    type: rule.type,
    category: rule.category,
    title: guideTitle(rule.type, competence),
    taxId: tax.taxId,
    taxIdCandidates: tax.candidates,
    taxIdProblem: tax.problem,
    taxIdRivals: tax.rivals,
    companyName: recogniseCompanyName(layout),
    competence,
    dueDate: recogniseDueDate(folded, layout),
    amountCents: recogniseAmount(folded, layout),
    hasText: folded !== '',
  }
}

/** One guide's pages merged: the first page's type and taxpayer, the first value of each field. */
export function mergePages(pages: readonly Recognised[]): Recognised {
  const first = pages[0]
  const firstOf = <K extends 'competence' | 'dueDate' | 'amountCents' | 'companyName'>(key: K): Recognised[K] =>
    pages.find((p) => p[key] !== null)?.[key] ?? null
  const competence = firstOf('competence')
  return {
    ...first,
    title: guideTitle(first.type, competence),
    competence,
    dueDate: firstOf('dueDate'),
    amountCents: firstOf('amountCents'),
    companyName: firstOf('companyName'),
    taxIdCandidates: [...new Set(pages.flatMap((p) => p.taxIdCandidates))],
    taxIdRivals: [...new Set(pages.flatMap((p) => p.taxIdRivals))].filter((id) => id !== first.taxId),
    hasText: pages.some((p) => p.hasText),
  }
}
