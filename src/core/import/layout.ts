// A page as the recognisers see it: lines top to bottom, each made of cells left to right. A
// cell is a run of text with no wide gap in it (a label, a value, a sentence); guides draw labels
// and values as separate runs, in boxes, so where a value sits says whose it is.
import { foldText } from './text.js'

/** A piece of text where the PDF draws it (pdf.js text content, in points, y upwards). */
export interface TextItem {
  str: string
  transform: number[]
  width?: number
  height?: number
}

export interface Cell {
  text: string
  /** foldText(text) */
  folded: string
  x: number
  right: number
  /** Baseline, larger is higher on the page. */
  y: number
  size: number
}

/** Lines top to bottom, cells left to right. */
export type Layout = Cell[][]

// Rows are pieces whose baselines are within a third of a typical font size.
const ROW_TOLERANCE = 3
// A gap wider than a fifth of the font size is a space between words; wider than the font size,
// the gap between two fields (a label and its value, two boxes side by side).
const WORD_GAP = 1 / 5
const CELL_GAP = 1

function makeCell(text: string, x: number, right: number, y: number, size: number): Cell {
  return { text, folded: foldText(text), x, right, y, size }
}

// A run whose baseline leans more than this (radians) is not horizontal: a watermark, a margin note.
const LEVEL = 0.035

/** The run's direction as the page is shown: 0, 1, 2, 3 quarter turns anticlockwise, or null (slanted). */
function quarterTurns(item: TextItem): number | null {
  const angle = Math.atan2(item.transform[1], item.transform[0])
  const turns = Math.round(angle / (Math.PI / 2))
  return Math.abs(angle - turns * (Math.PI / 2)) <= LEVEL ? (turns + 4) % 4 : null
}

/**
 * The runs that read across the page, turned so they are horizontal. Watermarks ("CÓPIA", "2ª
 * VIA", "PAGO") and margin notes run another way and are left out: one letter of theirs between a
 * label and its value would stand for the value. A page drawn turned as a whole (a landscape guide
 * on a portrait page without /Rotate) is read in the direction most of its text runs.
 */
function readingRuns(items: readonly TextItem[]): TextItem[] {
  const withText = items.filter((item) => typeof item.str === 'string' && item.str.trim() !== '' && Array.isArray(item.transform))
  const letters = [0, 0, 0, 0]
  const turns = withText.map(quarterTurns)
  turns.forEach((turn, i) => {
    if (turn !== null) letters[turn] += withText[i].str.length
  })
  const main = letters.indexOf(Math.max(...letters))
  // Turning by -main quarter turns: (x, y) → rotated, for the matrix and the origin alike.
  const [cos, sin] = [Math.round(Math.cos((-main * Math.PI) / 2)), Math.round(Math.sin((-main * Math.PI) / 2))]
  const turn = (x: number, y: number) => [cos * x - sin * y, sin * x + cos * y]
  return withText
    .filter((_, i) => turns[i] === main)
    .map((item) => {
      const [a, b, c, d, e, f] = item.transform
      return main === 0 ? item : { ...item, transform: [...turn(a, b), ...turn(c, d), ...turn(e, f)] }
    })
}

/** Puts the pieces of a page back into lines of cells: real guides draw each field in pieces. */
export function layoutItems(items: readonly TextItem[]): Layout {
  const pieces = readingRuns(items)
    .map((item) => ({
      text: item.str.trim(),
      x: item.transform[4],
      y: item.transform[5],
      width: item.width ?? 0,
      size: item.height || Math.abs(item.transform[3]) || 10,
    }))
    .sort((a, b) => b.y - a.y || a.x - b.x)
  const rows: { y: number; pieces: typeof pieces }[] = []
  for (const piece of pieces) {
    const row = rows.at(-1)
    if (row && Math.abs(row.y - piece.y) <= ROW_TOLERANCE) row.pieces.push(piece)
    else rows.push({ y: piece.y, pieces: [piece] })
  }
  return rows.map((row) => {
    const cells: Cell[] = []
    let open: { text: string; x: number; right: number; size: number } | null = null
    for (const piece of row.pieces.sort((a, b) => a.x - b.x)) {
      const gap = open ? piece.x - open.right : Infinity
      if (open && gap <= piece.size * CELL_GAP) {
        // Pieces that touch are one word cut in pieces ("11.2" "22.333").
        open.text += `${gap > piece.size * WORD_GAP ? ' ' : ''}${piece.text}`
        open.right = Math.max(open.right, piece.x + piece.width)
        open.size = Math.max(open.size, piece.size)
      } else {
        if (open) cells.push(makeCell(open.text, open.x, open.right, row.y, open.size))
        open = { text: piece.text, x: piece.x, right: piece.x + piece.width, size: piece.size }
      }
    }
    if (open) cells.push(makeCell(open.text, open.x, open.right, row.y, open.size))
    return cells
  })
}

/** Plain text as a layout: each line one cell, one under the other (unit tests, old callers). */
export function layoutLines(text: string): Layout {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => [makeCell(line.trim(), 0, Infinity, -12 * i, 10)])
}

/** The page's text: one line per row, cells joined by a space. */
export function layoutText(layout: Layout): string {
  return layout.map((line) => line.map((cell) => cell.text).join(' ')).join('\n')
}
