import type { Category } from '../core/categories.js'
import { areaMessages } from './area-messages.js'
import { requestMessages } from './request-messages.js'
import { termsMessages } from './terms-messages.js'

// Every user-facing string of the portal, in Brazilian Portuguese, with the words of the CONFI
// help article (Área do Cliente, Usuários), worded so that no sentence assumes the reader's or
// another person's gender: the roles are "Administração" and "Colaboração", people "administram".

// Making a formatter costs far more than using one (a page shows up to 100 times): made once.
let dateTimeFormatter: Intl.DateTimeFormat | undefined
function dateTimeFormat(): Intl.DateTimeFormat {
  dateTimeFormatter ??= new Intl.DateTimeFormat('pt-BR', { timeZone: 'America/Sao_Paulo', dateStyle: 'short', timeStyle: 'short' })
  return dateTimeFormatter
}

export const m = {
  appName: 'Área do Cliente',
  lang: 'pt-BR',
  skipToContent: 'Ir para o conteúdo',

  nav: {
    documents: 'Documentos',
    // "Enviar ao escritório"; on a phone the menu says "Enviar" (views/layout.tsx).
    send: 'Enviar',
    sendMore: ' ao escritório',
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
    passwordHint: 'De 8 a 72 caracteres.',
    passwordConfirm: 'Repita a senha',
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
    failed: 'Usuário ou senha incorretos. Confira e tente de novo.',
    // Says nothing about the password: a throttled attempt never tested it.
    throttled: (seconds: number) =>
      `Por segurança, novas tentativas de entrar estão pausadas por alguns instantes. ${waitFor(seconds)}`,
    disabledTitle: 'Conta desativada',
    disabled:
      'A senha está correta, mas esta conta foi desativada por quem administra a Área do Cliente da sua empresa e não pode entrar.',
    pendingTitle: 'Conta aguardando ativação',
    pending:
      'Sua conta foi criada, mas ainda não foi ativada. Quem administra a Área do Cliente da sua empresa precisa ativá-la no menu Usuários antes que você possa entrar.',
    loggedOut: 'Você saiu da Área do Cliente.',
    sessionEnded: 'Sua sessão terminou. Entre novamente.',
    sessionEndedBecause: {
      user_changed:
        'Sua sessão terminou porque sua conta foi alterada (por exemplo, o perfil, a situação ou a verificação em duas etapas). Entre novamente.',
      password_changed: 'Sua sessão terminou porque a senha da conta foi alterada. Entre com a nova senha.',
      expired: 'Sua sessão terminou porque ficou muito tempo sem uso ou chegou ao limite de duração. Entre novamente.',
    },
    activated: 'Sua conta foi ativada. Entre novamente.',
    passwordReset: 'Senha alterada. Entre com a nova senha.',
    forgot:
      'Esqueceu a senha? Peça ao seu escritório de contabilidade um link para criar uma nova.',
  },

  // The client's login link (./area-messages.ts).
  area: areaMessages,

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
    // The pager names where it leads in the list's own order.
    next: (sort: string) => (sort === 'due' ? 'Próximos da lista →' : 'Documentos mais antigos →'),
    first: (sort: string) => (sort === 'due' ? '← Início da lista' : '← Mais recentes'),
    filterToggle: 'Filtrar',
    columns: { title: 'Documento', company: 'Empresa', category: 'Categoria', competence: 'Competência', due: 'Vencimento', amount: 'Valor', date: 'Enviado em' },
    files: 'Arquivos',
    download: 'Baixar',
    noFiles: 'Este documento não tem arquivos.',
    back: '← Voltar aos documentos',
    competence: 'Competência',
    due: 'Vencimento',
    amount: 'Valor',
    sentAt: 'Enviado em',
    company: 'Empresa',
    category: 'Categoria',
    badCompetence: 'A competência deve estar no formato MM/AAAA, por exemplo 03/2026.',
    competenceHint: 'Mês e ano, por exemplo 03/2026.',
    badCursor: 'Endereço de página inválido. Volte à primeira página.',
  },

  // Issue 10: search and sort, "Novo", "A vencer", who opened a document, ZIP downloads.
  search: {
    label: 'Buscar pelo título',
    placeholder: 'Ex.: DAS, férias, balancete',
    sortLabel: 'Ordenar por',
    sorts: { newest: 'Mais recentes', due: 'Vencimento' } as Record<string, string>,
    badSearch: 'A busca aceita no máximo 100 caracteres.',
    newMark: 'Novo',
    newMarkHint: 'Você ainda não abriu este documento',
    newSince: (n: number) =>
      n === 1 ? '1 documento novo desde sua última visita.' : `${n} documentos novos desde sua última visita.`,
  },

  dueSoon: {
    heading: 'A vencer',
    intro:
      'Documentos com vencimento nos próximos 7 dias ou vencidos que ninguém da empresa baixou ainda nem marcou como pagos.',
    empty: 'Nada a vencer nos próximos 7 dias. Tudo em dia.',
    seeAll: 'Ver todos por vencimento',
    days: (daysLeft: number) => {
      if (daysLeft < -1) return `Vencido há ${-daysLeft} dias`
      if (daysLeft === -1) return 'Vencido há 1 dia'
      if (daysLeft === 0) return 'Vence hoje'
      if (daysLeft === 1) return 'Vence amanhã'
      return `Vence em ${daysLeft} dias`
    },
  },

  // Issue 20: what the firm asks the client for, and the answers (./request-messages.ts).
  requests: requestMessages,
  // Issue 21 part 4: the firm's terms and each user's acceptance (./terms-messages.ts).
  terms: termsMessages,
  // Issue 20 part 7: a guide marked paid (docs/rules.md#guides-marked-paid).
  payment: {
    heading: 'Pagamento',
    protocol: 'Baixar protocolo',
    protocolHint: '(PDF assinado pelo escritório: sua prova de que informou o pagamento)',
    intro: 'Já pagou esta guia? Marque como paga para ela sair de "A vencer" e os lembretes pararem.',
    paidOn: 'Data do pagamento',
    paidOnHint: 'DD/MM/AAAA',
    mark: 'Marcar como pago',
    unmark: 'Desmarcar',
    unmarkHint: 'Marcou por engano? Desmarque e a guia volta para "A vencer".',
    paid: (date: string, who: string) => `Pago em ${date} por ${who}.`,
    byFirm: 'seu escritório de contabilidade',
    proof: 'Comprovante do pagamento',
    proofLabel: 'Comprovante do pagamento (opcional)',
    proofHint: (maxMb: number) => `O comprovante do banco: PDF ou foto, até ${maxMb} MB. O escritório recebe junto.`,
    marked: 'Guia marcada como paga.',
    unmarked: 'Marcação de pagamento desfeita.',
    notAGuide: 'Só uma guia com data de vencimento pode ser marcada como paga.',
    dateInvalid: 'Data do pagamento inválida: use DD/MM/AAAA, por exemplo 18/12/2026.',
    dateFuture: 'A data do pagamento não pode ser depois de hoje.',
    dateTooEarly: 'A data do pagamento é anterior ao ano da competência desta guia. Confira a data.',
    alreadyMarked: 'Esta guia já foi marcada como paga. Desmarque antes para mudar a data.',
    notMarked: 'Esta guia não está marcada como paga.',
    proofInvalid: 'O comprovante escolhido não é um envio desta empresa.',
  },

  // Issue 9 §2: two-factor login (docs/rules.md#two-factor-login).
  twoFactor: {
    heading: 'Verificação em duas etapas',
    offIntro:
      'Além da senha, peça um código de 6 dígitos gerado por um aplicativo no seu celular (Google Authenticator, Microsoft Authenticator, Authy ou outro). Assim, quem descobrir sua senha ainda não consegue entrar.',
    onIntro: (left: number) =>
      `A verificação em duas etapas está ativada. Códigos de recuperação ainda não usados: ${left} de 10.`,
    turnOn: 'Ativar verificação em duas etapas',
    turnOff: 'Desativar verificação em duas etapas',
    offHint: 'Para desativar, confirme com sua senha atual ou com um código do aplicativo.',
    required: 'O escritório exige a verificação em duas etapas para sua conta, por isso ela não pode ser desativada.',
    setupTitle: 'Ativar verificação em duas etapas',
    setupRequired:
      'O escritório exige a verificação em duas etapas para entrar na Área do Cliente. Configure-a agora: leva um minuto.',
    steps: [
      'Instale no celular um aplicativo autenticador (Google Authenticator, Microsoft Authenticator, Authy ou outro).',
      'No aplicativo, escaneie o código QR abaixo. Se não conseguir escanear, digite a chave que aparece embaixo dele.',
      'Digite o código de 6 dígitos que o aplicativo mostra.',
    ],
    qrLabel: 'Código QR para o aplicativo autenticador',
    openApp: 'Está no celular? Abrir no aplicativo autenticador',
    secretLabel: 'Chave para digitar no aplicativo',
    codeLabel: 'Código de 6 dígitos',
    confirm: 'Ativar',
    enabled: 'Verificação em duas etapas ativada.',
    codesTitle: 'Guarde seus códigos de recuperação',
    codesIntro:
      'Se perder o celular, entre com um destes códigos no lugar do código do aplicativo. Cada código vale uma vez. Guarde-os em lugar seguro (impressos ou num gerenciador de senhas): eles não serão mostrados de novo.',
    continue: 'Continuar',
    codeTitle: 'Verificação em duas etapas',
    codeIntro: 'Digite o código de 6 dígitos que o aplicativo autenticador do seu celular mostra agora.',
    codeOrRecovery: 'Código do aplicativo (ou de recuperação)',
    recoveryHint:
      'Sem o celular? Digite um dos seus códigos de recuperação. Perdeu também os códigos? Peça ao seu escritório de contabilidade para desativar a verificação em duas etapas da sua conta.',
    submit: 'Verificar',
    expiredTitle: 'Tempo esgotado',
    expired: 'O tempo para concluir a entrada acabou. Entre novamente com seu usuário e senha.',
    loginAgain: 'Entrar novamente',
    disabled: 'Verificação em duas etapas desativada.',
    offPassword: 'Senha atual',
    offCode: 'ou um código do aplicativo',
    offMissing: 'Digite sua senha atual ou um código do aplicativo para desativar.',
    passwordMissing: 'Digite sua senha atual para ativar a verificação em duas etapas.',
  },

  accesses: {
    headingCompany: 'Quem acessou',
    headingOwn: 'Seus acessos',
    introCompany: 'Aberturas e downloads deste documento por pessoas da empresa (horário de Brasília).',
    introOwn: 'Quando você abriu ou baixou este documento (horário de Brasília).',
    empty: 'Nenhum acesso registrado ainda.',
    anonymous: 'Sem login (link)',
    opened: 'Abriu',
    downloaded: (fileName: string | null) => (fileName ? `Baixou ${fileName}` : 'Baixou'),
    more: (shown: number, total: number) => `Mostrando os ${shown} acessos mais recentes de ${total}.`,
    columns: { who: 'Quem', what: 'O quê', when: 'Quando', channel: 'Canal' },
    channels: { portal: 'Área do Cliente', email: 'Link por e-mail', whatsapp: 'Link por WhatsApp', link: 'Link' } as Record<string, string>,
  },

  zip: {
    document: 'Baixar todos (ZIP)',
    list: 'Baixar todos desta lista (ZIP)',
    listHint: 'Até 200 arquivos ou 200 MB por vez.',
    refusedTitle: 'Não foi possível montar o ZIP',
    empty: 'Nenhum documento nesta lista tem arquivos para baixar.',
    tooManyFiles: (files: number, atLeast: boolean) =>
      `Esta lista tem ${atLeast ? 'mais de 200' : files} arquivos, e o ZIP aceita no máximo 200 de uma vez. Use os filtros (empresa, categoria, competência ou busca) para diminuir a lista e tente de novo.`,
    tooLarge: (size: string) =>
      `Os arquivos desta lista somam ${size}, e o ZIP aceita no máximo 200 MB de uma vez. Use os filtros (empresa, categoria, competência ou busca) para diminuir a lista e tente de novo.`,
    back: 'Voltar à lista',
  },

  delivery: {
    loginRequired:
      'Este documento exige login. Entre com sua conta da Área do Cliente ou crie uma conta para acessá-lo.',
    notAllowedTitle: 'Sem acesso a este documento',
    notAllowed:
      'A conta com que você entrou não tem acesso a este documento. Saia e entre com uma conta da empresa destinatária.',
    restricted:
      'Seu acesso a esta categoria foi restrito pela administração da Área do Cliente da sua empresa. Se precisar deste documento, peça a quem administra.',
    pendingNote:
      'Sua conta aguarda ativação pela administração da empresa: por enquanto você pode abrir os documentos enviados por link, mas não a Área do Cliente.',
    previewTitle: 'Documento da Área do Cliente',
    preview: (firm: string) => `${firm} enviou um documento pela Área do Cliente. Abra o link no navegador para vê-lo.`,
    registeredPending:
      'Conta criada. Você já pode abrir este documento; para entrar na Área do Cliente, quem administra a Área do Cliente da sua empresa precisa ativar sua conta.',
  },

  crossSite: {
    title: 'Confirmar download',
    intro: (file: string) => `Você chegou aqui por um link de outro site. Para baixar o arquivo ${file}, use o botão abaixo.`,
    download: 'Baixar o arquivo',
  },

  pending: {
    admins: (names: string[]) =>
      names.length === 1
        ? `Quem pode ativar sua conta: ${names[0]}, que administra a Área do Cliente da sua empresa.`
        : `Quem pode ativar sua conta: ${names.slice(0, -1).join(', ')} ou ${names.at(-1)}, que administram a Área do Cliente da sua empresa.`,
    reactivators: (names: string[]) =>
      names.length === 1
        ? `Quem pode reativar sua conta: ${names[0]}, que administra a Área do Cliente da sua empresa.`
        : `Quem pode reativar sua conta: ${names.slice(0, -1).join(', ')} ou ${names.at(-1)}, que administram a Área do Cliente da sua empresa.`,
    noAdmins: 'Ninguém administra ainda a Área do Cliente da sua empresa: fale com o seu escritório de contabilidade.',
    firmContact: (firm: string) => `Fale com o escritório ${firm}:`,
    phone: (number: string) => `Ligar: ${number}`,
    whatsApp: 'Conversar pelo WhatsApp',
    email: (address: string) => `E-mail: ${address}`,
    documentTitle: 'Documento disponível após a ativação',
    document:
      'Este documento é da categoria Pessoal e só pode ser aberto depois que quem administra a Área do Cliente da sua empresa ativar sua conta.',
  },

  users: {
    title: 'Usuários',
    twoFactor: (on: boolean) => (on ? 'Verificação em duas etapas ativa' : 'Verificação em duas etapas desativada'),
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
    makeAdmin: 'Dar perfil Administração',
    makeCollaborator: 'Dar perfil Colaboração',
    disableTitle: (name: string) => `Desativar o acesso de ${name}?`,
    disableText: (name: string, username: string) =>
      `${name} (${username}) não poderá mais entrar na Área do Cliente, e as sessões abertas desta conta serão encerradas. Você pode reativar o acesso depois, na lista de usuários.`,
    disableConfirm: 'Sim, desativar',
    cancel: 'Cancelar',
    visibility: 'Visibilidade',
    visibilityHeading: (name: string) => `O que ${name} pode ver`,
    visibilityIntro:
      'Desmarque as categorias e empresas que esta pessoa não deve ver. O perfil Administração sempre vê tudo.',
    visibilityCategories: 'Categorias de documentos',
    visibilityCompanies: 'Empresas do grupo',
    visibilitySave: 'Salvar visibilidade',
    visibilityAdmin: 'O perfil Administração vê todos os documentos; não há o que restringir.',
    you: '(você)',
    columns: { name: 'Nome', username: 'Usuário', role: 'Perfil', status: 'Situação', arrival: 'Como entrou', actions: 'Ações' },
    cameIn: (origin: string, document: { title: string; competence: string | null } | null): string => {
      if (origin === 'document_link') {
        if (!document) return 'pelo link de um documento'
        const month = document.competence ? m.competence(document.competence) : ''
        const title = month && !document.title.includes(month) ? `${document.title} ${month}` : document.title
        return `pelo link do documento ${title}`
      }
      if (origin === 'login_link') return 'pelo link de acesso da empresa'
      if (origin === 'portal_admin') return 'cadastro feito pela administração da empresa'
      return 'cadastro feito pelo escritório'
    },
    firstOpened: (when: string) => `primeiro acesso a um documento em ${when}`,
    neverOpened: 'ainda não abriu nenhum documento',
    onlyAdmins: 'Apenas quem tem o perfil Administração pode gerenciar usuários.',
    done: {
      created: 'Cadastro feito; a conta já está ativa.',
      activated: 'Conta ativada.',
      disabled: 'Acesso desativado. As sessões desta conta foram encerradas.',
      enabled: 'Acesso reativado.',
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
    myData: 'Meus dados',
    myDataIntro:
      'Baixe uma cópia de tudo o que o escritório guarda sobre você nesta área: sua conta, seus acessos (com data, endereço IP e navegador), seus envios e os e-mails enviados a você. O arquivo ZIP traz um resumo para ler e os dados completos. O escritório é avisado do pedido.',
    myDataSubmit: 'Baixar meus dados',
  },

  reset: {
    title: 'Criar nova senha',
    intro: (username: string) => `Crie uma nova senha para o usuário ${username}.`,
    submit: 'Salvar nova senha',
    goneTitle: 'Link de redefinição expirado',
    gone: 'Este link de redefinição de senha já foi usado ou expirou. Peça um novo ao seu escritório de contabilidade.',
  },

  roles: { admin: 'Administração', collaborator: 'Colaboração' } as Record<string, string>,
  statuses: { pending: 'Aguardando ativação', active: 'Ativo', disabled: 'Desativado' } as Record<string, string>,
  categories: {
    fiscal: 'Fiscal',
    pessoal: 'Pessoal',
    contabil: 'Contábil',
    societario: 'Societário',
    outros: 'Outros',
  } satisfies Record<Category, string> as Record<string, string>,

  checkpoints: {
    badSize: (name: string) =>
      `O parâmetro '${name}' deve ser um número inteiro a partir de 1: o tamanho (número de registros) de uma árvore do registro de acessos.`,
    fromAfterTo: (from: number, to: number) =>
      `O parâmetro 'from' (${from}) não pode ser maior que 'to' (${to}): o registro de acessos só cresce.`,
    beyond: (size: number) => `O registro de acessos ainda não tem ${size} registros: não há árvore desse tamanho.`,
    none: 'O escritório ainda não assinou nenhum ponto de verificação (checkpoint) do registro de acessos.',
    conflict:
      'Os registros não conferem com o ponto de verificação assinado pelo escritório, por isso nenhuma prova foi emitida. O escritório precisa verificar o registro de acessos.',
  },

  errors: {
    notFoundTitle: 'Página não encontrada',
    notFound: 'Não encontramos o que você procurou. O link pode estar incorreto ou ter sido substituído.',
    methodTitle: 'Pedido não aceito neste endereço',
    method: 'Este endereço não se abre assim: volte à página anterior e use os botões e formulários dela.',
    goneTitle: 'Link expirado',
    revokedTitle: 'Link revogado',
    expiredTitle: 'Documento removido',
    gone: 'Este link expirou ou foi revogado pelo escritório. Peça um novo link ao seu escritório de contabilidade.',
    forbiddenTitle: 'Acesso negado',
    forbidden: 'Você não tem permissão para fazer isso.',
    badRequestTitle: 'Dados inválidos',
    badRequest: 'Os dados enviados não são válidos. Volte e confira o formulário.',
    conflictTitle: 'Não foi possível concluir',
    conflict: 'Não foi possível concluir: a situação mudou. Recarregue a página.',
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
    summaryTitle: 'Corrija o que está indicado abaixo:',
    waitTitle: 'Muitas tentativas: aguarde para tentar de novo',
    titlePrefix: 'Erro: ',
    required: (field: string) => `Preencha o campo ${field}.`,
    tooLong: (field: string, max: number) => `O campo ${field} aceita no máximo ${max} caracteres.`,
    passwordShort: 'A senha é curta demais: use pelo menos 8 caracteres.',
    passwordLong: (over: number) =>
      `A senha é longa demais: apague ${over === 1 ? '1 caractere' : `${over} caracteres`} e tente de novo. Ela nunca é cortada sem aviso.`,
  },

  dateTime: (iso: string) => dateTimeFormat().format(new Date(iso)),
  date: (isoDate: string) => {
    const [y, mo, d] = isoDate.split('-')
    return d ? `${d}/${mo}/${y}` : isoDate
  },
  competence: (value: string) => {
    const [y, mo] = value.split('-')
    return mo ? `${mo}/${y}` : value
  },
}

/** "Aguarde 2 minutos e tente de novo." for a Retry-After. */
function waitFor(seconds: number): string {
  if (seconds < 60) return `Aguarde ${seconds} segundo${seconds === 1 ? '' : 's'} e tente de novo.`
  const minutes = Math.ceil(seconds / 60)
  return `Aguarde ${minutes} minuto${minutes === 1 ? '' : 's'} e tente de novo.`
}

/** "Muitas tentativas. Aguarde 2 minutos" style wait text for a Retry-After. */
export function waitText(seconds: number): string {
  return `Muitas tentativas. ${waitFor(seconds)}`
}
