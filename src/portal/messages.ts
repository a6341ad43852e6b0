import type { Category } from '../core/documents/categories.js'
import {
  ConfiError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  type RefusalReason,
} from '../core/errors.js'

// Every user-facing string of the portal, in Brazilian Portuguese, with the words of the CONFI
// help article (Área do Cliente, administrador, colaborador, Cadastros > Usuários).

export const m = {
  appName: 'Área do Cliente',
  lang: 'pt-BR',
  skipToContent: 'Ir para o conteúdo',

  nav: {
    documents: 'Documentos',
    users: 'Usuários',
    account: 'Minha conta',
    logout: 'Sair',
    main: 'Menu principal',
  },

  fields: {
    username: 'Usuário',
    usernameHint:
      'O nome que você usará para entrar: de 3 a 64 letras, números, ponto (.), hífen (-), sublinhado (_) ou arroba (@), sem espaços.',
    newUsernameHint:
      'O nome que a pessoa usará para entrar: de 3 a 64 letras, números, ponto (.), hífen (-), sublinhado (_) ou arroba (@), sem espaços.',
    newPasswordHint: 'A senha inicial da pessoa, de 8 a 72 caracteres. Ela poderá trocá-la em Minha conta.',
    password: 'Senha',
    passwordHint: 'De 8 a 72 caracteres (letras acentuadas contam como 2).',
    currentPassword: 'Senha atual',
    newPassword: 'Nova senha',
    name: 'Nome completo',
    email: 'E-mail (opcional)',
    company: 'Empresa',
    category: 'Categoria',
    competence: 'Competência',
    role: 'Perfil',
  },

  login: {
    title: 'Entrar',
    intro: 'Entre com o usuário e a senha da sua Área do Cliente.',
    submit: 'Entrar',
    failed:
      'Usuário ou senha incorretos. Se você errou várias vezes, aguarde alguns minutos e tente de novo.',
    pendingTitle: 'Conta aguardando ativação',
    pending:
      'Sua conta foi criada, mas ainda não foi ativada. Um administrador da sua empresa precisa ativá-la em Cadastros > Usuários antes que você possa entrar na Área do Cliente.',
    loggedOut: 'Você saiu da Área do Cliente.',
    sessionEnded: 'Sua sessão terminou. Entre novamente.',
    activated: 'Sua conta foi ativada. Entre novamente.',
    passwordReset: 'Senha alterada. Entre com a nova senha.',
    forgot:
      'Esqueceu a senha? Peça ao seu escritório de contabilidade um link para criar uma nova.',
  },

  area: {
    title: (client: string) => `Área do Cliente — ${client}`,
    intro:
      'Entre com sua conta ou crie uma nova. A primeira conta criada para a empresa será a do administrador; as seguintes precisam ser ativadas por um administrador.',
    loginHeading: 'Já tenho conta',
    registerHeading: 'Criar conta',
    registerSubmit: 'Cadastrar',
    createdAdmin: 'Conta criada. Você é o administrador da Área do Cliente desta empresa.',
    createdPending:
      'Conta criada. Por segurança, um administrador da sua empresa precisa ativá-la em Cadastros > Usuários antes que você possa entrar. Avise o administrador.',
    createdPendingTitle: 'Conta criada — aguardando ativação',
  },

  documents: {
    title: 'Documentos',
    filters: 'Filtrar documentos',
    allCompanies: 'Todas as empresas',
    allCategories: 'Todas as categorias',
    competencePlaceholder: 'MM/AAAA',
    apply: 'Filtrar',
    clear: 'Limpar filtros',
    empty: 'Nenhum documento encontrado.',
    emptyFiltered: 'Nenhum documento com estes filtros. Tente limpar os filtros.',
    next: 'Documentos mais antigos →',
    first: '← Mais recentes',
    columns: { title: 'Documento', company: 'Empresa', category: 'Categoria', competence: 'Competência', due: 'Vencimento', date: 'Enviado em' },
    files: 'Arquivos',
    download: 'Baixar',
    noFiles: 'Este documento não tem arquivos.',
    back: '← Voltar aos documentos',
    competence: 'Competência',
    due: 'Vencimento',
    sentAt: 'Enviado em',
    company: 'Empresa',
    category: 'Categoria',
    badCompetence: 'A competência deve estar no formato AAAA-MM ou MM/AAAA, por exemplo 2026-03 ou 03/2026.',
    badCursor: 'Endereço de página inválido. Volte à primeira página.',
  },

  delivery: {
    loginRequired:
      'Este documento exige login. Entre com sua conta da Área do Cliente ou crie uma conta para acessá-lo.',
    notAllowedTitle: 'Sem acesso a este documento',
    notAllowed:
      'A conta com que você entrou não tem acesso a este documento. Saia e entre com uma conta da empresa destinatária.',
    restricted:
      'Seu acesso a esta categoria foi restrito pelo administrador da Área do Cliente da sua empresa. Se precisar deste documento, peça a ele.',
    pendingNote:
      'Sua conta aguarda ativação por um administrador: por enquanto você pode abrir os documentos enviados por link, mas não a Área do Cliente.',
    registeredPending:
      'Conta criada. Você já pode abrir este documento; para entrar na Área do Cliente, um administrador precisa ativar sua conta.',
  },

  crossSite: {
    title: 'Confirmar download',
    intro: (file: string) => `Você chegou aqui por um link de outro site. Para baixar o arquivo ${file}, use o botão abaixo.`,
    download: 'Baixar o arquivo',
  },

  pending: {
    admins: (names: string[]) =>
      names.length === 1
        ? `Quem pode ativar sua conta: ${names[0]}, administrador da Área do Cliente da sua empresa.`
        : `Quem pode ativar sua conta: ${names.slice(0, -1).join(', ')} ou ${names.at(-1)}, administradores da Área do Cliente da sua empresa.`,
    noAdmins: 'Sua empresa ainda não tem um administrador ativo: fale com o seu escritório de contabilidade.',
    firmContact: (firm: string, contact: string[]) => `Contato do escritório ${firm}: ${contact.join(' · ')}.`,
    documentTitle: 'Documento disponível após a ativação',
    document:
      'Este documento é da categoria Pessoal e só pode ser aberto depois que um administrador da sua empresa ativar sua conta.',
  },

  users: {
    title: 'Usuários',
    intro: 'Gerencie quem acessa a Área do Cliente da sua empresa.',
    newHeading: 'Novo usuário',
    newSubmit: 'Cadastrar',
    newNote:
      'A pessoa cadastrada aqui já fica ativa. Informe a ela o usuário e entregue a senha inicial pessoalmente; ela deve trocá-la no primeiro acesso, em Minha conta.',
    empty: 'Nenhum usuário cadastrado.',
    pendingHeading: 'Aguardando ativação',
    activate: 'Ativar',
    disable: 'Desativar',
    enable: 'Reativar',
    makeAdmin: 'Tornar administrador',
    makeCollaborator: 'Tornar colaborador',
    visibility: 'Visibilidade',
    visibilityHeading: (name: string) => `O que ${name} pode ver`,
    visibilityIntro:
      'Desmarque as categorias e empresas que este colaborador não deve ver. Administradores sempre veem tudo.',
    visibilityCategories: 'Categorias de documentos',
    visibilityCompanies: 'Empresas do grupo',
    visibilitySave: 'Salvar visibilidade',
    visibilityAdmin: 'Administradores veem todos os documentos; não há o que restringir.',
    you: '(você)',
    columns: { name: 'Nome', username: 'Usuário', role: 'Perfil', status: 'Situação', arrival: 'Chegada', actions: 'Ações' },
    cameIn: (origin: string, document: { title: string; competence: string | null } | null): string => {
      if (origin === 'document_link') {
        if (!document) return 'pelo link de um documento'
        const month = document.competence ? m.competence(document.competence) : ''
        const title = month && !document.title.includes(month) ? `${document.title} ${month}` : document.title
        return `pelo link do documento ${title}`
      }
      if (origin === 'login_link') return 'pelo link de acesso da empresa'
      if (origin === 'portal_admin') return 'cadastrado por um administrador'
      return 'cadastrado pelo escritório'
    },
    firstOpened: (when: string) => `primeiro acesso a um documento em ${when}`,
    neverOpened: 'ainda não abriu nenhum documento',
    onlyAdmins: 'Apenas administradores podem gerenciar usuários.',
    done: {
      created: 'Usuário cadastrado e ativo.',
      activated: 'Usuário ativado.',
      disabled: 'Usuário desativado. As sessões dele foram encerradas.',
      enabled: 'Usuário reativado.',
      role: 'Perfil alterado.',
      visibility: 'Visibilidade salva.',
    } as Record<string, string>,
  },

  account: {
    title: 'Minha conta',
    details: 'Seus dados',
    changePassword: 'Alterar senha',
    submit: 'Alterar senha',
    changed: 'Senha alterada. Por segurança, as outras sessões foram encerradas.',
    wrongCurrent: 'A senha atual não confere.',
  },

  reset: {
    title: 'Criar nova senha',
    intro: (username: string) => `Crie uma nova senha para o usuário ${username}.`,
    submit: 'Salvar nova senha',
    goneTitle: 'Link de redefinição expirado',
    gone: 'Este link de redefinição de senha já foi usado ou expirou. Peça um novo ao seu escritório de contabilidade.',
  },

  roles: { admin: 'Administrador', collaborator: 'Colaborador' } as Record<string, string>,
  statuses: { pending: 'Aguardando ativação', active: 'Ativo', disabled: 'Desativado' } as Record<string, string>,
  categories: {
    fiscal: 'Fiscal',
    pessoal: 'Pessoal',
    contabil: 'Contábil',
    societario: 'Societário',
    outros: 'Outros',
  } satisfies Record<Category, string> as Record<string, string>,

  errors: {
    notFoundTitle: 'Página não encontrada',
    notFound: 'Não encontramos o que você procurou. O link pode estar incorreto ou ter sido substituído.',
    goneTitle: 'Link expirado',
    revokedTitle: 'Link revogado',
    gone: 'Este link expirou ou foi revogado pelo escritório. Peça um novo link ao seu escritório de contabilidade.',
    forbiddenTitle: 'Acesso negado',
    forbidden: 'Você não tem permissão para fazer isso.',
    badRequestTitle: 'Dados inválidos',
    badRequest: 'Os dados enviados não são válidos. Volte e confira o formulário.',
    conflictTitle: 'Não foi possível concluir',
    tooLargeTitle: 'Envio grande demais',
    tooLarge: 'Os dados enviados passam do limite permitido. Volte e confira o formulário.',
    throttledTitle: 'Muitas tentativas',
    unavailableTitle: 'Serviço indisponível',
    unavailable:
      'Não foi possível registrar o acesso ou ler os dados agora, por isso nada foi exibido. Tente de novo em instantes.',
    serverTitle: 'Erro inesperado',
    server: 'Ocorreu um erro inesperado. Tente de novo; se persistir, avise o seu escritório de contabilidade.',
    csrfTitle: 'Envio recusado',
    csrf: 'O formulário foi enviado de outro site e foi recusado por segurança. Abra a página novamente e envie por ela.',
    home: 'Ir para o início',
    required: (field: string) => `Preencha o campo ${field}.`,
    tooLong: (field: string, max: number) => `O campo ${field} aceita no máximo ${max} caracteres.`,
    passwordShort: 'A senha é curta demais: use pelo menos 8 caracteres.',
    passwordLong:
      'A senha é longa demais: use no máximo 72 bytes (letras acentuadas contam como 2). Ela não será cortada.',
  },

  dateTime: (iso: string) =>
    new Intl.DateTimeFormat('pt-BR', {
      timeZone: 'America/Sao_Paulo',
      dateStyle: 'short',
      timeStyle: 'short',
    }).format(new Date(iso)),
  date: (isoDate: string) => {
    const [y, mo, d] = isoDate.split('-')
    return d ? `${d}/${mo}/${y}` : isoDate
  },
  competence: (value: string) => {
    const [y, mo] = value.split('-')
    return mo ? `${mo}/${y}` : value
  },
}

// Core speaks English to accountants at the terminal; the portal shows people pt-BR. Refusals a
// client user can meet carry a stable `reason` from core; anything else falls back to a general
// sentence of its class.
const REASONS: Record<RefusalReason, string> = {
  username_taken: 'Este nome de usuário já está em uso. Escolha outro.',
  link_revoked: 'Este link foi revogado pelo escritório. Peça um novo link ao seu escritório de contabilidade.',
  link_expired: 'Este link expirou. Peça um novo link ao seu escritório de contabilidade.',
  control_character: 'O texto contém um caractere de controle invisível. Digite-o novamente, sem colar.',
  username_invalid:
    'Usuário inválido: use de 3 a 64 caracteres (letras, números, ponto, hífen, sublinhado ou @), sem espaços.',
  name_invalid: 'Nome inválido: use de 1 a 200 caracteres.',
  email_invalid: 'E-mail inválido: use algo como nome@empresa.com.br.',
  password_too_short: m.errors.passwordShort,
  password_too_long: m.errors.passwordLong,
  wrong_current_password: m.account.wrongCurrent,
  admin_required: 'Apenas administradores ativos da empresa podem fazer isso.',
  last_admin:
    'A empresa precisa manter pelo menos um administrador ativo: promova outro usuário antes.',
  first_user_must_be_admin: 'O primeiro usuário da empresa precisa ser um administrador ativo.',
  user_is_disabled: `Este usuário está desativado: use "${m.users.enable}" para liberar o acesso de novo.`,
  user_is_pending: `Este usuário ainda aguarda ativação: use "${m.users.activate}".`,
  visibility_of_admin: 'Administradores sempre veem tudo; a visibilidade vale só para colaboradores.',
  company_outside_area: 'Esta empresa não faz parte da Área do Cliente deste usuário.',
}

/** A refusal the portal itself makes, already written in pt-BR for the person. */
export class FormError extends ValidationError {}

/** The pt-BR sentence for a refusal from core. */
export function translateError(error: unknown): string {
  if (error instanceof FormError) return error.message
  if (error instanceof ConfiError && error.reason) return REASONS[error.reason]
  if (error instanceof ValidationError) return m.errors.badRequest
  if (error instanceof ForbiddenError) return m.errors.forbidden
  if (error instanceof NotFoundError) return m.errors.notFound
  if (error instanceof ConflictError) return 'Não foi possível concluir: a situação mudou. Recarregue a página.'
  return m.errors.server
}

/** "Aguarde 2 minutos" style wait text for a Retry-After. */
export function waitText(seconds: number): string {
  if (seconds < 60) return `Muitas tentativas. Aguarde ${seconds} segundo${seconds === 1 ? '' : 's'} e tente de novo.`
  const minutes = Math.ceil(seconds / 60)
  return `Muitas tentativas. Aguarde ${minutes} minuto${minutes === 1 ? '' : 's'} e tente de novo.`
}
