// How people type values in portal forms, turned into what core reads.

/** `MM/AAAA` (as Brazilians write a competência) as `AAAA-MM`; anything else unchanged for core to check. */
export function competenceFromInput(value: string): string {
  const match = /^(\d{1,2})\/(\d{4})$/.exec(value.trim())
  return match ? `${match[2]}-${match[1].padStart(2, '0')}` : value
}
