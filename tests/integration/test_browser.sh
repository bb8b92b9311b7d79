#!/usr/bin/env bash
#
# The Models page in a real headless Chromium (tests/browser/*.test.mjs,
# playwright-core from tests/package.json, the system's chromium) against a
# stack of its own, with the fake hub serving small repositories and a fake
# VecPipe that reports nothing loaded.
#
# Screenshots (desktop 1440x900 and narrow 390x844) are written to
# $MM_ARTIFACTS/screenshots (default: the test's directory; the path is
# printed) and copied to var/artifacts/screenshots in the checkout.  The
# accessibility check (axe-core) runs in the same tests.  MM_STACK_SH lets
# a test stop and start the stack's Redis.  MM_BROWSER_FILES (a glob under
# tests/browser, default *.test.mjs) runs some of the files only.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
command -v node >/dev/null || { fail "node is not on PATH (Node 18+ needed)"; exit 1; }
[ -x "$CHROMIUM" ] ||
    { fail "$CHROMIUM is missing: make test-deps installs it"; exit 1; }
if [ ! -d "$IT_ROOT/tests/node_modules/playwright-core" ]; then
	echo "installing tests/node_modules (npm ci)"
	(cd "$IT_ROOT/tests" && npm ci --no-audit --no-fund --loglevel=error) ||
	    { fail "npm ci in tests/"; exit 1; }
fi

# The hub's repositories, made here: a config, a tokenizer and 2 MiB of
# weights each, so that a slow_body fault makes a download last seconds.
HUB=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-browser-hub.XXXXXX")
# Removed at exit, then lib.sh's verdict (it reads the exit status).
trap 'rc=$?; set +e; rm -rf "$HUB"; (exit $rc); _it_exit' EXIT
for repo in BAAI/bge-small-en-v1.5 BAAI/bge-base-en-v1.5 intfloat/e5-small-v2 \
    sentence-transformers/all-MiniLM-L6-v2 naver/splade-v3; do
	mkdir -p "$HUB/$repo"
	printf '{"architectures": ["BertModel"], "hidden_size": 384}\n' \
	    >"$HUB/$repo/config.json"
	head -c 49152 /dev/urandom | base64 >"$HUB/$repo/tokenizer.json"
	head -c 2097152 /dev/urandom >"$HUB/$repo/model.safetensors"
done

start_fake fakehub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUB" --port 0
export HF_ENDPOINT=$FAKE_URL MM_FAKEHUB_URL=$FAKE_URL MM_FAKEHUB_ROOT=$HUB
start_fake vecpipe node "$IT_ROOT/tests/fakevecpipe/fakevecpipe.js" --port 0
export SEARCH_API_URL=$FAKE_URL

stack_up

MM_ALICE_TOKEN=$(token_for alice)
SHOTS=${MM_ARTIFACTS:-$IT_DIR/artifacts}/screenshots
mkdir -p "$SHOTS"
export MM_ALICE_TOKEN CHROMIUM MM_SHOTS=$SHOTS MM_BROWSER_TMP=$IT_DIR \
    MM_STACK_SH=$IT_STACK
echo "screenshots: $SHOTS"

rc=0
# shellcheck disable=SC2086
node --test --test-concurrency=1 "$IT_ROOT"/tests/browser/${MM_BROWSER_FILES:-*.test.mjs} ||
    rc=$?
if [ "$rc" -eq 0 ]; then
	pass "browser tests"
else
	fail "browser tests (node --test exited with $rc)"
fi

n=$(find "$SHOTS" -name '*.png' | wc -l)
if [ "$n" -gt 0 ]; then
	dest=$IT_ROOT/var/artifacts/screenshots
	mkdir -p "$dest"
	if [ "$(cd "$SHOTS" && pwd -P)" != "$(cd "$dest" && pwd -P)" ]; then
		rm -f "$dest"/*.png
		cp "$SHOTS"/*.png "$dest/"
	fi
	pass "$n screenshots in var/artifacts/screenshots"
else
	fail "no screenshots were written"
fi
