// The baseline of bench/download.mjs, in its own process as the issue checks it: a bare Hono
// route on the same @hono/node-server stack answering each GET with readFile of one file; no
// session, no check, no log. Prints its URL, then serves until killed.
import { readFile } from 'node:fs/promises'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'

const file = process.argv[2]
const app = new Hono()
app.get('/read', async () => new Response(await readFile(file), { headers: { 'content-type': 'application/pdf' } }))
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  console.log(`bare at http://127.0.0.1:${server.address().port}/read`)
})
