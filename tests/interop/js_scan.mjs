#!/usr/bin/env node
/*
 * js_scan.mjs CACHE_DIR
 * Runs @huggingface/hub scanCacheDir on CACHE_DIR and prints a normalised
 * JSON summary on stdout:
 *   {"repos": [{"type", "id", "size", "filesCount",
 *               "revisions": [{"commit", "refs", "size",
 *                              "files": [{"path", "size"}]}]}],
 * (file paths relative to the snapshot directory),
 *    "warnings": ["..."]}
 * Repos, revisions, refs and files are sorted. On error prints
 * {"error": "..."} and exits 1.
 */
import { relative } from "node:path";
import { scanCacheDir } from "@huggingface/hub";

const byKey = (k) => (a, b) => (a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : 0);

async function main(argv) {
	if (argv.length !== 1) {
		console.error("usage: js_scan.mjs CACHE_DIR");
		return 2;
	}
	const info = await scanCacheDir(argv[0]);
	const repos = info.repos.map((r) => ({
		type: r.id.type,
		id: r.id.name,
		size: r.size,
		filesCount: r.filesCount,
		revisions: r.revisions.map((v) => ({
			commit: v.commitOid,
			refs: [...v.refs].sort(),
			size: v.size,
			files: v.files.map((f) => ({ path: relative(v.path, f.path), size: f.blob.size })).sort(byKey("path")),
		})).sort(byKey("commit")),
	})).sort((a, b) => (`${a.type}/${a.id}` < `${b.type}/${b.id}` ? -1 : 1));
	const warnings = info.warnings.map((w) => String(w && w.message ? w.message : w)).sort();
	process.stdout.write(JSON.stringify({ repos, warnings }) + "\n");
	return 0;
}

main(process.argv.slice(2)).then((rc) => process.exit(rc), (e) => {
	process.stdout.write(JSON.stringify({ error: String(e && e.message ? e.message : e) }) + "\n");
	process.exit(1);
});
