'use strict'
/**
 * autocannon over a mix of requests, in a process of its own: `node autocannon-mix.cjs config.json`
 * prints autocannon's JSON result like the CLI's `-j`. Unlike the CLI's HAR input (where every
 * connection starts at the first request and they go round in step), the requests are handed
 * out from one counter: concurrent connections never send the same request at once, and the
 * mix is gone through in order.
 */
const fs = require('node:fs')
const autocannon = require('autocannon')

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
let next = 0

const options = {
  url: config.url,
  connections: config.connections,
  duration: config.duration,
  headers: config.headers,
  requests: [{
    setupRequest (request) {
      const r = config.requests[next++ % config.requests.length]
      const out = { ...request, method: r.method || 'GET', path: r.path }
      if (r.body !== undefined) {
        out.body = JSON.stringify(r.body)
        out.headers = { ...request.headers, 'content-type': 'application/json' }
      }
      return out
    }
  }]
}
if (config.amount !== undefined) options.amount = config.amount

// autocannon ends a run at its next 1-second sample tick, and its `duration` counts to that tick:
// a run of a fixed amount of requests is timed here, from the start to the last response.
let started = 0
let lastResponse = 0
const instance = autocannon(options, (err, result) => {
  if (err) {
    process.stderr.write(String(err && err.stack || err) + '\n')
    process.exit(1)
  }
  if (config.amount !== undefined && lastResponse > started) result.elapsedMs = lastResponse - started
  process.stdout.write(JSON.stringify(result) + '\n')
})
instance.on('start', () => { started = performance.now() })
instance.on('response', () => { lastResponse = performance.now() })
