// Which pages of a PDF make one guide: the pages of a guide stay together, a PDF of guides for
// several companies is split (docs/decisions.md, "Splitting a PDF into guides").
import { mergePages, type Recognised } from './recognise.js'

export interface PageGroup {
  /** 1-based page numbers, ascending. */
  pages: number[]
  recognised: Recognised
}

interface OpenGroup {
  pages: number[]
  parts: Recognised[]
}

// A page continues the guide before it when nothing on it says it is another guide: the same
// taxpayer or none, the same type or none, the same competência or none. A page without text
// never continues one: filing an unseen page with a company could show it to the wrong client.
function continues(group: OpenGroup, page: Recognised): boolean {
  const head = group.parts[0]
  if (!page.hasText || !head.hasText || page.taxIdProblem === 'several' || head.taxIdProblem === 'several') return false
  if (page.taxId !== null && page.taxId !== head.taxId) return false
  if (page.type !== 'other' && page.type !== head.type) return false
  const competence = group.parts.find((p) => p.competence !== null)?.competence ?? null
  return page.competence === null || competence === null || page.competence === competence
}

/** Groups a PDF's recognised pages (in page order) into guides. */
export function groupPages(pages: readonly Recognised[]): PageGroup[] {
  const groups: OpenGroup[] = []
  pages.forEach((page, i) => {
    const current = groups.at(-1)
    if (current && continues(current, page)) {
      current.pages.push(i + 1)
      current.parts.push(page)
    } else {
      groups.push({ pages: [i + 1], parts: [page] })
    }
  })
  return groups.map((g) => ({ pages: g.pages, recognised: mergePages(g.parts) }))
}

/** "1", "1-3" or "1,3" for reports and duplicate keys. */
export function pageLabel(pages: readonly number[]): string {
  const contiguous = pages.every((p, i) => i === 0 || p === pages[i - 1] + 1)
  if (pages.length > 1 && contiguous) return `${pages[0]}-${pages.at(-1)}`
  return pages.join(',')
}
