#!/usr/bin/env node
// A fake VecPipe for tests: GET /memory/models answers what the test set
// with POST /_admin/mode {"mode": "ok"|"fail"|"hang"|"garbage"|"shape",
// "models": [...]}.  Prints "fakevecpipe listening on http://HOST:PORT".
'use strict';
const http = require('node:http');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
	const i = args.indexOf(name);
	return i >= 0 ? args[i + 1] : dflt;
};
const host = opt('--host', '127.0.0.1');
const port = Number(opt('--port', '0'));

let mode = 'ok';
let models = [];
const hung = new Set();

function readBody(req) {
	return new Promise((resolve) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => resolve(Buffer.concat(chunks).toString()));
	});
}

const server = http.createServer(async (req, res) => {
	if (req.method === 'POST' && req.url === '/_admin/mode') {
		const cfg = JSON.parse(await readBody(req) || '{}');
		mode = cfg.mode || 'ok';
		models = cfg.models || [];
		res.writeHead(204).end();
		return;
	}
	if (req.method !== 'GET' || req.url !== '/memory/models') {
		res.writeHead(404, { 'Content-Type': 'application/json' });
		res.end('{"detail":"Not Found"}');
		return;
	}
	switch (mode) {
	case 'fail':
		res.writeHead(503, { 'Content-Type': 'application/json' });
		res.end('{"detail":"GPU busy"}');
		break;
	case 'hang':
		hung.add(res);	// never answered; dropped at exit
		break;
	case 'garbage':
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end('<html>not json</html>');
		break;
	case 'shape':
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end('{"models": []}');
		break;
	default:
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify(models));
	}
});

server.listen(port, host, () => {
	const a = server.address();
	process.stdout.write(`fakevecpipe listening on http://${a.address}:${a.port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
