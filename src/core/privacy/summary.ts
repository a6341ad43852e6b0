import { esc } from '../mail/messages.js'
import { FIRM_TIME_ZONE, localTime } from '../time.js'
import { LOG_PLACE, type Person } from './footprint.js'
import type { PlaceFootprint } from './person.js'

// resumo.html of a privacy export: what the firm holds on the person, for the person, in pt-BR.
// Self-contained (no script, no external style or font), every stored value escaped; the rows
// themselves are in dados.json beside it.

const KEYS: Record<Person['key'], string> = { user: 'usuário', email: 'e-mail', cpf: 'CPF' }

export function summaryHtml(input: {
  person: Person
  firmName: string
  generatedAt: string
  found: PlaceFootprint[]
  account: Record<string, unknown>[]
}): string {
  const { person, firmName, generatedAt, found, account } = input
  const when = (iso: string | null) => (iso ? esc(localTime(iso, FIRM_TIME_ZONE)) : '—')
  const places = found
    .filter((f) => f.rows > 0)
    .map((f) => `<tr><td>${esc(f.label)}</td><td class="n">${f.rows.toLocaleString('pt-BR')}</td><td>${when(f.first)}</td><td>${when(f.last)}</td></tr>`)
    .join('\n')
  const accounts = account
    .map((a) => `<li><strong>${esc(String(a.name ?? ''))}</strong> — usuário ${esc(String(a.username ?? ''))}, e-mail ${esc(String(a.email ?? 'não informado'))}, ${a.role === 'admin' ? 'administrador' : 'colaborador'}, conta criada em ${when(String(a.created_at ?? '') || null)}</li>`)
    .join('\n')
  const log = found.find((f) => f.name === LOG_PLACE.name)
  const format1 = log?.format1 ?? 0
  return `<!doctype html>
<html lang="pt-BR">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Seus dados em ${esc(firmName)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:48rem;margin:1rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}
.n{text-align:right}code{word-break:break-all}
</style>
</head>
<body>
<h1>Seus dados em ${esc(firmName)}</h1>
<p>Resposta a um pedido de acesso a dados pessoais (Lei 13.709/2018, art. 18), pelo ${KEYS[person.key]} <strong>${esc(person.value)}</strong>, gerada em ${when(generatedAt)} (horário de Brasília).</p>
${accounts ? `<h2>Conta de acesso</h2>\n<ul>\n${accounts}\n</ul>` : '<p>Nenhuma conta de acesso com esse dado.</p>'}
<h2>Onde seus dados aparecem</h2>
${places ? `<table>\n<thead><tr><th>Onde</th><th class="n">Registros</th><th>Primeiro</th><th>Último</th></tr></thead>\n<tbody>\n${places}\n</tbody>\n</table>` : '<p>Nenhum registro com esse dado.</p>'}
<h2>Como conferir o registro de acessos</h2>
<p>Cada acesso e cada ação ficam num registro encadeado que ninguém pode alterar sem que se perceba. Nos registros mais novos, o seu endereço IP, o navegador e o seu nome não ficam no próprio registro: ele guarda um compromisso, o SHA-256 de um valor aleatório (o “sal”) seguido do dado. O arquivo <code>dados.json</code> traz, para cada registro, o dado, o sal e o compromisso, para que qualquer pessoa confira que um corresponde ao outro.${format1 > 0 ? ` ${format1.toLocaleString('pt-BR')} registro(s) são do formato antigo (1), que guarda os dados no próprio registro.` : ''}</p>
<p>O arquivo <code>dados.json</code> tem todos os registros listados acima, com datas e identificadores. Senhas, códigos e chaves de acesso nunca são exportados: o escritório guarda apenas resumos deles que não permitem recuperá-los.</p>
</body>
</html>
`
}
