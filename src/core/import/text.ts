// Text as the recognisers read it: real guides come in upper or mixed case, with or without
// accents, fields broken across lines and into pieces; all of that is folded away here.

/** Upper case, no accents, every run of white space (line breaks too) one space. */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/\s+/g, ' ')
    .trim()
}

/** A pattern matching `label` in folded text with any spacing between its words. */
export function labelPattern(label: string): string {
  return foldText(label)
    .split(' ')
    .map((word) => word.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('\\s*')
}

/**
 * The first value `parse` finds in the `span` characters after a label: labels are tried in
 * order and each at every place it occurs, so a label used for something else is passed over.
 */
export function valueAfterLabels<T>(
  text: string,
  labels: readonly string[],
  span: number,
  parse: (after: string) => T | null,
): T | null {
  for (const label of labels) {
    const pattern = new RegExp(`(?:^|[^A-Z])${labelPattern(label)}(?![A-Z])`, 'g')
    for (const match of text.matchAll(pattern)) {
      const end = match.index + match[0].length
      const value = parse(text.slice(end, end + span))
      if (value !== null) return value
    }
  }
  return null
}
