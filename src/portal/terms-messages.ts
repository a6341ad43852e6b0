// The portal's words about the firm's terms of use and privacy notice (issue 21, part 4), in
// pt-BR: `m.terms` in ./messages.ts. Kept apart so that messages.ts stays under the size limit.
export const termsMessages = {
  title: 'Termos de uso e aviso de privacidade',
  /** The box every registration form and the acceptance page use: the words of the consent itself. */
  agree: 'Li e concordo com os termos de uso e o aviso de privacidade',
  read: 'Ler os termos de uso e o aviso de privacidade',
  acceptTitle: 'Aceite dos termos de uso',
  acceptIntro: 'O escritório publicou os termos de uso e o aviso de privacidade da Área do Cliente. Leia o texto abaixo; para continuar, confirme que leu e concorda.',
  published: (date: string) => `Versão publicada em ${date}.`,
  changed: 'O escritório publicou uma nova versão dos termos enquanto você lia. Leia a versão abaixo e confirme de novo.',
  none: 'O escritório ainda não publicou termos de uso.',
  notAccepted: 'Para criar a conta, marque “Li e concordo com os termos de uso e o aviso de privacidade”.',
  logoutInstead: 'Não concordo: sair',
} as const
