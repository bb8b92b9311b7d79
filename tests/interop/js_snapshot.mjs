#!/usr/bin/env node
/*
 * js_snapshot.mjs HUB_URL REPO CACHE_DIR [REVISION]
 * Downloads REPO ("org/name" or "datasets/org/name") with @huggingface/hub
 * snapshotDownload into CACHE_DIR, with accessToken from $HF_TOKEN when set.
 * Prints {"path": "<cache>/<repo folder>/snapshots/<commit>"} on stdout.
 * On error prints {"error", "statusCode"?, "url"?} and exits 1.
 * The library's own debug lines go to stderr.
 */
import { snapshotDownload } from "@huggingface/hub";

/* the library logs "Downloading ..." with console.debug on stdout */
console.debug = (...a) => console.error(...a);
console.info = (...a) => console.error(...a);
console.log = (...a) => console.error(...a);

async function main(argv) {
	if (argv.length < 3 || argv.length > 4) {
		console.error("usage: js_snapshot.mjs HUB_URL REPO CACHE_DIR [REVISION]");
		return 2;
	}
	const [hubUrl, repo, cacheDir, revision] = argv;
	const token = process.env.HF_TOKEN;
	const p = await snapshotDownload({
		repo,
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
