#!/usr/bin/env node
/*
 * js_download.mjs HUB_URL REPO PATH CACHE_DIR [REVISION]
 * Downloads one file with @huggingface/hub downloadFileToCacheDir (token from
 * $HF_TOKEN when set). Prints {"path": "<pointer path>"}; on error
 * {"error", "statusCode"?, "url"?} and exit 1. Note: with a branch revision
 * the library files the pointer under the file's lastCommit id and writes no
 * ref; pass the 40-hex commit for a layout comparable with Python.
 */
import { downloadFileToCacheDir } from "@huggingface/hub";

console.debug = (...a) => console.error(...a);
console.info = (...a) => console.error(...a);
console.log = (...a) => console.error(...a);

async function main(argv) {
	if (argv.length < 4 || argv.length > 5) {
		console.error("usage: js_download.mjs HUB_URL REPO PATH CACHE_DIR [REVISION]");
		return 2;
	}
	const [hubUrl, repo, path, cacheDir, revision] = argv;
	const token = process.env.HF_TOKEN;
	const p = await downloadFileToCacheDir({
		repo,
		path,
		cacheDir,
		hubUrl: hubUrl.replace(/\/+$/, ""),
		...(revision ? { revision } : {}),
		...(token ? { accessToken: token } : {}),
	});
	process.stdout.write(JSON.stringify({ path: p }) + "\n");
	return 0;
}

main(process.argv.slice(2)).then((rc) => process.exit(rc), (e) => {
	const out = { error: String(e && e.message ? e.message : e) };
	if (e && typeof e.statusCode === "number")
		out.statusCode = e.statusCode;
	if (e && typeof e.url === "string")
		out.url = e.url;
	process.stdout.write(JSON.stringify(out) + "\n");
	process.exit(1);
});
