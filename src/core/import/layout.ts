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

/** Puts the pieces of a page back into lines of cells: real guides draw each field in pieces. */
export function layoutItems(items: readonly TextItem[]): Layout {
  const pieces = items
    .filter((item) => typeof item.str === 'string' && item.str.trim() !== '')
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
