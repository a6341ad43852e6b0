// The portal's words on a client's login link (/area/:token, docs/rules.md#registration-and-activation),
// in pt-BR: `m.area` in ./messages.ts. Kept apart so that messages.ts stays under the size limit.
export const areaMessages = {
  title: (client: string) => `Área do Cliente — ${client}`,
  intro:
    'Entre com sua conta ou crie uma nova. Quem criar a primeira conta da empresa passa a administrar a Área do Cliente; as contas seguintes precisam ser ativadas pela administração.',
  introFirst:
    'Esta empresa ainda não tem contas na Área do Cliente. Crie a sua: a primeira conta passa a administrar a Área do Cliente da empresa e ativa as contas de quem vier depois.',
  loginHeading: 'Já tenho conta',
  registerHeading: 'Criar conta',
  registerSubmit: 'Cadastrar',
  createdAdmin: 'Conta criada. Você administra a Área do Cliente desta empresa.',
  createdPending:
    'Conta criada. Por segurança, quem administra a Área do Cliente da sua empresa precisa ativá-la no menu Usuários antes que você possa entrar. Avise essa pessoa.',
  createdPendingTitle: 'Conta criada — aguardando ativação',
  alreadyIn: (name: string) => `Você já entrou como ${name}.`,
  goToArea: 'Ir para a Área do Cliente',
  logoutToRegister: 'Sair para criar outra conta',
}
