'use strict'
// One client run for the interop tests, with MQTT.js.
//
// Run by interop_test.go as node mqttjs_client.js CONFIG (with NODE_PATH
// naming where the mqtt module is installed), where CONFIG is a JSON
// object: mode ("exchange", "publish" or "connect"), url (mqtts://host:port or
// wss://host:port/path), version ("3.1.1" or "5"), cafile, username,
// password, client_id, topic, payload and timeout (seconds).
//
// exchange: a subscriber connects and subscribes to topic with QoS 1; once
// the SUBACK grants it, a second client publishes payload there with QoS 1.
// The message the subscriber receives is printed as one JSON line:
// {"topic": ..., "payload": ..., "qos": ...}.
//
// publish: one client publishes payload to topic with QoS 1 and prints
// {"published": true} once the PUBACK arrives.
//
// connect: one client connects and reports what the server answered, as
// {"connack": code} (0 when accepted), or {"closed": true} when the
// connection ended without a CONNACK.
//
// Any failure is printed on standard error and exits with status 1.

const fs = require('fs')
const mqtt = require('mqtt')

const cfg = JSON.parse(process.argv[2])
const clients = []
let finished = false

function fail (msg) {
  // Once the result is out, only the clients' ends are left: the broker
  // closes the network connection after DISCONNECT (over WebSocket
  // without waiting for the client's close frame), which MQTT.js may
  // report as ECONNRESET. That does not undo the result.
  if (finished) return
  process.stderr.write(msg + '\n')
  process.exit(1)
}

function done (result) {
  if (finished) return
  finished = true
  process.stdout.write(JSON.stringify(result) + '\n')
  let open = clients.length
  if (open === 0) process.exit(0)
  for (const c of clients) {
    c.end(false, {}, () => { if (--open === 0) process.exit(0) })
  }
}

setTimeout(() => fail('no result within ' + cfg.timeout + 's'), cfg.timeout * 1000).unref()

function connect (clientId) {
  const c = mqtt.connect(cfg.url, {
    // The server certificate is verified against the CA, host name included.
    ca: fs.readFileSync(cfg.cafile),
    rejectUnauthorized: true,
    username: cfg.username,
    password: cfg.password,
    clientId,
    clean: true,
    protocolVersion: cfg.version === '5' ? 5 : 4,
    reconnectPeriod: 0,
    connectTimeout: cfg.timeout * 1000
  })
  clients.push(c)
  return c
}

function exchange () {
  const sub = connect(cfg.client_id + '-sub')
  sub.on('error', (err) => fail('subscriber: ' + err.message + ' (code ' + err.code + ')'))
  sub.on('message', (topic, payload, packet) => {
    done({ topic, payload: payload.toString('utf8'), qos: packet.qos })
  })
  sub.once('connect', () => {
    sub.subscribe(cfg.topic, { qos: 1 }, (err, granted) => {
      if (err) fail('subscribe: ' + err.message)
      if (granted.length !== 1 || granted[0].qos !== 1) fail('subscribe: granted ' + JSON.stringify(granted) + ', want QoS 1')
      const pub = connect(cfg.client_id + '-pub')
      pub.on('error', (err) => fail('publisher: ' + err.message + ' (code ' + err.code + ')'))
      pub.once('connect', () => {
        pub.publish(cfg.topic, cfg.payload, { qos: 1 }, (err) => {
          if (err) fail('publish: ' + err.message)
        })
      })
    })
  })
}

function publishOnly () {
  const pub = connect(cfg.client_id)
  pub.on('error', (err) => fail('publisher: ' + err.message + ' (code ' + err.code + ')'))
  pub.once('connect', () => {
    pub.publish(cfg.topic, cfg.payload, { qos: 1 }, (err) => {
      if (err) fail('publish: ' + err.message)
      done({ published: true })
    })
  })
}

function connectOnly () {
  const c = connect(cfg.client_id)
  c.once('connect', () => done({ connack: 0 }))
  c.once('error', (err) => {
    if (typeof err.code !== 'number') fail('connect: ' + err.message + ' (code ' + err.code + ')')
    done({ connack: err.code })
  })
  c.once('close', () => setImmediate(() => done({ closed: true })))
}

if (cfg.mode === 'exchange') {
  exchange()
} else if (cfg.mode === 'publish') {
  publishOnly()
} else if (cfg.mode === 'connect') {
  connectOnly()
} else {
  fail('unknown mode ' + cfg.mode)
}
