#!/usr/bin/env node
/*
 * jsscan.mjs CACHE_DIR [WARM_RUNS]
 * Times @huggingface/hub's scanCacheDir on CACHE_DIR, the baseline of the
 * cache scan benchmark: the first call in this fresh process, then
 * WARM_RUNS (default 3) more.  Prints one JSON line: {"first_ms",
 * "warm_ms" (median), "warm_min_ms", "repos", "files", "warnings"}.
 * Note: scanCacheDir does not descend into snapshot sub-folders, so it
 * does less work than a full scan.
 */
import { performance } from "node:perf_hooks";
import { scanCacheDir } from "@huggingface/hub";

async function timed(dir) {
	const t0 = performance.now();
	const info = await scanCacheDir(dir);
	return { ms: performance.now() - t0, info };
}

async function main(argv) {
	if (argv.length < 1 || argv.length > 2) {
		console.error("usage: jsscan.mjs CACHE_DIR [WARM_RUNS]");
		return 2;
	}
	const runs = argv.length === 2 ? Number(argv[1]) : 3;
	if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
		console.error("jsscan.mjs: bad WARM_RUNS");
		return 2;
	}
	const first = await timed(argv[0]);
	const warm = [];
	for (let i = 0; i < runs; i++)
		warm.push((await timed(argv[0])).ms);
	warm.sort((a, b) => a - b);
	const info = first.info;
	const files = info.repos.reduce((n, r) => n + r.filesCount, 0);
	process.stdout.write(JSON.stringify({
		first_ms: Number(first.ms.toFixed(3)),
		warm_ms: Number(warm[Math.floor(runs / 2)].toFixed(3)),
		warm_min_ms: Number(warm[0].toFixed(3)),
		repos: info.repos.length,
		files,
		warnings: info.warnings.length,
	}) + "\n");
	return 0;
}

main(process.argv.slice(2)).then((rc) => process.exit(rc), (e) => {
	console.error(`jsscan.mjs: ${e && e.message ? e.message : e}`);
	process.exit(1);
});
