// The baseline of bench/upload.mjs, in its own process: a bare Hono route on the same
// @hono/node-server stack that streams the request's body to a new file and fsyncs it; no
// session, no parsing, no database. Prints its URL, then serves until killed.
import { createWriteStream } from 'node:fs'
import { open, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'

const dir = process.argv[2]
let n = 0
const app = new Hono()
app.post('/upload', async (c) => {
  const path = join(dir, `bare-${process.pid}-${++n}`)
  const incoming = process.env.BARE_WEB ? null : c.env?.incoming
  const body = incoming instanceof Readable && !incoming.readableDidRead ? incoming : Readable.fromWeb(c.req.raw.body)
  await pipeline(body, createWriteStream(path))
  const handle = await open(path, 'r')
  await handle.sync()
  await handle.close()
  await unlink(path)
  return c.text('ok')
})
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  console.log(`bare at http://127.0.0.1:${server.address().port}/upload`)
})
