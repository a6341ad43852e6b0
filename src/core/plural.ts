// Counts in core's English messages read as a person would write them: "1 minute", "2 minutes".

/** `1 attempt`, `3 attempts`; `plural` for nouns that do not just take an s. */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`
}
