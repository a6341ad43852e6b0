// The client area's words about what the firm asks for ("Pendências") and the client's answers
// (issue 20, docs/requests.md), in pt-BR: `m.requests` in ./messages.ts. Kept apart so that
// messages.ts stays one screen of ideas per section and under the size limit.
export const requestMessages = {
  heading: 'Pendências',
  intro: 'O que o escritório pediu à sua empresa, o mais urgente primeiro.',
  days: (daysLeft: number) => {
    if (daysLeft < -1) return `Atrasado há ${-daysLeft} dias`
    if (daysLeft === -1) return 'Atrasado há 1 dia'
    if (daysLeft === 0) return 'Prazo: hoje'
    if (daysLeft === 1) return 'Prazo: amanhã'
    return `Prazo: em ${daysLeft} dias`
  },
  /** Beside the due date on the request page, where "Prazo" is already the label. */
  when: (daysLeft: number) => {
    if (daysLeft < -1) return `atrasado há ${-daysLeft} dias`
    if (daysLeft === -1) return 'atrasado há 1 dia'
    if (daysLeft === 0) return 'hoje'
    if (daysLeft === 1) return 'amanhã'
    return `em ${daysLeft} dias`
  },
  rejected: 'O escritório pediu um novo envio',
  reason: (reason: string) => `Motivo: ${reason}`,
  back: 'Voltar ao início',
  details: 'Pedido do escritório',
  title: 'Pedido',
  note: 'Observação',
  due: 'Prazo',
  status: 'Situação',
  statuses: {
    open: 'Aguardando envio',
    received: 'Enviado; aguardando o escritório',
    accepted: 'Recebido pelo escritório',
    nothing_to_send: 'Informado: nada a enviar',
    cancelled: 'Cancelado pelo escritório',
  } as Record<string, string>,
  history: 'Histórico',
  events: {
    created: 'Pedido feito pelo escritório',
    received: 'Arquivos enviados',
    accepted: 'Recebido e aceito pelo escritório',
    rejected: 'O escritório pediu um novo envio',
    nothing_to_send: 'Informado: nada a enviar neste mês',
    reopened: 'Pedido reaberto pelo escritório',
    cancelled: 'Pedido cancelado pelo escritório',
    closed: 'Pedido encerrado pelo escritório',
  } as Record<string, string>,
  by: (name: string) => `por ${name}`,
  sendHeading: 'Enviar arquivos',
  // The types and limits are said under the file field's label (views/uploads.tsx FileFields).
  sendIntro: 'Envie de uma vez todos os arquivos pedidos. No celular, você pode tirar uma foto.',
  sendSubmit: 'Enviar ao escritório',
  nothingHeading: 'Nada a enviar neste mês?',
  nothingIntro: 'Se a empresa não tem nada deste tipo no período, avise o escritório por aqui.',
  nothingNote: 'Observação (opcional)',
  nothingNoteHint: 'Por exemplo: não houve compras no mês.',
  nothingSubmit: 'Nada a enviar neste mês',
  nothingDone: 'Pronto: o escritório foi avisado de que não há nada a enviar.',
  protocol: 'Baixar protocolo',
  protocolHint: '(PDF assinado pelo escritório: sua prova de que avisou que não havia nada a enviar)',
  closedNote: 'Este pedido não espera mais resposta.',
}
