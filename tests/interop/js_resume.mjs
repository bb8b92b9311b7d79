#!/usr/bin/env node
/*
 * js_resume.mjs HUB_URL REPO PATH CACHE_DIR COMMIT
 * A client that resumes partial files the way huggingface_hub <= 1.17 did,
 * built on @huggingface/hub (pathsInfo, downloadFile): the blob's
 * blobs/<etag>.incomplete, if any, is taken as the first bytes of the file
 * (its size is where the Range starts), the rest is appended, the SHA-256
 * of an LFS file checked, and the file renamed onto blobs/<etag>.  Any
 * other partial file (ours: <etag>.mm.incomplete) is not its business.
 * Prints {"etag", "resumed_from", "path"}; on error {"error"} and exit 1
 * (a digest mismatch too: the partial file was not a prefix of the file).
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

import { downloadFile, getRepoFolderName, pathsInfo } from "@huggingface/hub";

console.debug = (...a) => console.error(...a);
console.info = (...a) => console.error(...a);
console.log = (...a) => console.error(...a);

async function sizeOf(p) {
	try {
		return (await stat(p)).size;
	} catch {
		return 0;
	}
}

async function sha256Of(p) {
	const h = createHash("sha256");
	await pipeline(createReadStream(p), h);
	return h.digest("hex");
}

async function main(argv) {
	if (argv.length !== 5) {
		console.error("usage: js_resume.mjs HUB_URL REPO PATH CACHE_DIR COMMIT");
		return 2;
	}
	const [hub, repo, path, cacheDir, revision] = argv;
	const hubUrl = hub.replace(/\/+$/, "");
	const [info] = await pathsInfo({ repo, paths: [path], revision, hubUrl });
	const etag = info.lfs ? info.lfs.oid : info.oid;
	const blobs = join(cacheDir, getRepoFolderName({ type: "model", name: repo }), "blobs");
	const incomplete = join(blobs, `${etag}.incomplete`);
	await mkdir(blobs, { recursive: true });
	const have = await sizeOf(incomplete);
	const blob = await downloadFile({ repo, path, revision, hubUrl });
	if (have < blob.size)
		await pipeline(Readable.fromWeb(blob.slice(have).stream()),
		    createWriteStream(incomplete, { flags: "a" }));
	if (info.lfs && (await sha256Of(incomplete)) !== etag) {
		await unlink(incomplete);
		throw new Error(`consistency check failed: ${etag}.incomplete resumed from ${have} does not match`);
	}
	await rename(incomplete, join(blobs, etag));
	process.stdout.write(JSON.stringify({ etag, resumed_from: have, path: join(blobs, etag) }) + "\n");
	return 0;
}

main(process.argv.slice(2)).then((rc) => process.exit(rc), (e) => {
	process.stdout.write(JSON.stringify({ error: String(e && e.message ? e.message : e) }) + "\n");
	process.exit(1);
});
