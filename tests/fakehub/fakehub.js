#!/usr/bin/env node
/*
 * fakehub.js - a fake HuggingFace Hub for tests and offline demos.
 *
 * Dependency-free (node:http only). Serves repositories read from disk:
 *   ROOT/<org>/<name>/...            model repos
 *   ROOT/<name>/...                  model repo without namespace (a top-level
 *                                    directory holding regular files directly)
 *   ROOT/datasets/<org>/<name>/...   dataset repos
 * A repo is gated when ROOT/<org>/<name>/.gated exists, when --gated names it,
 * or when a "gated" fault matches. Dotfiles at a repo's root are not repo
 * content (except .gitattributes). An optional ROOT/<org>/<name>/.fakehub.json
 * may hold {"gated": bool, "info": {extra model-info fields}}.
 *
 * Usage:
 *   node fakehub.js --root DIR [--port P] [--host 127.0.0.1]
 *        [--cdn-host 127.0.0.2] [--token hf_xxx]... [--gated org/name]...
 *        [--page-size N] [--log FILE] [--hash-cache FILE] [--gate-api]
 *        [--not-found-status 404|401]
 * Prints exactly one line "fakehub listening on http://HOST:PORT" on stdout
 * once ready. The protocol, the admin API, the faults and the log format are
 * described in README.md beside this file.
 */
'use strict';

const http = require('node:http');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const path = require('node:path');
const crypto = require('node:crypto');
const dns = require('node:dns').promises;

const LFS_THRESHOLD = 1024 * 1024;
const LFS_EXTENSIONS = ['.safetensors', '.bin', '.onnx', '.gguf', '.pt'];
const CHUNK = 64 * 1024;
const LOG_MAX = 200000;
const EVIL_CONTENT = Buffer.from('evil\n');
const EVIL_NAMES = {
	dotdot: '../evil',
	abs: '/abs',
	backslash: 'a\\b',
	drive: 'C:evil',
	nested_dotdot: 'sub/../../evil',
};

/* ------------------------------------------------------------------ CLI */

function usage(msg) {
	if (msg)
		process.stderr.write(`fakehub: ${msg}\n`);
	process.stderr.write('usage: fakehub.js --root DIR [--port P] [--host H] ' +
	    '[--cdn-host H] [--token hf_xxx]... [--gated ORG/NAME]... ' +
	    '[--page-size N] [--log FILE] [--hash-cache FILE] [--gate-api] ' +
	    '[--not-found-status 404|401]\n');
	process.exit(2);
}

function parseArgs(argv) {
	const o = {
		root: null, port: 0, host: '127.0.0.1', cdnHost: '127.0.0.2',
		tokens: [], gated: [], pageSize: 1000, log: null, hashCache: null,
		gateApi: false, notFoundStatus: 404,
	};
	const need = (i) => {
		if (i + 1 >= argv.length)
			usage(`${argv[i]} needs a value`);
		return argv[i + 1];
	};
	const int = (s, name, min, max) => {
		if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max)
			usage(`bad ${name}: ${s}`);
		return Number(s);
	};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		switch (a) {
		case '--root': o.root = need(i); i++; break;
		case '--port': o.port = int(need(i), a, 0, 65535); i++; break;
		case '--host': o.host = need(i); i++; break;
		case '--cdn-host': o.cdnHost = need(i); i++; break;
		case '--token': o.tokens.push(need(i)); i++; break;
		case '--gated': o.gated.push(need(i)); i++; break;
		case '--page-size': o.pageSize = int(need(i), a, 1, 1e9); i++; break;
		case '--log': o.log = need(i); i++; break;
		case '--hash-cache': o.hashCache = need(i); i++; break;
		case '--gate-api': o.gateApi = true; break;
		case '--not-found-status':
			o.notFoundStatus = int(need(i), a, 400, 499); i++; break;
		case '-h': case '--help': usage(); break;
		default: usage(`unknown argument ${a}`);
		}
	}
	if (!o.root)
		usage('--root is required');
	return o;
}

/* -------------------------------------------------------------- helpers */

function sha1hex(...parts) {
	const h = crypto.createHash('sha1');
	for (const p of parts)
		h.update(p);
	return h.digest('hex');
}

function isLfsName(p, size) {
	if (size > LFS_THRESHOLD)
		return true;
	const lower = p.toLowerCase();
	return LFS_EXTENSIONS.some((e) => lower.endsWith(e));
}

function lfsPointer(sha256, size) {
	return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

function gitBlobOid(buf) {
	return sha1hex(`blob ${buf.length}\0`, buf);
}

/* fnmatch-like glob: '*' matches any run including '/', '?' one char,
 * [seq] and [!seq] classes. */
function globToRegExp(g) {
	let re = '^';
	for (let i = 0; i < g.length; i++) {
		const c = g[i];
		if (c === '*') {
			re += '.*';
		} else if (c === '?') {
			re += '.';
		} else if (c === '[') {
			const j = g.indexOf(']', i + 2);
			if (j < 0) {
				re += '\\[';
			} else {
				let cls = g.slice(i + 1, j).replace(/\\/g, '\\\\');
				if (cls[0] === '!')
					cls = '^' + cls.slice(1);
				re += `[${cls}]`;
				i = j;
			}
		} else {
			re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
		}
	}
	return new RegExp(re + '$', 's');
}

function globMatch(g, s) {
	if (g === undefined || g === null)
		return true;
	if (s === undefined || s === null)
		return false;
	return globToRegExp(String(g)).test(s);
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

function contentTypeOf(p) {
	const ext = path.extname(p).toLowerCase();
	if (ext === '.json')
		return 'application/json; charset=utf-8';
	if (ext === '.txt' || ext === '.md' || ext === '.py' || ext === '.gitattributes')
		return 'text/plain; charset=utf-8';
	return 'application/octet-stream';
}

function encodePath(p) {
	return p.split('/').map(encodeURIComponent).join('/');
}

/* ---------------------------------------------------------------- index */

class HashCache {
	constructor(file) {
		this.file = file;
		this.map = new Map();
		this.dirty = false;
		if (file) {
			try {
				const obj = JSON.parse(fs.readFileSync(file, 'utf8'));
				for (const [k, v] of Object.entries(obj))
					this.map.set(k, v);
			} catch {
				/* no cache yet */
			}
		}
	}

	key(abs, st) {
		return `${abs}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
	}

	get(abs, st) {
		return this.map.get(this.key(abs, st));
	}

	set(abs, st, v) {
		this.map.set(this.key(abs, st), v);
		this.dirty = true;
	}

	save() {
		if (!this.file || !this.dirty)
			return;
		const tmp = `${this.file}.${process.pid}.tmp`;
		fs.writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.map)));
		fs.renameSync(tmp, this.file);
		this.dirty = false;
	}
}

/* Streams a file once; returns {sha1 (git blob), sha256} as asked. */
function hashFile(abs, size, want) {
	return new Promise((resolve, reject) => {
		const h1 = want.sha1 ? crypto.createHash('sha1') : null;
		const h256 = want.sha256 ? crypto.createHash('sha256') : null;
		if (h1)
			h1.update(`blob ${size}\0`);
		let n = 0;
		const rs = fs.createReadStream(abs, { highWaterMark: 1024 * 1024 });
		rs.on('data', (c) => {
			n += c.length;
			if (h1)
				h1.update(c);
			if (h256)
				h256.update(c);
		});
		rs.on('error', reject);
		rs.on('end', () => {
			if (n !== size) {
				reject(new Error(`${abs}: size changed while hashing`));
				return;
			}
			resolve({
				sha1: h1 ? h1.digest('hex') : undefined,
				sha256: h256 ? h256.digest('hex') : undefined,
			});
		});
	});
}

async function walkRepo(dir) {
	/* returns [{rel, abs, st}] for regular files, following symlinks */
	const out = [];
	const seen = new Set();
	async function walk(d, rel, depth) {
		if (depth > 64)
			return;
		let real;
		try {
			real = await fsp.realpath(d);
		} catch {
			return;
		}
		if (seen.has(real))
			return;
		seen.add(real);
		const names = (await fsp.readdir(d)).sort();
		for (const name of names) {
			if (rel === '' && name.startsWith('.') && name !== '.gitattributes')
				continue;
			if (name === '.git')
				continue;
			const abs = path.join(d, name);
			let st;
			try {
				st = await fsp.stat(abs);
			} catch {
				continue;
			}
			const r = rel ? `${rel}/${name}` : name;
			if (st.isDirectory())
				await walk(abs, r, depth + 1);
			else if (st.isFile())
				out.push({ rel: r, abs, st });
		}
	}
	await walk(dir, '', 0);
	return out;
}

async function indexRepo(type, id, dir, hashCache, cliGated) {
	const files = new Map();
	let maxMtime = 0;
	for (const f of await walkRepo(dir)) {
		const size = f.st.size;
		const lfs = isLfsName(f.rel, size);
		let h = hashCache.get(f.abs, f.st) || {};
		if ((lfs && !h.sha256) || (!lfs && !h.sha1)) {
			const got = await hashFile(f.abs, size, { sha1: !lfs, sha256: lfs });
			h = { ...h, ...Object.fromEntries(Object.entries(got).filter(([, v]) => v)) };
			hashCache.set(f.abs, f.st, h);
		}
		let entry;
		if (lfs) {
			const ptr = Buffer.from(lfsPointer(h.sha256, size));
			entry = {
				path: f.rel, size, abs: f.abs, oid: gitBlobOid(ptr),
				lfs: { oid: h.sha256, size, pointerSize: ptr.length },
				pointer: ptr,
			};
		} else {
			entry = { path: f.rel, size, abs: f.abs, oid: h.sha1, lfs: null };
		}
		maxMtime = Math.max(maxMtime, f.st.mtimeMs);
		files.set(f.rel, entry);
	}
	/* directories */
	const dirs = new Map();
	for (const p of files.keys()) {
		const segs = p.split('/');
		for (let i = 1; i < segs.length; i++) {
			const d = segs.slice(0, i).join('/');
			if (!dirs.has(d))
				dirs.set(d, { path: d, oid: null });
		}
	}
	const sortedFiles = [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
	for (const d of dirs.values()) {
		const h = crypto.createHash('sha1');
		h.update(`tree\0${d.path}\0`);
		for (const f of sortedFiles) {
			if (f.path.startsWith(d.path + '/'))
				h.update(`${f.path}\0${f.oid}\n`);
		}
		d.oid = h.digest('hex');
	}
	const ch = crypto.createHash('sha1');
	ch.update(`fakehub-commit\0${type}\0${id}\0`);
	for (const f of sortedFiles)
		ch.update(`${f.path}\0${f.oid}\n`);
	const sha = ch.digest('hex');

	let meta = {};
	try {
		meta = JSON.parse(await fsp.readFile(path.join(dir, '.fakehub.json'), 'utf8'));
	} catch {
		meta = {};
	}
	let gated = cliGated || meta.gated === true;
	try {
		await fsp.stat(path.join(dir, '.gated'));
		gated = true;
	} catch {
		/* not gated */
	}
	const entries = [
		...sortedFiles.map((f) => ({ kind: 'file', f })),
		...[...dirs.values()].map((d) => ({ kind: 'directory', d })),
	].sort((a, b) => {
		const pa = a.kind === 'file' ? a.f.path : a.d.path;
		const pb = b.kind === 'file' ? b.f.path : b.d.path;
		return pa < pb ? -1 : pa > pb ? 1 : 0;
	});
	return {
		type, id, key: `${type}:${id}`, dir, files, dirs, entries, sha, gated,
		info: meta.info && typeof meta.info === 'object' ? meta.info : {},
		lastModified: new Date(maxMtime ? Math.floor(maxMtime / 1000) * 1000 : 0).toISOString(),
		objectId: sha1hex(`id\0${type}\0${id}`).slice(0, 24),
	};
}

async function listDirs(d) {
	try {
		return (await fsp.readdir(d, { withFileTypes: true }))
		    .filter((e) => !e.name.startsWith('.'))
		    .sort((a, b) => (a.name < b.name ? -1 : 1));
	} catch {
		return [];
	}
}

async function isDirectory(p) {
	try {
		return (await fsp.stat(p)).isDirectory();
	} catch {
		return false;
	}
}

async function hasRegularFile(d) {
	for (const e of await listDirs(d)) {
		try {
			if ((await fsp.stat(path.join(d, e.name))).isFile())
				return true;
		} catch {
			/* dangling */
		}
	}
	return false;
}

async function buildIndex(root, hashCache, gatedList) {
	const repos = new Map();
	const blobs = new Map();
	const found = [];
	for (const top of await listDirs(root)) {
		const topDir = path.join(root, top.name);
		if (!(await isDirectory(topDir)))
			continue;
		if (top.name === 'datasets') {
			for (const org of await listDirs(topDir)) {
				const orgDir = path.join(topDir, org.name);
				if (!(await isDirectory(orgDir)))
					continue;
				if (await hasRegularFile(orgDir)) {
					found.push(['dataset', org.name, orgDir]);
					continue;
				}
				for (const nm of await listDirs(orgDir)) {
					const d = path.join(orgDir, nm.name);
					if (await isDirectory(d))
						found.push(['dataset', `${org.name}/${nm.name}`, d]);
				}
			}
			continue;
		}
		if (await hasRegularFile(topDir)) {
			found.push(['model', top.name, topDir]);
			continue;
		}
		for (const nm of await listDirs(topDir)) {
			const d = path.join(topDir, nm.name);
			if (await isDirectory(d))
				found.push(['model', `${top.name}/${nm.name}`, d]);
		}
	}
	for (const [type, id, dir] of found) {
		const repo = await indexRepo(type, id, dir, hashCache, gatedList.includes(id));
		repos.set(repo.key, repo);
		for (const f of repo.files.values()) {
			const h = f.lfs ? f.lfs.oid : f.oid;
			if (!blobs.has(h))
				blobs.set(h, { repo, file: f });
			if (f.lfs && !blobs.has(f.oid))
				blobs.set(f.oid, { repo, file: f });
		}
	}
	hashCache.save();
	return { repos, blobs };
}

/* --------------------------------------------------------------- faults */

const FAULT_TYPES = {
	status: { kinds: 'any' },
	status500: { kinds: 'any' },
	status429: { kinds: 'any' },
	reset_mid_body: { kinds: 'body' },
	slow_body: { kinds: 'body' },
	stall: { kinds: 'body' },
	wrong_bytes: { kinds: 'body' },
	ignore_range: { kinds: 'body' },
	range_past_end: { kinds: 'body' },
	endless_body: { kinds: 'body' },
	body_larger: { kinds: 'body' },
	gated: { kinds: 'gate' },
	redirect_other_host: { kinds: ['resolve'] },
	redirect_relative: { kinds: ['resolve'] },
	redirect_loop: { kinds: ['resolve'] },
	evil: { kinds: ['info', 'tree', 'paths-info', 'resolve', 'resolve-cache'] },
	cdn_reject_auth: { kinds: ['cdn'] },
	expire_url: { kinds: ['cdn'] },
	listing: { kinds: ['tree'] },
};
const ALL_KINDS = ['info', 'tree', 'paths-info', 'resolve', 'raw', 'resolve-cache', 'cdn', 'whoami'];
const BODY_KINDS = ['resolve', 'raw', 'resolve-cache', 'cdn'];
const EVIL_VARIANTS = [...Object.keys(EVIL_NAMES), 'name', 'etag', 'oid', 'commit'];

function validateFault(f) {
	if (!f || typeof f !== 'object' || Array.isArray(f))
		return 'a fault must be an object';
	if (!Object.prototype.hasOwnProperty.call(FAULT_TYPES, f.type))
		return `unknown fault type ${JSON.stringify(f.type)}; known: ${Object.keys(FAULT_TYPES).join(', ')}`;
	for (const k of ['times', 'skip', 'bytes', 'rate', 'seconds', 'code', 'retry_after', 'extra', 'at', 'offset', 'count',
	    'files', 'depth', 'dirs', 'name_len', 'page_files', 'covers', 'after_ms']) {
		if (f[k] !== undefined && f[k] !== null && (typeof f[k] !== 'number' || !(f[k] >= 0)))
			return `${k} must be a non-negative number`;
	}
	if (f.on !== undefined) {
		const on = Array.isArray(f.on) ? f.on : [f.on];
		for (const k of on) {
			if (!ALL_KINDS.includes(k))
				return `unknown request kind ${JSON.stringify(k)} in "on"; known: ${ALL_KINDS.join(', ')}`;
		}
	}
	if (f.role !== undefined && f.role !== 'main' && f.role !== 'cdn')
		return 'role must be "main" or "cdn"';
	if (f.type === 'status' && (f.code === undefined || f.code < 100 || f.code > 599))
		return 'status needs "code" (100-599)';
	if (f.type === 'slow_body' && !(f.rate > 0))
		return 'slow_body needs "rate" (bytes per second, > 0)';
	if (f.type === 'evil') {
		if (!EVIL_VARIANTS.includes(f.variant))
			return `evil needs "variant", one of ${EVIL_VARIANTS.join(', ')}`;
		if (f.variant === 'name' && (typeof f.name !== 'string' || f.name === ''))
			return 'evil variant "name" needs a non-empty "name"';
	}
	if (f.type === 'listing' && ((f.depth !== undefined && f.depth < 1) || (f.dirs !== undefined && f.dirs < 1) ||
	    (f.page_files !== undefined && f.page_files < 1)))
		return 'listing "depth", "dirs" and "page_files" must be at least 1';
	if (f.type === 'stall' && f.then !== undefined && f.then !== 'close' && f.then !== 'continue')
		return 'stall "then" must be "close" or "continue"';
	return null;
}

class Faults {
	constructor() {
		this.list = [];
		this.nextId = 1;
	}

	add(f) {
		const fault = { ...f, id: this.nextId++, applied: 0, seen: 0 };
		if (fault.times === undefined)
			fault.times = null;
		if (fault.skip === undefined)
			fault.skip = 0;
		this.list.push(fault);
		return fault;
	}

	clear() {
		this.list = [];
	}

	remove(id) {
		const n = this.list.length;
		this.list = this.list.filter((f) => f.id !== id);
		return this.list.length !== n;
	}

	scopeMatches(f, ctx) {
		let kinds = f.on !== undefined ? (Array.isArray(f.on) ? f.on : [f.on]) : null;
		if (!kinds) {
			const d = FAULT_TYPES[f.type].kinds;
			if (d === 'any' || d === 'gate')
				kinds = ALL_KINDS;
			else if (d === 'body')
				kinds = BODY_KINDS;
			else
				kinds = d;
		}
		if (!kinds.includes(ctx.kind))
			return false;
		if (f.role !== undefined && f.role !== ctx.role)
			return false;
		if (f.method !== undefined && String(f.method).toUpperCase() !== ctx.method)
			return false;
		if (f.repo !== undefined && !globMatch(f.repo, ctx.repo ? ctx.repo.id : ctx.repoId))
			return false;
		if (f.repo_type !== undefined && f.repo_type !== (ctx.repo ? ctx.repo.type : ctx.repoType))
			return false;
		if (f.path !== undefined && !globMatch(f.path, ctx.file))
			return false;
		if (f.covers !== undefined && !(ctx.range.start <= f.covers && f.covers <= ctx.range.end))
			return false;
		return true;
	}

	/* Consumes one use of each matching fault of the given types. */
	take(ctx, types, pred) {
		const out = [];
		for (const f of this.list) {
			if (!types.includes(f.type))
				continue;
			if (pred && !pred(f))
				continue;
			if (f.times !== null && f.applied >= f.times)
				continue;
			if (!this.scopeMatches(f, ctx))
				continue;
			f.seen++;
			if (f.seen <= f.skip)
				continue;
			f.applied++;
			out.push(f);
			ctx.faults.push(f.type === 'evil' ? `evil:${f.variant}` : f.type);
		}
		return out;
	}

	/* Matching, active faults without consuming them. */
	peek(ctx, types) {
		return this.list.filter((f) => types.includes(f.type) &&
		    (f.times === null || f.applied < f.times) && this.scopeMatches(f, ctx));
	}

	json() {
		return this.list.map((f) => ({
			...f,
			remaining: f.times === null ? null : Math.max(0, f.times - f.applied),
		}));
	}
}

/* --------------------------------------------------------------- server */

class FakeHub {
	constructor(opts) {
		this.opts = opts;
		this.root = path.resolve(opts.root);
		this.hashCache = new HashCache(opts.hashCache);
		this.index = { repos: new Map(), blobs: new Map() };
		this.faults = new Faults();
		this.log = [];
		this.seq = 0;
		this.stats = { total: 0, byPath: new Map(), byFile: new Map() };
		this.secret = crypto.randomBytes(16).toString('hex');
		this.logStream = opts.log ? fs.createWriteStream(opts.log, { flags: 'a' }) : null;
		this.resetOptions();
		this.port = 0;
	}

	resetOptions() {
		this.options = {
			page_size: this.opts.pageSize,
			gate_api: this.opts.gateApi,
			tokens: [...this.opts.tokens],
			not_found_status: this.opts.notFoundStatus,
		};
	}

	async reload() {
		this.index = await buildIndex(this.root, this.hashCache, this.opts.gated);
	}

	/* ---- urls ---- */

	mainBase(req) {
		if (req && req.headers.host)
			return `http://${req.headers.host}`;
		return `http://${this.opts.host}:${this.port}`;
	}

	cdnBase() {
		return `http://${this.opts.cdnHost}:${this.port}`;
	}

	/* The signature covers the blob and the time the URL was issued. */
	signature(hash, date) {
		return 'fake' + sha1hex(this.secret, hash, String(date));
	}

	cdnUrl(hash) {
		const date = Date.now();
		return `${this.cdnBase()}/cdn/${hash}?X-Amz-Algorithm=AWS4-HMAC-SHA256` +
		    `&X-Amz-Date=${date}&X-Amz-Expires=3600&X-Amz-Signature=${this.signature(hash, date)}`;
	}

	/* ---- lookup ---- */

	repoByKey(type, id) {
		return this.index.repos.get(`${type}:${id}`) || null;
	}

	/* Splits segs into [id, rest] given keywords that may follow the id. */
	splitRepo(type, segs, keywords) {
		for (const n of [2, 1]) {
			if (segs.length >= n && this.repoByKey(type, segs.slice(0, n).join('/')))
				return { id: segs.slice(0, n).join('/'), rest: segs.slice(n) };
		}
		let k = segs.findIndex((s, i) => i > 0 && keywords.includes(s));
		if (k < 0)
			k = Math.min(segs.length, 2);
		return { id: segs.slice(0, k).join('/'), rest: segs.slice(k) };
	}

	resolveRev(repo, rev, ctx) {
		if (rev === 'main' || rev === 'HEAD' || rev === 'refs/heads/main' || rev === repo.sha)
			return repo.sha;
		if (/^[0-9a-f]{7,39}$/.test(rev) && repo.sha.startsWith(rev))
			return repo.sha;
		if (ctx) {
			for (const f of this.faults.peek(ctx, ['evil'])) {
				if (f.variant === 'commit' && rev === this.evilCommit(f))
					return repo.sha;
			}
		}
		return null;
	}

	/* Consumes the evil faults whose variant matters for this request. */
	takeEvil(ctx, variants) {
		return this.faults.take(ctx, ['evil'], (f) => variants.includes(f.variant) ||
		    (variants.includes('names') && (f.variant === 'name' || EVIL_NAMES[f.variant] !== undefined)));
	}

	evilCommit(f) {
		return typeof f.value === 'string' ? f.value : '../../evil-commit';
	}

	evilEntries(evils) {
		const out = [];
		for (const f of evils) {
			const name = f.variant === 'name' ? f.name : EVIL_NAMES[f.variant];
			if (name !== undefined)
				out.push({ type: 'file', oid: gitBlobOid(EVIL_CONTENT), size: EVIL_CONTENT.length, path: name });
		}
		return out;
	}

	/* ---- responses ---- */

	sendJson(res, status, obj, headers = {}) {
		const body = Buffer.from(JSON.stringify(obj));
		res.writeHead(status, {
			'Content-Type': 'application/json; charset=utf-8',
			'Content-Length': body.length,
			...headers,
		});
		res.end(body);
		res.locals.bytes += res.req.method === 'HEAD' ? 0 : body.length;
	}

	sendError(res, status, code, message, headers = {}) {
		const h = { 'X-Error-Message': message.replace(/[^\x20-\x7e]/g, '?'), ...headers };
		if (code)
			h['X-Error-Code'] = code;
		this.sendJson(res, status, { error: message }, h);
	}

	repoNotFound(res, type, id) {
		this.sendError(res, this.options.not_found_status, 'RepoNotFound',
		    `Repository Not Found for url: ${type}s/${id}. Please make sure you specified the correct ` +
		    '`repo_id` and `repo_type`. If you are trying to access a private or gated repo, make sure you are authenticated.');
	}

	revisionNotFound(res, rev) {
		this.sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
	}

	tokenOf(req) {
		const h = req.headers.authorization;
		if (!h)
			return null;
		const m = /^Bearer\s+(.+)$/i.exec(h.trim());
		return m ? m[1].trim() : '';
	}

	/* true when the request may go on; otherwise the 401/403 was sent */
	checkGate(req, res, ctx, repo) {
		const fileKinds = ['resolve', 'raw', 'resolve-cache'];
		let gated = false;
		if (repo.gated && (fileKinds.includes(ctx.kind) || this.options.gate_api))
			gated = true;
		/* a gated fault covers file requests; API requests too with
		 * "api": true, an explicit "on", or the gate_api option */
		const covers = (f) => fileKinds.includes(ctx.kind) || f.api === true || f.on !== undefined ||
		    this.options.gate_api;
		if (this.faults.take(ctx, ['gated'], covers).length)
			gated = true;
		if (!gated)
			return true;
		const tok = this.tokenOf(req);
		if (tok !== null && this.options.tokens.includes(tok))
			return true;
		const what = `${repo.type === 'model' ? '' : repo.type + 's/'}${repo.id}`;
		if (tok === null) {
			this.sendError(res, 401, 'GatedRepo', `Access to model ${repo.id} is restricted. You must have access to it ` +
			    `and be authenticated to access it. Please log in. (${what})`);
		} else {
			this.sendError(res, 403, 'GatedRepo', `Access to model ${repo.id} is restricted and you are not in the ` +
			    `authorized list. Visit ${this.mainBase(req)}/${what} to ask for access.`);
		}
		return false;
	}

	applyStatusFaults(req, res, ctx) {
		const hits = this.faults.take(ctx, ['status', 'status500', 'status429']);
		if (hits.length === 0)
			return false;
		const f = hits[0];
		const code = f.type === 'status500' ? 500 : f.type === 'status429' ? 429 : f.code;
		const headers = {};
		if (f.type === 'status429' || f.retry_after !== undefined)
			headers['Retry-After'] = String(f.retry_after !== undefined ? f.retry_after : 1);
		if (f.ratelimit) {
			const t = f.retry_after !== undefined ? f.retry_after : 1;
			headers.RateLimit = `"api";r=0;t=${t}`;
			headers['RateLimit-Policy'] = '"fixed window";"api";q=500;w=300';
		}
		if (ctx.repo && f.repo_commit !== false && ctx.kind !== 'cdn')
			headers['X-Repo-Commit'] = ctx.repo.sha;
		const msg = f.message || (code === 429 ? 'Too Many Requests (fake)' : `Fake error ${code}`);
		if (f.error_code)
			headers['X-Error-Code'] = f.error_code;
		this.sendError(res, code, null, msg, headers);
		return true;
	}

	/* ---- API: info ---- */

	handleInfo(req, res, ctx, repo, rev, url) {
		if (!this.checkGate(req, res, ctx, repo))
			return;
		const sha = this.resolveRev(repo, rev, ctx);
		if (!sha)
			return this.revisionNotFound(res, rev);
		const evils = this.takeEvil(ctx, ['names', 'commit', 'oid']);
		const blobs = /^(1|true)$/i.test(url.searchParams.get('blobs') || '');
		const siblings = [];
		for (const f of repo.files.values()) {
			const s = { rfilename: f.path };
			if (blobs) {
				s.size = f.size;
				s.blobId = f.oid;
				for (const v of evils) {
					if (v.variant === 'oid')
						s.blobId = typeof v.value === 'string' ? v.value : '../../evil-oid';
				}
				if (f.lfs)
					s.lfs = { sha256: f.lfs.oid, size: f.lfs.size, pointerSize: f.lfs.pointerSize };
			}
			siblings.push(s);
		}
		for (const e of this.evilEntries(evils))
			siblings.push(blobs ? { rfilename: e.path, size: e.size, blobId: e.oid } : { rfilename: e.path });
		let shaOut = sha;
		for (const f of evils) {
			if (f.variant === 'commit')
				shaOut = this.evilCommit(f);
		}
		let used = 0;
		for (const f of repo.files.values())
			used += f.size;
		const info = {
			_id: repo.objectId,
			id: repo.id,
			modelId: repo.id,
			author: repo.id.includes('/') ? repo.id.split('/')[0] : undefined,
			sha: shaOut,
			lastModified: repo.lastModified,
			createdAt: repo.lastModified,
			private: false,
			gated: repo.gated ? 'auto' : false,
			disabled: false,
			downloads: 0,
			likes: 0,
			tags: [],
			siblings,
			usedStorage: used,
			...repo.info,
		};
		this.sendJson(res, 200, info);
	}

	/* ---- API: tree ---- */

	entryJson(e, expand, evils, repo, sha) {
		let o;
		if (e.kind === 'directory') {
			o = { type: 'directory', oid: e.d.oid, size: 0, path: e.d.path };
		} else {
			const f = e.f;
			o = { type: 'file', oid: f.oid, size: f.size, path: f.path };
			if (f.lfs)
				o.lfs = { oid: f.lfs.oid, size: f.lfs.size, pointerSize: f.lfs.pointerSize };
		}
		for (const v of evils) {
			if (v.variant === 'oid') {
				const val = typeof v.value === 'string' ? v.value : '../../evil-oid';
				o.oid = val;
				if (o.lfs)
					o.lfs.oid = val;
			}
		}
		if (expand) {
			let cid = sha;
			for (const v of evils) {
				if (v.variant === 'commit')
					cid = this.evilCommit(v);
			}
			o.lastCommit = { id: cid, title: 'Fake commit', date: repo.lastModified };
			if (o.type === 'file')
				o.securityFileStatus = { status: 'safe' };
		}
		return o;
	}

	handleTree(req, res, ctx, repo, rev, sub, url) {
		if (!this.checkGate(req, res, ctx, repo))
			return;
		const sha = this.resolveRev(repo, rev, ctx);
		if (!sha)
			return this.revisionNotFound(res, rev);
		const recursive = /^(1|true)$/i.test(url.searchParams.get('recursive') || '');
		const expand = /^(1|true)$/i.test(url.searchParams.get('expand') || '');
		sub = sub.replace(/\/+$/, '');
		if (sub !== '' && !repo.dirs.has(sub)) {
			return this.sendError(res, 404, 'EntryNotFound',
			    `${repo.id}: path ${sub} not found or not a directory`, { 'X-Repo-Commit': sha });
		}
		const hostile = this.faults.take(ctx, ['listing']);
		if (hostile.length)
			return this.sendHostileListing(req, res, url, hostile[0]);
		const evils = this.takeEvil(ctx, expand ? ['names', 'oid', 'commit'] : ['names', 'oid']);
		const prefix = sub === '' ? '' : sub + '/';
		let list = repo.entries.filter((e) => {
			const p = e.kind === 'file' ? e.f.path : e.d.path;
			if (!p.startsWith(prefix))
				return false;
			return recursive || !p.slice(prefix.length).includes('/');
		}).map((e) => this.entryJson(e, expand, evils, repo, sha));
		if (sub === '')
			list = list.concat(this.evilEntries(evils));
		let offset = 0;
		const cursor = url.searchParams.get('cursor');
		if (cursor !== null) {
			const n = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
			if (!Number.isInteger(n) || n < 0)
				return this.sendError(res, 400, null, 'Invalid cursor');
			offset = n;
		}
		const size = this.options.page_size;
		const page = list.slice(offset, offset + size);
		const headers = {};
		if (offset + size < list.length) {
			const next = new URL(this.mainBase(req) + url.pathname);
			for (const [k, v] of url.searchParams) {
				if (k !== 'cursor')
					next.searchParams.append(k, v);
			}
			next.searchParams.set('cursor', Buffer.from(String(offset + size)).toString('base64url'));
			headers.Link = `<${next.href}>; rel="next"`;
		}
		this.sendJson(res, 200, page, headers);
	}

	/*
	 * The listing fault: `files` synthetic file entries generated on the
	 * fly (never held whole), `page_files` a page.  Entry i has the path
	 * g<i % dirs>/s/s/.../f<i>, `depth` segments in all, its last segment
	 * padded with 'x' so the path is `name_len` bytes long (a segment
	 * stays within 255 bytes), a distinct oid and a small size.
	 */
	hostilePath(f, i) {
		const depth = f.depth || 1;
		const segs = [];
		if (depth > 1)
			segs.push(`g${i % (f.dirs || 1)}`);
		for (let k = 2; k < depth; k++)
			segs.push('s');
		let last = `f${i}`;
		const len = segs.join('/').length + (segs.length ? 1 : 0) + last.length;
		if ((f.name_len || 0) > len)
			last += 'x'.repeat(Math.min(f.name_len - len, 255 - last.length));
		segs.push(last);
		return segs.join('/');
	}

	async sendHostileListing(req, res, url, f) {
		const total = f.files === undefined ? 1000 : f.files;
		const per = f.page_files || total || 1;
		const cursor = url.searchParams.get('cursor');
		const from = cursor === null ? 0 : Number(cursor);
		const to = Math.min(total, from + per);
		const headers = { 'Content-Type': 'application/json; charset=utf-8' };
		if (to < total) {
			const next = new URL(this.mainBase(req) + url.pathname);
			next.searchParams.set('recursive', 'true');
			next.searchParams.set('cursor', String(to));
			headers.Link = `<${next.href}>; rel="next"`;
		}
		res.writeHead(200, headers);
		let chunk = '[';
		for (let i = from; i < to; i++) {
			chunk += (i > from ? ',' : '') + JSON.stringify({ type: 'file', oid: sha1hex(`hostile ${i}`),
			    size: i % 1000 + 1, path: this.hostilePath(f, i) });
			if (chunk.length >= 65536) {
				res.locals.bytes += chunk.length;
				if (!res.write(chunk))
					await new Promise((r) => res.once('drain', r));
				chunk = '';
			}
		}
		chunk += ']';
		res.locals.bytes += chunk.length;
		res.end(chunk);
	}

	/* ---- API: paths-info ---- */

	async handlePathsInfo(req, res, ctx, repo, rev) {
		const raw = await readBody(req, 1024 * 1024);
		if (!this.checkGate(req, res, ctx, repo))
			return;
		const sha = this.resolveRev(repo, rev, ctx);
		if (!sha)
			return this.revisionNotFound(res, rev);
		let paths = [];
		let expand = false;
		const ct = (req.headers['content-type'] || '').toLowerCase();
		try {
			if (ct.includes('application/json')) {
				const b = JSON.parse(raw.toString('utf8') || '{}');
				paths = Array.isArray(b.paths) ? b.paths : (typeof b.paths === 'string' ? [b.paths] : []);
				expand = b.expand === true || b.expand === 'true' || b.expand === 'True';
			} else {
				const sp = new URLSearchParams(raw.toString('utf8'));
				paths = sp.getAll('paths');
				const e = sp.get('expand');
				expand = e !== null && /^(1|true)$/i.test(e);
			}
		} catch {
			return this.sendError(res, 400, null, 'Invalid JSON body');
		}
		const evils = this.takeEvil(ctx, expand ? ['names', 'oid', 'commit'] : ['names', 'oid']);
		const evilByName = new Map(this.evilEntries(evils).map((e) => [e.path, e]));
		const out = [];
		for (const p0 of paths) {
			if (typeof p0 !== 'string')
				continue;
			const p = p0.replace(/\/+$/, '');
			if (repo.files.has(p))
				out.push(this.entryJson({ kind: 'file', f: repo.files.get(p) }, expand, evils, repo, sha));
			else if (repo.dirs.has(p))
				out.push(this.entryJson({ kind: 'directory', d: repo.dirs.get(p) }, expand, evils, repo, sha));
			else if (evilByName.has(p0)) {
				const e = { ...evilByName.get(p0) };
				if (expand)
					e.lastCommit = { id: sha, title: 'Fake commit', date: repo.lastModified };
				out.push(e);
			}
		}
		this.sendJson(res, 200, out);
	}

	/* ---- resolve ---- */

	commonFileHeaders(repo, sha, evils) {
		let commit = sha;
		for (const f of evils) {
			if (f.variant === 'commit')
				commit = this.evilCommit(f);
		}
		return { 'X-Repo-Commit': commit };
	}

	etagFor(value, evils) {
		for (const f of evils) {
			if (f.variant === 'etag')
				return typeof f.value === 'string' ? f.value : '../../evil-etag';
		}
		return value;
	}

	async handleResolve(req, res, ctx, repo, rev, filePath, raw) {
		if (!this.checkGate(req, res, ctx, repo))
			return;
		const sha = this.resolveRev(repo, rev, ctx);
		if (!sha)
			return this.revisionNotFound(res, rev);
		const evils = this.takeEvil(ctx, ['etag', 'commit']);
		const common = this.commonFileHeaders(repo, sha, evils);
		const file = repo.files.get(filePath);
		if (!file) {
			/* a listing fault advertised an evil name: serve something */
			const advertised = this.faults.peek({ ...ctx, kind: 'tree', file: null }, ['evil'])
			    .some((f) => f.variant === 'name' || EVIL_NAMES[f.variant] !== undefined);
			if (advertised) {
				const oid = gitBlobOid(EVIL_CONTENT);
				return this.serveBytes(req, res, ctx, bufferSource(EVIL_CONTENT), {
					...common, ETag: `"${this.etagFor(oid, evils)}"`, 'Content-Type': 'text/plain; charset=utf-8',
				});
			}
			return this.sendError(res, 404, 'EntryNotFound', `${filePath} does not exist on "${rev}"`, common);
		}
		ctx.file = file.path;

		const loops = this.faults.take(ctx, ['redirect_loop']);
		if (loops.length) {
			const loc = loops[0].absolute ? `${this.mainBase(req)}${ctx.rawPath}` : ctx.rawPath;
			return this.sendRedirect(res, 302, loc, common);
		}

		if (raw) {
			const content = file.lfs ? bufferSource(file.pointer) : fileSource(file.abs, file.size);
			return this.serveBytes(req, res, ctx, content, {
				...common, ETag: `"${this.etagFor(file.oid, evils)}"`, 'Content-Type': contentTypeOf(file.path),
			});
		}

		if (file.lfs) {
			return this.sendRedirect(res, 302, this.cdnUrl(file.lfs.oid), {
				...common,
				ETag: `"${this.etagFor(file.oid, evils)}"`,
				'X-Linked-Etag': `"${this.etagFor(file.lfs.oid, evils)}"`,
				'X-Linked-Size': String(file.size),
			});
		}

		const other = this.faults.take(ctx, ['redirect_other_host']);
		if (other.length) {
			const h = { ...common, ETag: `"${this.etagFor(file.oid, evils)}"` };
			if (other[0].linked_size !== false)
				h['X-Linked-Size'] = String(file.size);
			if (other[0].linked_etag === true)
				h['X-Linked-Etag'] = `"${this.etagFor(file.oid, evils)}"`;
			return this.sendRedirect(res, 302, this.cdnUrl(file.oid), h);
		}
		const rel = this.faults.take(ctx, ['redirect_relative']);
		if (rel.length) {
			const loc = `/api/resolve-cache/${repo.type}s/${repo.id}/${sha}/${encodePath(file.path)}`;
			return this.sendRedirect(res, 307, rel[0].absolute ? this.mainBase(req) + loc : loc, common);
		}
		return this.serveBytes(req, res, ctx, fileSource(file.abs, file.size), {
			...common,
			ETag: `"${this.etagFor(file.oid, evils)}"`,
			'Content-Type': contentTypeOf(file.path),
			'Last-Modified': new Date(repo.lastModified).toUTCString(),
		});
	}

	handleResolveCache(req, res, ctx, repo, commit, filePath) {
		if (!this.checkGate(req, res, ctx, repo))
			return;
		if (commit !== repo.sha)
			return this.revisionNotFound(res, commit);
		const file = repo.files.get(filePath);
		if (!file || file.lfs)
			return this.sendError(res, 404, 'EntryNotFound', `${filePath} not found`, { 'X-Repo-Commit': repo.sha });
		ctx.file = file.path;
		const evils = this.takeEvil(ctx, ['etag', 'commit']);
		return this.serveBytes(req, res, ctx, fileSource(file.abs, file.size), {
			...this.commonFileHeaders(repo, repo.sha, evils),
			ETag: `"${this.etagFor(file.oid, evils)}"`,
			'Content-Type': contentTypeOf(file.path),
		});
	}

	sendRedirect(res, status, location, headers) {
		const body = Buffer.from(`Found. Redirecting to ${location}`);
		res.writeHead(status, {
			...headers,
			Location: location,
			'Content-Type': 'text/plain; charset=utf-8',
			'Content-Length': body.length,
		});
		res.end(body);
		if (res.req.method !== 'HEAD')
			res.locals.bytes += body.length;
	}

	/* ---- cdn ---- */

	handleCdn(req, res, ctx, hash, url) {
		const b = this.index.blobs.get(hash);
		if (b) {
			ctx.repo = b.repo;
			ctx.file = b.file.path;
		}
		if (this.applyStatusFaults(req, res, ctx))
			return;
		if (!b) {
			return this.sendXmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
		}
		const date = url.searchParams.get('X-Amz-Date') || '';
		if (url.searchParams.get('X-Amz-Signature') !== this.signature(hash, date))
			return this.sendXmlError(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
		if (this.faults.take(ctx, ['expire_url'], (f) => Date.now() - Number(date) > (f.after_ms ?? 0)).length)
			return this.sendXmlError(res, 403, 'AccessDenied', 'Request has expired');
		if (req.headers.authorization !== undefined && this.faults.take(ctx, ['cdn_reject_auth']).length) {
			return this.sendXmlError(res, 400, 'InvalidArgument',
			    'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified');
		}
		const f = b.file;
		return this.serveBytes(req, res, ctx, fileSource(f.abs, f.size), {
			ETag: `"${hash}"`,
			'Content-Type': 'application/octet-stream',
			'Last-Modified': new Date(b.repo.lastModified).toUTCString(),
		});
	}

	sendXmlError(res, status, code, message) {
		const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
		    `<Message>${message}</Message></Error>\n`);
		res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': body.length });
		res.end(body);
		if (res.req.method !== 'HEAD')
			res.locals.bytes += body.length;
	}

	/* ---- body serving with faults ---- */

	async serveBytes(req, res, ctx, src, headers) {
		const size = src.size;
		const isGet = req.method === 'GET';
		const bodyFaults = isGet ? this.faults.take(ctx, ['ignore_range', 'range_past_end', 'reset_mid_body', 'slow_body',
		    'stall', 'wrong_bytes', 'endless_body', 'body_larger']) : [];
		const has = (t) => bodyFaults.find((f) => f.type === t);
		const range = has('ignore_range') ? null : parseRange(req.headers.range, size);
		const h = { ...headers, 'Accept-Ranges': 'bytes' };
		if (range && range.unsatisfiable) {
			const body = Buffer.from(JSON.stringify({ error: `Range not satisfiable: ${req.headers.range}` }));
			res.writeHead(416, { ...h, 'Content-Range': `bytes */${size}`, 'Content-Type': 'application/json',
			    'Content-Length': body.length });
			res.end(body);
			return;
		}
		let start = 0;
		let end = size - 1;
		let status = 200;
		if (range) {
			start = range.start;
			end = has('range_past_end') ? size - 1 : range.end;
			status = 206;
			h['Content-Range'] = `bytes ${start}-${end}/${size}`;
		}
		const length = end - start + 1;
		const endless = has('endless_body');
		const larger = has('body_larger');
		if (!endless)
			h['Content-Length'] = String(length);
		if (endless || larger || has('reset_mid_body') || (has('stall') && has('stall').then !== 'continue'))
			h.Connection = 'close';
		res.writeHead(status, h);
		if (!isGet) {
			res.end();
			return;
		}
		const plan = {
			cutAt: has('reset_mid_body') ? (has('reset_mid_body').bytes ?? Math.floor(length / 2)) : null,
			rst: has('reset_mid_body') ? has('reset_mid_body').rst === true : false,
			rate: has('slow_body') ? has('slow_body').rate : null,
			stallAt: has('stall') ? (has('stall').bytes ?? 0) : null,
			stallMs: has('stall') && has('stall').seconds !== undefined ? has('stall').seconds * 1000 : null,
			stallThen: has('stall') ? (has('stall').then || 'close') : null,
			flips: bodyFaults.filter((f) => f.type === 'wrong_bytes').map((f) => ({
				at: f.offset !== undefined ? f.offset - start : (f.at ?? 0),
				count: f.count ?? 1,
			})),
		};
		const w = new BodyWriter(res, plan);
		if (!(await w.sendRange(src, start, end)))
			return;
		if (larger) {
			const extra = Buffer.alloc(larger.extra ?? 1024, 0x58);
			if (!(await w.send(extra)))
				return;
			await w.finish();
			w.hardClose();
			return;
		}
		if (endless) {
			for (;;) {
				if (size > 0) {
					if (!(await w.sendRange(src, 0, size - 1)))
						return;
				} else if (!(await w.send(Buffer.alloc(CHUNK)))) {
					return;
				}
			}
		}
		if (!(await w.atEnd()))
			return;
		res.end();
	}

	/* ---- logging and stats ---- */

	record(entry) {
		this.log.push(entry);
		if (this.log.length > LOG_MAX)
			this.log.splice(0, this.log.length - LOG_MAX);
		if (this.logStream)
			this.logStream.write(JSON.stringify(entry) + '\n');
		if (entry.bytes_sent > 0) {
			this.stats.total += entry.bytes_sent;
			this.stats.byPath.set(entry.path, (this.stats.byPath.get(entry.path) || 0) + entry.bytes_sent);
			if (entry.repo && entry.file && (entry.status === 200 || entry.status === 206) &&
			    BODY_KINDS.includes(entry.kind)) {
				const k = `${entry.repo}/${entry.file}`;
				this.stats.byFile.set(k, (this.stats.byFile.get(k) || 0) + entry.bytes_sent);
			}
		}
	}

	/* ---- admin ---- */

	reposJson() {
		return [...this.index.repos.values()].map((r) => ({
			type: r.type, id: r.id, sha: r.sha, gated: r.gated, lastModified: r.lastModified,
			files: [...r.files.values()].map((f) => ({
				path: f.path, size: f.size, oid: f.oid,
				...(f.lfs ? { lfs: { oid: f.lfs.oid, size: f.lfs.size, pointerSize: f.lfs.pointerSize } } : {}),
			})),
		}));
	}

	async handleAdmin(req, res, url) {
		const p = url.pathname;
		const m = req.method;
		const bodyJson = async () => {
			const raw = await readBody(req, 4 * 1024 * 1024);
			const s = raw.toString('utf8').trim();
			return s === '' ? {} : JSON.parse(s);
		};
		try {
			if (p === '/_admin/health' && m === 'GET')
				return this.sendJson(res, 200, { ok: true, port: this.port });
			if (p === '/_admin/faults' && m === 'GET')
				return this.sendJson(res, 200, { faults: this.faults.json() });
			if (p === '/_admin/faults' && m === 'POST') {
				const b = await bodyJson();
				let list;
				let replace = false;
				if (Array.isArray(b)) {
					list = b;
				} else if (b && Array.isArray(b.faults)) {
					list = b.faults;
					replace = b.replace === true;
				} else {
					list = [b];
				}
				for (const f of list) {
					const err = validateFault(f);
					if (err)
						return this.sendJson(res, 400, { error: err });
				}
				if (replace)
					this.faults.clear();
				const added = list.map((f) => this.faults.add(f).id);
				return this.sendJson(res, 200, { added, faults: this.faults.json() });
			}
			if (p === '/_admin/faults' && m === 'DELETE') {
				this.faults.clear();
				return this.sendJson(res, 200, { faults: [] });
			}
			const fm = /^\/_admin\/faults\/(\d+)$/.exec(p);
			if (fm && m === 'DELETE') {
				if (!this.faults.remove(Number(fm[1])))
					return this.sendJson(res, 404, { error: 'no such fault' });
				return this.sendJson(res, 200, { faults: this.faults.json() });
			}
			if (p === '/_admin/reset' && m === 'POST') {
				this.faults.clear();
				this.log = [];
				this.stats = { total: 0, byPath: new Map(), byFile: new Map() };
				this.resetOptions();
				return this.sendJson(res, 200, { ok: true });
			}
			if (p === '/_admin/log' && m === 'GET') {
				const since = Number(url.searchParams.get('since') || '0');
				return this.sendJson(res, 200, this.log.filter((e) => e.seq > since)
				    .sort((a, b) => a.seq - b.seq));
			}
			if (p === '/_admin/log' && m === 'DELETE') {
				this.log = [];
				return this.sendJson(res, 200, { ok: true });
			}
			if (p === '/_admin/stats' && m === 'GET') {
				return this.sendJson(res, 200, {
					total_bytes: this.stats.total,
					by_path: Object.fromEntries(this.stats.byPath),
					by_file: Object.fromEntries(this.stats.byFile),
				});
			}
			if (p === '/_admin/options' && m === 'GET')
				return this.sendJson(res, 200, this.options);
			if (p === '/_admin/options' && m === 'POST') {
				const b = await bodyJson();
				for (const [k, v] of Object.entries(b)) {
					if (k === 'page_size' && Number.isInteger(v) && v >= 1)
						this.options.page_size = v;
					else if (k === 'gate_api' && typeof v === 'boolean')
						this.options.gate_api = v;
					else if (k === 'tokens' && Array.isArray(v) && v.every((t) => typeof t === 'string'))
						this.options.tokens = v;
					else if (k === 'not_found_status' && (v === 404 || v === 401))
						this.options.not_found_status = v;
					else
						return this.sendJson(res, 400, { error: `bad option ${k}` });
				}
				return this.sendJson(res, 200, this.options);
			}
			if (p === '/_admin/reload' && m === 'POST') {
				await this.reload();
				return this.sendJson(res, 200, { repos: this.reposJson() });
			}
			if (p === '/_admin/repos' && m === 'GET')
				return this.sendJson(res, 200, { repos: this.reposJson() });
		} catch (e) {
			return this.sendJson(res, 400, { error: String(e && e.message ? e.message : e) });
		}
		return this.sendJson(res, 404, { error: `no admin route ${m} ${p}` });
	}

	/* ---- dispatch ---- */

	async handle(req, res, role) {
		const t0 = Date.now();
		const seq = ++this.seq;
		const q = req.url.indexOf('?');
		const rawPath = q < 0 ? req.url : req.url.slice(0, q);
		const url = {
			pathname: rawPath,
			search: q < 0 ? '' : req.url.slice(q),
			searchParams: new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1)),
		};
		res.locals = { bytes: 0 };
		const ctx = {
			role, method: req.method, kind: 'other', repo: null, repoId: null, repoType: null,
			file: null, faults: [], rawPath,
			range: rangeBounds(req.headers.range),
		};
		res.setHeader('X-Request-Id', `fakehub-${seq}`);
		const isAdmin = rawPath.startsWith('/_admin/') || rawPath === '/_admin';
		res.on('close', () => {
			if (isAdmin)
				return;
			this.record({
				seq,
				time: new Date(t0).toISOString(),
				ms: Date.now() - t0,
				role,
				method: req.method,
				host: req.headers.host || '',
				path: rawPath,
				query: url.search.replace(/^\?/, ''),
				range: req.headers.range || null,
				authorization: req.headers.authorization !== undefined,
				status: res.statusCode,
				bytes_sent: res.locals.bytes,
				completed: res.writableFinished,
				kind: ctx.kind,
				repo: ctx.repo ? ctx.repo.id : ctx.repoId,
				file: ctx.file,
				faults: ctx.faults,
			});
		});
		try {
			await this.route(req, res, role, url, ctx, isAdmin);
		} catch (e) {
			if (!res.headersSent) {
				this.sendError(res, 500, null, `fakehub internal error: ${e && e.message ? e.message : e}`);
			} else {
				res.destroy();
			}
			process.stderr.write(`fakehub: ${req.method} ${req.url}: ${e && e.stack ? e.stack : e}\n`);
		}
	}

	async route(req, res, role, url, ctx, isAdmin) {
		const same = this.opts.cdnHost === this.opts.host;
		const rawPath = url.pathname;
		if (!rawPath.startsWith('/'))
			return this.sendError(res, 400, null, 'Bad request target');
		if (isAdmin) {
			if (role !== 'main')
				return this.sendJson(res, 404, { error: 'not found' });
			return this.handleAdmin(req, res, url);
		}
		let segs;
		try {
			segs = rawPath.split('/').slice(1).map(decodeURIComponent);
		} catch {
			return this.sendError(res, 400, null, 'Bad percent-encoding in URL');
		}
		if (segs[0] === 'cdn' && segs.length === 2 && (role === 'cdn' || same)) {
			ctx.kind = 'cdn';
			if (req.method !== 'GET' && req.method !== 'HEAD')
				return this.sendXmlError(res, 405, 'MethodNotAllowed', 'Method not allowed');
			return this.handleCdn(req, res, ctx, segs[1], url);
		}
		if (role === 'cdn')
			return this.sendXmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');

		if (segs[0] === 'api' && segs[1] === 'whoami-v2') {
			ctx.kind = 'whoami';
			if (this.applyStatusFaults(req, res, ctx))
				return;
			const tok = this.tokenOf(req);
			if (tok === null || !this.options.tokens.includes(tok))
				return this.sendError(res, 401, null, 'Invalid credentials in Authorization header');
			return this.sendJson(res, 200, { type: 'user', name: 'fakehub-user', fullname: 'Fake Hub User',
			    auth: { type: 'access_token', accessToken: { role: 'read' } } });
		}

		if (segs[0] === 'api' && segs[1] === 'resolve-cache' && (segs[2] === 'models' || segs[2] === 'datasets')) {
			const type = segs[2] === 'models' ? 'model' : 'dataset';
			ctx.kind = 'resolve-cache';
			ctx.repoType = type;
			let id = null;
			let rest = null;
			for (const n of [2, 1]) {
				if (segs.length > 3 + n && this.repoByKey(type, segs.slice(3, 3 + n).join('/'))) {
					id = segs.slice(3, 3 + n).join('/');
					rest = segs.slice(3 + n);
					break;
				}
			}
			if (id === null) {
				ctx.repoId = segs.slice(3, 5).join('/');
				if (this.applyStatusFaults(req, res, ctx))
					return;
				return this.repoNotFound(res, type, ctx.repoId);
			}
			ctx.repo = this.repoByKey(type, id);
			ctx.file = rest.slice(1).join('/');
			if (this.applyStatusFaults(req, res, ctx))
				return;
			if (req.method !== 'GET' && req.method !== 'HEAD')
				return this.sendError(res, 405, null, 'Method not allowed');
			return this.handleResolveCache(req, res, ctx, ctx.repo, rest[0], rest.slice(1).join('/'));
		}

		if (segs[0] === 'api' && (segs[1] === 'models' || segs[1] === 'datasets')) {
			const type = segs[1] === 'models' ? 'model' : 'dataset';
			ctx.repoType = type;
			const { id, rest } = this.splitRepo(type, segs.slice(2), ['revision', 'tree', 'paths-info']);
			ctx.repoId = id;
			const repo = this.repoByKey(type, id);
			ctx.repo = repo;
			let kind = null;
			if (rest.length === 0 || (rest[0] === 'revision' && rest.length === 2))
				kind = 'info';
			else if (rest[0] === 'tree' && rest.length >= 2)
				kind = 'tree';
			else if (rest[0] === 'paths-info' && rest.length === 2)
				kind = 'paths-info';
			if (kind === null)
				return this.sendError(res, 404, null, `Sorry, we can't find the page you are looking for (${rawPath})`);
			ctx.kind = kind;
			if (this.applyStatusFaults(req, res, ctx))
				return;
			if (!repo)
				return this.repoNotFound(res, type, id);
			if (kind === 'info') {
				if (req.method !== 'GET' && req.method !== 'HEAD')
					return this.sendError(res, 405, null, 'Method not allowed');
				return this.handleInfo(req, res, ctx, repo, rest.length === 2 ? rest[1] : 'main', url);
			}
			if (kind === 'tree') {
				if (req.method !== 'GET' && req.method !== 'HEAD')
					return this.sendError(res, 405, null, 'Method not allowed');
				return this.handleTree(req, res, ctx, repo, rest[1], rest.slice(2).join('/'), url);
			}
			if (req.method !== 'POST')
				return this.sendError(res, 405, null, 'Method not allowed');
			return this.handlePathsInfo(req, res, ctx, repo, rest[1]);
		}

		/* [datasets/]<id>/(resolve|raw)/<rev>/<path> */
		let type = 'model';
		let s = segs;
		if (s[0] === 'datasets') {
			type = 'dataset';
			s = s.slice(1);
		}
		let k = -1;
		for (const i of [1, 2]) {
			if ((s[i] === 'resolve' || s[i] === 'raw') && s.length >= i + 3) {
				if (k < 0 || this.repoByKey(type, s.slice(0, i).join('/')))
					k = i;
			}
		}
		if (k < 0)
			return this.sendError(res, 404, null, `Sorry, we can't find the page you are looking for (${rawPath})`);
		const id = s.slice(0, k).join('/');
		ctx.kind = s[k] === 'raw' ? 'raw' : 'resolve';
		ctx.repoType = type;
		ctx.repoId = id;
		const repo = this.repoByKey(type, id);
		ctx.repo = repo;
		const filePath = s.slice(k + 2).join('/');
		ctx.file = filePath;
		if (this.applyStatusFaults(req, res, ctx))
			return;
		if (!repo)
			return this.repoNotFound(res, type, id);
		if (req.method !== 'GET' && req.method !== 'HEAD')
			return this.sendError(res, 405, null, 'Method not allowed');
		return this.handleResolve(req, res, ctx, repo, s[k + 1], filePath, s[k] === 'raw');
	}
}

/* ---------------------------------------------------------- body writer */

/* The bytes a Range header asks for, as far as the file goes: [start, end]
 * (end Infinity when open); the whole file without one (or for a suffix). */
function rangeBounds(h) {
	const m = h ? /^\s*bytes\s*=\s*(\d+)\s*-\s*(\d*)\s*$/i.exec(h) : null;
	if (!m)
		return { start: 0, end: Infinity };
	return { start: Number(m[1]), end: m[2] === '' ? Infinity : Number(m[2]) };
}

function parseRange(h, size) {
	if (!h || size === 0)
		return null;
	const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(h);
	if (!m || (m[1] === '' && m[2] === ''))
		return null;
	let start;
	let end;
	if (m[1] === '') {
		const n = Number(m[2]);
		if (n === 0)
			return { unsatisfiable: true };
		start = Math.max(0, size - n);
		end = size - 1;
	} else {
		start = Number(m[1]);
		if (m[2] !== '' && Number(m[2]) < start)
			return null;
		end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
	}
	if (start >= size)
		return { unsatisfiable: true };
	return { start, end };
}

function fileSource(abs, size) {
	return {
		size,
		read(start, end) {
			return fs.createReadStream(abs, { start, end, highWaterMark: CHUNK });
		},
	};
}

function bufferSource(buf) {
	return {
		size: buf.length,
		async *read(start, end) {
			for (let o = start; o <= end; o += CHUNK)
				yield buf.subarray(o, Math.min(end + 1, o + CHUNK));
		},
	};
}

class BodyWriter {
	constructor(res, plan) {
		this.res = res;
		this.plan = plan;
		this.sent = 0;
		this.t0 = Date.now();
		this.closed = false;
		this.stalled = false;
		this.lastFlush = Promise.resolve();
		res.on('close', () => {
			this.closed = true;
		});
	}

	write(buf) {
		if (this.closed || this.res.destroyed)
			return Promise.resolve(false);
		let done;
		this.lastFlush = new Promise((r) => {
			done = r;
		});
		const ok = this.res.write(buf, () => done());
		this.sent += buf.length;
		this.res.locals.bytes += buf.length;
		if (ok)
			return Promise.resolve(true);
		return new Promise((resolve) => {
			const onDrain = () => {
				cleanup();
				resolve(true);
			};
			const onClose = () => {
				cleanup();
				resolve(false);
			};
			const cleanup = () => {
				this.res.off('drain', onDrain);
				this.res.off('close', onClose);
			};
			this.res.on('drain', onDrain);
			this.res.on('close', onClose);
		});
	}

	async finish() {
		if (this.sent === 0 && !this.res.destroyed)
			this.res.flushHeaders();
		await Promise.race([this.lastFlush, new Promise((r) => this.res.once('close', r))]);
	}

	hardClose() {
		const sock = this.res.socket;
		if (!sock)
			return;
		if (this.plan.rst && typeof sock.resetAndDestroy === 'function')
			sock.resetAndDestroy();
		else
			sock.destroy();
	}

	/* Handles cut/stall when the body position reaches their offset.
	 * Returns false when the response is over. */
	async checkpoints() {
		const p = this.plan;
		if (p.cutAt !== null && this.sent >= p.cutAt) {
			await this.finish();
			setTimeout(() => this.hardClose(), 20);
			this.closed = true;
			return false;
		}
		if (p.stallAt !== null && !this.stalled && this.sent >= p.stallAt) {
			this.stalled = true;
			await this.finish();
			await new Promise((r) => {
				const t = p.stallMs !== null ? setTimeout(r, p.stallMs) : null;
				this.res.once('close', () => {
					if (t)
						clearTimeout(t);
					r();
				});
			});
			if (this.closed)
				return false;
			if (p.stallThen === 'close') {
				this.hardClose();
				this.closed = true;
				return false;
			}
		}
		return true;
	}

	async send(buf) {
		let off = 0;
		while (off < buf.length) {
			if (!(await this.checkpoints()))
				return false;
			let n = buf.length - off;
			const p = this.plan;
			if (p.cutAt !== null)
				n = Math.min(n, p.cutAt - this.sent);
			if (p.stallAt !== null && !this.stalled)
				n = Math.min(n, p.stallAt - this.sent);
			if (p.rate) {
				n = Math.min(n, Math.max(1, Math.floor(p.rate / 20)));
				const due = this.t0 + ((this.sent + n) / p.rate) * 1000;
				const wait = due - Date.now();
				if (wait > 0)
					await sleep(wait);
				if (this.closed)
					return false;
			}
			let piece = buf.subarray(off, off + n);
			if (p.flips.length) {
				piece = Buffer.from(piece);
				for (const fl of p.flips) {
					for (let i = 0; i < fl.count; i++) {
						const at = fl.at + i - this.sent;
						if (at >= 0 && at < piece.length)
							piece[at] ^= 0xff;
					}
				}
			}
			if (!(await this.write(piece)))
				return false;
			off += n;
		}
		return true;
	}

	async sendRange(src, start, end) {
		if (end < start)
			return this.checkpoints();
		const stream = src.read(start, end);
		try {
			for await (const chunk of stream) {
				if (!(await this.send(chunk)))
					return false;
			}
		} finally {
			if (typeof stream.destroy === 'function')
				stream.destroy();
		}
		return true;
	}

	async atEnd() {
		return this.checkpoints();
	}
}

function readBody(req, limit) {
	return new Promise((resolve, reject) => {
		const parts = [];
		let n = 0;
		req.on('data', (c) => {
			n += c.length;
			if (n > limit) {
				reject(new Error('request body too large'));
				req.destroy();
				return;
			}
			parts.push(c);
		});
		req.on('end', () => resolve(Buffer.concat(parts)));
		req.on('error', reject);
	});
}

/* ----------------------------------------------------------------- main */

function listen(server, port, host) {
	return new Promise((resolve, reject) => {
		const onErr = (e) => {
			server.off('listening', onOk);
			reject(e);
		};
		const onOk = () => {
			server.off('error', onErr);
			resolve(server.address().port);
		};
		server.once('error', onErr);
		server.once('listening', onOk);
		server.listen(port, host);
	});
}

function closeServer(s) {
	return new Promise((r) => {
		if (!s.listening) {
			r();
			return;
		}
		s.close(() => r());
		if (typeof s.closeAllConnections === 'function')
			s.closeAllConnections();
	});
}

async function main() {
	const opts = parseArgs(process.argv.slice(2));
	if (!(await isDirectory(opts.root))) {
		process.stderr.write(`fakehub: --root ${opts.root} is not a directory\n`);
		process.exit(2);
	}
	const hub = new FakeHub(opts);
	await hub.reload();
	/* --cdn-host naming the same address as --host (e.g. localhost and
	 * 127.0.0.1): one listener, the role comes from the Host header. */
	const addrOf = async (h) => {
		try {
			return (await dns.lookup(h)).address;
		} catch {
			return h;
		}
	};
	const single = opts.cdnHost === opts.host || (await addrOf(opts.cdnHost)) === (await addrOf(opts.host));
	const hostRole = (req) => {
		const h = String(req.headers.host || '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
		return h === opts.cdnHost && opts.cdnHost !== opts.host ? 'cdn' : 'main';
	};
	const mk = (role) => {
		const s = http.createServer((req, res) => {
			hub.handle(req, res, role === 'auto' ? hostRole(req) : role);
		});
		s.keepAliveTimeout = 5000;
		s.requestTimeout = 0;
		s.headersTimeout = 60000;
		return s;
	};
	const main_ = mk(single ? 'auto' : 'main');
	const cdn = single ? null : mk('cdn');
	let port = null;
	for (let attempt = 0; attempt < 50 && port === null; attempt++) {
		const p = await listen(main_, opts.port, opts.host);
		if (!cdn) {
			port = p;
			break;
		}
		try {
			await listen(cdn, p, opts.cdnHost);
			port = p;
		} catch (e) {
			await closeServer(main_);
			if (opts.port !== 0 || e.code !== 'EADDRINUSE')
				throw e;
		}
	}
	if (port === null)
		throw new Error('could not find a port free on both hosts');
	hub.port = port;
	process.stdout.write(`fakehub listening on http://${opts.host}:${port}\n`);
	const stop = async () => {
		await Promise.all([closeServer(main_), cdn ? closeServer(cdn) : null]);
		if (hub.logStream)
			hub.logStream.end();
		process.exit(0);
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
}

if (require.main === module) {
	main().catch((e) => {
		process.stderr.write(`fakehub: ${e && e.stack ? e.stack : e}\n`);
		process.exit(1);
	});
}

module.exports = { FakeHub, buildIndex, parseRange, globMatch, lfsPointer, gitBlobOid };
