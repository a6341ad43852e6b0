// `npm start`: the portal on a fresh clone in one step. Creates ./confi.db (or CONFI_DB) when it
// is missing, fills it with demo data on the first run, then serves on PORT (default 3000) and
// prints the URL, the login links and the demo credentials. Plain JavaScript over dist/.
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { userInfo } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const mainPath = join(root, 'dist', 'cli', 'main.js')

if (!existsSync(mainPath)) {
  console.log('confi: compiling (npm run build)...')
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) process.exit(build.status ?? 1)
}

const { run } = await import(mainPath)

function capture() {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString()
      done()
    },
  })
  return { stream, text: () => text }
}

function deps(stdout = process.stdout, stderr = process.stderr) {
  let actor = 'start'
  try {
    actor = `cli:${userInfo().username}`
  } catch {}
  return { env: process.env, cwd: process.cwd(), stdin: process.stdin, stdout, stderr, actor }
}

async function quiet(args) {
  const out = capture()
  const err = capture()
  const code = await run(args, deps(out.stream, err.stream))
  return { code, stdout: out.text(), stderr: err.text() }
}

const dbPath = resolve(process.env.CONFI_DB ?? 'confi.db')
const port = process.env.PORT ?? '3000'
const host = process.env.HOST ?? '127.0.0.1'

if (!existsSync(dbPath) && !process.env.DATABASE_URL) {
  const init = await quiet(['init', '--firm-name', 'Contabilidade Exemplo', '--base-url', `http://localhost:${port}`])
  if (init.code !== 0) {
    process.stderr.write(init.stderr)
    process.exit(init.code)
  }
  console.log(`confi: created ${dbPath}`)
}

const demo = await quiet(['demo'])
if (demo.code === 0) {
  process.stdout.write(`\n${demo.stdout}\n`)
} else if (/already has clients/.test(demo.stderr)) {
  // Not the first run: show the login links again (they are derived, never stored).
  const list = await quiet(['clients', 'list', '--json'])
  const clients = list.code === 0 ? JSON.parse(list.stdout) : []
  console.log('\nLogin links (Área do Cliente):')
  for (const client of clients) {
    const link = await quiet(['clients', 'link', String(client.id)])
    console.log(`  ${client.name}: ${link.stdout.trim()}`)
  }
  console.log(`Demo users, if this database came from 'npm start': password demo-confi-2026\n`)
} else {
  process.stderr.write(demo.stderr)
  process.exit(demo.code)
}

process.exitCode = await run(['serve', '--port', port, '--host', host], deps())
