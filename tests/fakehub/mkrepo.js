#!/usr/bin/env node
/*
 * mkrepo.js - writes repositories for the fake hub onto disk.
 *
 * Synthetic repo (deterministic content from a seed, so big files never go
 * into git):
 *   node mkrepo.js --root DIR --repo [datasets/]ORG/NAME [--seed S]
 *        [--file PATH=SIZE]... [--files N --size SIZE [--subdirs K] [--ext .dat]]
 *        [--gated] [--clean]
 *   SIZE accepts a K, M or G suffix (powers of 1024). Files named *.json,
 *   *.txt or *.md get printable text, other files pseudo-random bytes
 *   (AES-128-CTR keystream keyed by seed and path). Prints a JSON summary:
 *   {"repo", "dir", "files": [{"path", "size"}], "bytes"}.
 *
 * Demo repos (the small repos shipped beside this file):
 *   node mkrepo.js --demo OUTDIR
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const GEN_CHUNK = 1024 * 1024;

function parseSize(s) {
	const m = /^(\d+)([KMG]i?B?)?$/i.exec(String(s).trim());
	if (!m)
		throw new Error(`bad size ${JSON.stringify(s)}`);
	const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(m[2] || '').charAt(0).toUpperCase()];
	return Number(m[1]) * mult;
}

function isTextName(p) {
	return /\.(json|txt|md)$/i.test(p);
}

/* Deterministic byte generator for (seed, path). */
function keystream(seed, relPath) {
	const key = crypto.createHash('sha256').update(`${seed}\0${relPath}`).digest().subarray(0, 16);
	return crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
}

function writeGenerated(abs, relPath, size, seed) {
	const fd = fs.openSync(abs, 'w');
	try {
		const ks = keystream(seed, relPath);
		const zeros = Buffer.alloc(GEN_CHUNK);
		const text = isTextName(relPath);
		let left = size;
		while (left > 0) {
			const n = Math.min(left, GEN_CHUNK);
			let buf;
			if (text) {
				/* hex text, 64 characters a line */
				const raw = ks.update(zeros.subarray(0, Math.ceil(n / 2)));
				buf = Buffer.from(raw.toString('hex').slice(0, n));
				for (let i = 64; i < buf.length; i += 65)
					buf[i] = 0x0a;
			} else {
				buf = ks.update(zeros.subarray(0, n));
			}
			fs.writeSync(fd, buf);
			left -= n;
		}
	} finally {
		fs.closeSync(fd);
	}
}

function safeRel(p) {
	const segs = p.split('/');
	if (p === '' || p.startsWith('/') || p.includes('\\') || segs.some((s) => s === '' || s === '.' || s === '..'))
		throw new Error(`bad repo path ${JSON.stringify(p)}`);
	return p;
}

function repoDir(root, repo) {
	const segs = repo.split('/');
	const ok = (segs.length === 2 || segs.length === 3) &&
	    segs.every((s) => /^[A-Za-z0-9._-]+$/.test(s) && s !== '.' && s !== '..') &&
	    (segs.length === 2 || segs[0] === 'datasets');
	if (!ok)
		throw new Error(`bad repo id ${JSON.stringify(repo)} (want ORG/NAME or datasets/ORG/NAME)`);
	return path.join(root, ...segs);
}

/*
 * makeRepo({root, repo, seed, files: [{path, size} | {path, content}],
 *           gated, clean}) -> summary
 */
function makeRepo(o) {
	const dir = repoDir(o.root, o.repo);
	if (o.clean)
		fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	const seed = o.seed === undefined ? 'fakehub' : String(o.seed);
	const out = [];
	let bytes = 0;
	for (const f of o.files || []) {
		const rel = safeRel(f.path);
		const abs = path.join(dir, ...rel.split('/'));
		fs.mkdirSync(path.dirname(abs), { recursive: true });
		if (f.content !== undefined) {
			const buf = Buffer.isBuffer(f.content) ? f.content : Buffer.from(String(f.content));
			fs.writeFileSync(abs, buf);
			out.push({ path: rel, size: buf.length });
			bytes += buf.length;
		} else {
			writeGenerated(abs, rel, f.size, seed);
			out.push({ path: rel, size: f.size });
			bytes += f.size;
		}
	}
	if (o.gated)
		fs.writeFileSync(path.join(dir, '.gated'), '');
	return { repo: o.repo, dir, files: out, bytes };
}

/* ----------------------------------------------------------- demo repos */

function json(o) {
	return JSON.stringify(o, null, 2) + '\n';
}

/* A valid safetensors file of `count` F32 values with a periodic (so
 * well-compressible) pattern. */
function safetensors(tensors) {
	const header = { __metadata__: { format: 'pt', note: 'fake weights for offline demos' } };
	let off = 0;
	for (const t of tensors) {
		const n = t.shape.reduce((a, b) => a * b, 1);
		header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [off, off + n * 4] };
		off += n * 4;
	}
	let hjson = JSON.stringify(header);
	while ((8 + Buffer.byteLength(hjson)) % 8 !== 0)
		hjson += ' ';
	const hbuf = Buffer.from(hjson);
	const data = Buffer.alloc(off);
	let i = 0;
	for (const t of tensors) {
		const n = t.shape.reduce((a, b) => a * b, 1);
		for (let k = 0; k < n; k++, i++)
			data.writeFloatLE((((k * 7919 + t.seed) % 2001) - 1000) / 20000, i * 4);
	}
	const len = Buffer.alloc(8);
	len.writeBigUInt64LE(BigInt(hbuf.length));
	return Buffer.concat([len, hbuf, data]);
}

const GITATTRIBUTES = [
	'*.bin filter=lfs diff=lfs merge=lfs -text',
	'*.onnx filter=lfs diff=lfs merge=lfs -text',
	'*.pt filter=lfs diff=lfs merge=lfs -text',
	'*.safetensors filter=lfs diff=lfs merge=lfs -text',
	'',
].join('\n');

function bertConfig(hidden, layers, extra) {
	return json({
		architectures: ['BertModel'],
		attention_probs_dropout_prob: 0.1,
		hidden_act: 'gelu',
		hidden_dropout_prob: 0.1,
		hidden_size: hidden,
		initializer_range: 0.02,
		intermediate_size: hidden * 4,
		layer_norm_eps: 1e-12,
		max_position_embeddings: 512,
		model_type: 'bert',
		num_attention_heads: 12,
		num_hidden_layers: layers,
		pad_token_id: 0,
		position_embedding_type: 'absolute',
		torch_dtype: 'float32',
		transformers_version: '4.40.0',
		type_vocab_size: 2,
		use_cache: true,
		vocab_size: 30522,
		...extra,
	});
}

function tinyTokenizer() {
	const vocab = { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '[MASK]': 4 };
	const words = ['the', 'a', 'model', 'manager', 'fake', 'hub', 'demo', 'offline', 'embedding', 'search',
		'vector', 'query', 'document', 'semantic', 'token', '##s', '##ing', '##ed', '.', ','];
	words.forEach((w, i) => {
		vocab[w] = i + 5;
	});
	return {
		json: json({
			version: '1.0',
			truncation: null,
			padding: null,
			added_tokens: [0, 1, 2, 3, 4].map((id) => ({
				id, content: Object.keys(vocab)[id], single_word: false, lstrip: false, rstrip: false,
				normalized: false, special: true,
			})),
			normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true,
				strip_accents: null, lowercase: true },
			pre_tokenizer: { type: 'BertPreTokenizer' },
			post_processor: null,
			decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
			model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##',
				max_input_chars_per_word: 100, vocab },
		}),
		vocab: Object.keys(vocab).join('\n') + '\n',
	};
}

function readme(id, what) {
	return `---\nlicense: apache-2.0\ntags:\n- fakehub-demo\n---\n\n# ${id} (offline demo)\n\n` +
	    `A tiny stand-in for ${id} served by the fake hub so downloads can be tried without\n` +
	    `network access. ${what} The weights are patterned numbers, not a trained model.\n`;
}

function demoRepos() {
	const tok = tinyTokenizer();
	const tokConfig = json({ do_lower_case: true, model_max_length: 512, tokenizer_class: 'BertTokenizer',
		cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' });
	const special = json({ cls_token: '[CLS]', mask_token: '[MASK]', pad_token: '[PAD]', sep_token: '[SEP]',
		unk_token: '[UNK]' });
	const modules = json([
		{ idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
		{ idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
		{ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
	]);
	const pooling = (dim, mode) => json({
		word_embedding_dimension: dim,
		pooling_mode_cls_token: mode === 'cls',
		pooling_mode_mean_tokens: mode === 'mean',
		pooling_mode_max_tokens: false,
		pooling_mode_mean_sqrt_len_tokens: false,
	});
	return [
		{
			repo: 'sentence-transformers/all-MiniLM-L6-v2',
			meta: { info: { pipeline_tag: 'sentence-similarity', library_name: 'sentence-transformers' } },
			files: {
				'.gitattributes': GITATTRIBUTES,
				'README.md': readme('sentence-transformers/all-MiniLM-L6-v2', 'It maps text to 384 dimensions.'),
				'config.json': bertConfig(384, 6, { _name_or_path: 'nreimers/MiniLM-L6-H384-uncased' }),
				'config_sentence_transformers.json': json({ __version__: { sentence_transformers: '2.0.0' } }),
				'modules.json': modules,
				'sentence_bert_config.json': json({ max_seq_length: 256, do_lower_case: false }),
				'special_tokens_map.json': special,
				'tokenizer.json': tok.json,
				'tokenizer_config.json': tokConfig,
				'vocab.txt': tok.vocab,
				'1_Pooling/config.json': pooling(384, 'mean'),
				'model.safetensors': safetensors([
					{ name: 'embeddings.word_embeddings.weight', shape: [125, 384], seed: 1 },
					{ name: 'pooler.dense.weight', shape: [8, 384], seed: 2 },
				]),
			},
		},
		{
			repo: 'BAAI/bge-small-en-v1.5',
			meta: { info: { pipeline_tag: 'feature-extraction', library_name: 'sentence-transformers' } },
			files: {
				'README.md': readme('BAAI/bge-small-en-v1.5', 'It maps text to 384 dimensions.'),
				'config.json': bertConfig(384, 12, {}),
				'modules.json': modules,
				'tokenizer_config.json': tokConfig,
				'special_tokens_map.json': special,
				'1_Pooling/config.json': pooling(384, 'cls'),
				'model.safetensors': safetensors([
					{ name: 'embeddings.word_embeddings.weight', shape: [40, 384], seed: 3 },
				]),
			},
		},
		{
			repo: 'naver/splade-v3',
			meta: { info: { pipeline_tag: 'fill-mask', library_name: 'sentence-transformers' } },
			files: {
				'README.md': readme('naver/splade-v3', 'It produces sparse lexical vectors.'),
				'config.json': bertConfig(768, 12, { architectures: ['BertForMaskedLM'] }),
				'tokenizer_config.json': tokConfig,
				'special_tokens_map.json': special,
				'model.safetensors': safetensors([
					{ name: 'cls.predictions.bias', shape: [12288], seed: 4 },
				]),
			},
		},
		{
			repo: 'Qwen/Qwen3-Reranker-0.6B',
			gated: true,
			meta: { info: { pipeline_tag: 'text-ranking', library_name: 'transformers' } },
			files: {
				'README.md': readme('Qwen/Qwen3-Reranker-0.6B', 'This demo copy is gated: it needs the fake hub token.'),
				'config.json': json({ architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', hidden_size: 1024,
					num_hidden_layers: 28, num_attention_heads: 16, vocab_size: 151669, torch_dtype: 'bfloat16' }),
				'generation_config.json': json({ bos_token_id: 151643, eos_token_id: 151645 }),
				'model.safetensors': safetensors([
					{ name: 'lm_head.weight', shape: [8, 1024], seed: 5 },
				]),
			},
		},
	];
}

function makeDemo(outDir) {
	const summary = [];
	for (const r of demoRepos()) {
		const dir = repoDir(outDir, r.repo);
		fs.rmSync(dir, { recursive: true, force: true });
		const s = makeRepo({
			root: outDir, repo: r.repo, gated: r.gated,
			files: Object.entries(r.files).map(([p, content]) => ({ path: p, content })),
		});
		fs.writeFileSync(path.join(dir, '.fakehub.json'), json(r.meta));
		summary.push(s);
	}
	return summary;
}

/* ------------------------------------------------------------------ CLI */

function usage(msg) {
	if (msg)
		process.stderr.write(`mkrepo: ${msg}\n`);
	process.stderr.write('usage: mkrepo.js --root DIR --repo [datasets/]ORG/NAME [--seed S] ' +
	    '[--file PATH=SIZE]... [--files N --size SIZE [--subdirs K] [--ext .dat]] [--gated] [--clean]\n' +
	    '       mkrepo.js --demo OUTDIR\n');
	process.exit(2);
}

function main(argv) {
	const o = { files: [], n: 0, size: null, subdirs: 0, ext: '.dat' };
	const need = (i) => {
		if (i + 1 >= argv.length)
			usage(`${argv[i]} needs a value`);
		return argv[i + 1];
	};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		switch (a) {
		case '--root': o.root = need(i); i++; break;
		case '--repo': o.repo = need(i); i++; break;
		case '--seed': o.seed = need(i); i++; break;
		case '--file': {
			const v = need(i);
			i++;
			const eq = v.lastIndexOf('=');
			if (eq <= 0)
				usage(`--file wants PATH=SIZE, got ${v}`);
			o.files.push({ path: v.slice(0, eq), size: parseSize(v.slice(eq + 1)) });
			break;
		}
		case '--files': o.n = Number(need(i)); i++; break;
		case '--size': o.size = parseSize(need(i)); i++; break;
		case '--subdirs': o.subdirs = Number(need(i)); i++; break;
		case '--ext': o.ext = need(i); i++; break;
		case '--gated': o.gated = true; break;
		case '--clean': o.clean = true; break;
		case '--demo': o.demo = need(i); i++; break;
		case '-h': case '--help': usage(); break;
		default: usage(`unknown argument ${a}`);
		}
	}
	if (o.demo) {
		process.stdout.write(JSON.stringify(makeDemo(o.demo)) + '\n');
		return;
	}
	if (!o.root || !o.repo)
		usage('--root and --repo are required');
	if (!Number.isInteger(o.n) || o.n < 0 || !Number.isInteger(o.subdirs) || o.subdirs < 0)
		usage('--files and --subdirs want non-negative integers');
	if (o.n > 0 && o.size === null)
		usage('--files needs --size');
	const width = String(Math.max(0, o.n - 1)).length;
	for (let k = 0; k < o.n; k++) {
		const name = `file_${String(k).padStart(width, '0')}${o.ext}`;
		const p = o.subdirs > 0 ? `dir_${k % o.subdirs}/${name}` : name;
		o.files.push({ path: p, size: o.size });
	}
	process.stdout.write(JSON.stringify(makeRepo(o)) + '\n');
}

if (require.main === module) {
	try {
		main(process.argv.slice(2));
	} catch (e) {
		process.stderr.write(`mkrepo: ${e && e.message ? e.message : e}\n`);
		process.exit(1);
	}
}

module.exports = { makeRepo, makeDemo, parseSize };
