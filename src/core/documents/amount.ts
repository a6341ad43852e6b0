// How a document's amount (integer centavos, documents.amount_cents) is shown to people.

/** `R$ 1.234,56` for people. */
export function formatAmount(cents: number): string {
  const reais = Math.floor(cents / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '.')
  return `R$ ${reais},${String(cents % 100).padStart(2, '0')}`
}
