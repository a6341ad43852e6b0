/**
 * Who performs an administrative action: an accountant at the terminal (`cli:<os user>`) or a
 * client user in the portal. Core re-checks a client user's rights inside the transaction.
 */
export type Actor =
  | { kind: 'accountant'; label: string }
  | { kind: 'client_user'; userId: number }

/** An accountant actor from the CLI's `cli:<os user>` label. */
export function accountant(label: string): Actor {
  return { kind: 'accountant', label }
}
