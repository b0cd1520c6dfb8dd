// The demo payment service: Node.js with no mesh code and no dependencies.
// One process serves several instances, each on its own loopback port
// (behind its own portico-mesh sidecar), and a control port that makes an
// instance fail and reports what each instance received.
//
// Environment: INSTANCES="payment-v1-a=18101:v1,payment-v2-a=18103:v2",
// CONTROL_PORT.
'use strict';
const http = require('node:http');

const instances = (process.env.INSTANCES || '').split(',').filter(Boolean).map((spec) => {
  const [id, rest] = spec.split('=');
  const [port, version] = rest.split(':');
  return { id, port: Number(port), version, failing: false, requests: 0 };
});

for (const inst of instances) {
  http.createServer((req, res) => {
    let size = 0;
    req.on('data', (chunk) => { size += chunk.length; });
    req.on('end', () => {
      inst.requests++;
      if (inst.failing) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: inst.id + ' is failing' }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({
        instance: inst.id, version: inst.version, method: req.method, path: req.url, bytes: size,
        caller: req.headers['x-portico-caller'] || null, trace: req.headers['x-amzn-trace-id'] || null,
      }));
    });
  }).listen(inst.port, '127.0.0.1');
}

http.createServer((req, res) => {
  const url = new URL(req.url, 'http://control');
  if (req.method === 'POST' && url.pathname === '/fail') {
    const inst = instances.find((i) => i.id === url.searchParams.get('instance'));
    if (!inst) { res.writeHead(404); res.end(); return; }
    inst.failing = url.searchParams.get('on') === '1';
    res.writeHead(204); res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(Object.fromEntries(instances.map((i) => [i.id, i.requests]))));
}).listen(Number(process.env.CONTROL_PORT), '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'payment service listening', instances: instances.map((i) => i.id) }));
});
