// A field's value found by where it is drawn: guides print a label at the top left of a box
// (often after the field's number, "10 VALOR TOTAL", "11 - TOTAL") and its value in the same
// cell after a colon, in the next cell to the right, or below it in the box's column.
import type { Cell, Layout } from './layout.js'
import { labelPattern } from './text.js'

export type Parse<T> = (text: string) => T | null

// The field's number before its label: "10", "10 -", "10.", "CAMPO 10".
const FIELD_NUMBER = '(?:(?:CAMPO\\s*)?\\d{1,2}\\s*[-.)–]?\\s*)?'
// How far below a label its value may be drawn (points, or lines of plain text).
const BELOW_REACH = 40
// A label's own continuation: "NOME/TELEFONE", "NOME OU RAZAO SOCIAL/FONE/ENDERECO", or a note
// in brackets, "VENCIMENTO (USO EXCLUSIVO DO INSS)".
const CONTINUATION = /^(?:\s*\/\s*[A-Z]+|\s*\([^)]*\))+/

function labelRegExp(label: string): RegExp {
  return new RegExp(`^${FIELD_NUMBER}${labelPattern(label)}(?![A-Z0-9])`)
}

/** What follows a label inside its own cell, after its continuation and a colon; null if none. */
function restAfterLabel(cell: Cell, label: RegExp): { rest: string; separated: boolean } | null {
  const match = label.exec(cell.folded)
  if (!match) return null
  const after = cell.folded.slice(match[0].length).replace(CONTINUATION, '')
  const separator = /^\s*[:\-–]\s*/.exec(after)
  return { rest: separator ? after.slice(separator[0].length) : after.trim(), separated: separator !== null }
}

/** Cells under `label`, in its column (up to the next cell on its line), nearest line first. */
function cellsBelow(layout: Layout, line: number, label: Cell, lines: number): Cell[] {
  const row = layout[line]
  const next = row[row.indexOf(label) + 1]
  const columnEnd = next ? next.x : Infinity
  const found: Cell[] = []
  let taken = 0
  for (let i = line + 1; i < layout.length && taken < lines; i++) {
    if (label.y - layout[i][0].y > BELOW_REACH + label.size) break
    const inColumn = layout[i].filter((c) => c.x < columnEnd && c.right > label.x - label.size)
    if (inColumn.length > 0) {
      found.push(...inColumn)
      taken += 1
    }
  }
  return found
}

/**
 * The value over `label` when its line is a row of captions under a row of values (a summary
 * strip: "JAN/2027  06/02/2027  R$ 0,01" over "Competência  Pagar até  Valor a recolher"). Only
 * then: in a column of boxes the value over a label is the box above's. A box of the strip may be
 * empty, so the values line up with captions rather than match them in number.
 */
function captionedAbove(layout: Layout, line: number, label: Cell, options: LabelledOptions): Cell[] {
  const above = layout[line - 1]
  const captions = layout[line]
  if (!above || captions.length < 2 || above.length > captions.length) return []
  if (above[0].y - label.y > BELOW_REACH || captions.some((c) => options.startsValue(c.folded))) return []
  const overlaps = (a: Cell, b: Cell) => a.x < b.right && a.right > b.x
  if (!above.every((c) => options.startsValue(c.folded) && captions.filter((caption) => overlaps(c, caption)).length === 1)) return []
  return above.filter((c) => overlaps(c, label))
}

export interface LabelledOptions {
  /** May `rest`, the text after a label in its own cell, hold the value? */
  startsValue: (rest: string) => boolean
  /** Lines below a label to look in (each line with a cell in its column counts). */
  linesBelow?: number
  /** A value in the label's own cell must follow a colon or a dash ("Nome: ...", not "Nome do empregado"). */
  needsSeparator?: boolean
}

/** What the boxes say of a field: its value, and whether one of its labels stands as a box's label. */
export interface Positioned<T> {
  value: T | null
  /**
   * A label starts a cell holding nothing else but its value: the field has a box of its own, so
   * when `value` is null the box is empty (or unreadable) and the field is missing.
   */
  boxed: boolean
}

/** The next cell right of `cell`, with a bare "R$" printed apart from its number joined to it. */
function rightOf(row: Cell[], cell: Cell): Cell | null {
  const [next, after] = row.slice(row.indexOf(cell) + 1)
  if (!next) return null
  if (after && /^R\s?\$$/.test(next.folded)) return { ...next, text: `${next.text} ${after.text}`, folded: `${next.folded} ${after.folded}`, right: after.right }
  return next
}

/**
 * The first value `parse` reads for `labels`, tried in order, each wherever it starts a cell: in
 * the rest of that cell, then the next cell to the right, then below in its column. A cell whose
 * label runs on into words ("valor total inferior a R$ 10,00", a footnote) is not a label.
 */
export function fieldByPosition<T>(layout: Layout, labels: readonly string[], parse: Parse<T>, options: LabelledOptions): Positioned<T> {
  let boxed = false
  for (const label of labels) {
    const pattern = labelRegExp(label)
    for (let line = 0; line < layout.length; line++) {
      for (const cell of layout[line]) {
        const found = restAfterLabel(cell, pattern)
        if (found === null) continue
        const { rest, separated } = found
        if (rest !== '') {
          if (!options.startsValue(rest) || (options.needsSeparator && !separated)) continue
          boxed = true
          const value = parse(rest)
          if (value !== null) return { value, boxed }
          continue
        }
        boxed = true
        const right = rightOf(layout[line], cell)
        const candidates = [...(right ? [right] : []), ...cellsBelow(layout, line, cell, options.linesBelow ?? 2), ...captionedAbove(layout, line, cell, options)]
        for (const candidate of candidates) {
          if (!options.startsValue(candidate.folded)) continue
          const value = parse(candidate.folded)
          if (value !== null) return { value, boxed }
        }
      }
    }
  }
  return { value: null, boxed }
}

/** fieldByPosition's value alone. */
export function valueByPosition<T>(layout: Layout, labels: readonly string[], parse: Parse<T>, options: LabelledOptions): T | null {
  return fieldByPosition(layout, labels, parse, options).value
}
