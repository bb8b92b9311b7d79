#!/usr/bin/env node
// A webhook receiver for the tests, on loopback.  Appends one JSON line per
// request to --log (kept across restarts, so a test can stop the receiver
// and start it again on the same --port): {time (epoch seconds), method,
// path, status it answered, headers (lowercase names), body_b64 (the
// exact bytes)}.  --status N answers N (default 204) to every POST;
// GET /_admin/mode?status=N changes it.  Prints "listening on URL".
'use strict';
const http = require('http');
const fs = require('fs');

const args = { port: 0, status: 204, log: null };
for (let i = 2; i < process.argv.length; i += 2) {
	const k = process.argv[i].replace(/^--/, '');
	if (!(k in args)) {
		console.error(`unknown option ${process.argv[i]}`);
		process.exit(2);
	}
	args[k] = process.argv[i + 1];
}
if (!args.log) {
	console.error('usage: fakehook.js --log FILE [--port N] [--status N]');
	process.exit(2);
}
let status = Number(args.status);
const MAX = 1 << 20;

const server = http.createServer((req, res) => {
	const url = new URL(req.url, 'http://x');
	if (req.method === 'GET' && url.pathname === '/_admin/mode') {
		status = Number(url.searchParams.get('status')) || 204;
		res.end(`status ${status}\n`);
		return;
	}
	const chunks = [];
	let size = 0;
	req.on('data', (c) => {
		size += c.length;
		if (size <= MAX)
			chunks.push(c);
	});
	req.on('end', () => {
		const rec = {
			time: Date.now() / 1000, method: req.method,
			path: url.pathname, status, headers: req.headers,
			body_b64: Buffer.concat(chunks).toString('base64'),
		};
		fs.appendFileSync(args.log, JSON.stringify(rec) + '\n');
		res.statusCode = status;
		res.end(status === 204 ? undefined : 'answer\n');
	});
});
server.listen(Number(args.port), '127.0.0.1', () => {
	const a = server.address();
	console.log(`fakehook listening on http://127.0.0.1:${a.port}`);
});
process.on('SIGTERM', () => process.exit(0));
