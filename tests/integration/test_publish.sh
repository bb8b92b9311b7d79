#!/usr/bin/env bash
#
# How a download publishes its snapshot, and what it does with a cache an
# attacker in the cache's group has tampered with:
# - a job child frozen and killed while it writes the snapshot links of a
#   repo with thousands of files leaves nothing "installed" (list and
#   usage), the next download is not `already_installed`, completes with
#   every file, and removes the leftover staging directory, even with a
#   symlink to outside the cache and a tree deeper than PATH_MAX planted in
#   it (the links are removed, never what they point to);
# - `.locks/<repo folder>` and `<repo>/blobs` planted as symlinks to
#   directories outside the cache: the download fails, naming the path,
#   and nothing outside the cache is created, written or removed; once
#   removed, a fifo planted as refs/main does not hang the next download;
# - `<repo>/.mm-staging` planted as a symlink to a directory outside the
#   cache, and `refs/main` as a symlink to a file outside holding a secret:
#   the download completes, the symlinks themselves are replaced or
#   removed, the outside files are untouched, and the secret appears in no
#   log and no answer;
# - `blobs/<etag>.incomplete` planted as a hard link to a file outside:
#   the download fails naming it, and the outside file is untouched.

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

HUBROOT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-hub.XXXXXX")
OUT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-outside.XXXXXX")
at_exit "rm -rf '$HUBROOT' '$OUT'"
M1=intfloat/e5-small-v2			# thousands of links, killed mid-publish
M2=BAAI/bge-small-en-v1.5		# .locks/<folder> a symlink
M3=sentence-transformers/all-MiniLM-L6-v2	# blobs/ a symlink
M4=intfloat/e5-base-v2			# .mm-staging and refs/main symlinks
M5=intfloat/e5-large-v2			# a partial file hard-linked outside
NDIRS=100 NPER=200 NFILES=$((100 * 200))

# M1: NFILES small files with one content (one blob, NFILES links).
for ((d = 0; d < NDIRS; d++)); do
	mkdir -p "$HUBROOT/$M1/d$d"
	for ((f = 0; f < NPER; f++)); do
		printf 'same\n' >"$HUBROOT/$M1/d$d/f$f.txt"
	done
done
for m in $M2 $M3 $M4 $M5; do
	node "$IT_ROOT/tests/fakehub/mkrepo.js" --root "$HUBROOT" --repo "$m" \
	    --seed "$m" --file config.json=700 --file sub/model.safetensors=64K \
	    >/dev/null
done
start_fake hub node "$IT_ROOT/tests/fakehub/fakehub.js" --root "$HUBROOT" \
    --port 0
HUB=$FAKE_URL
export HF_ENDPOINT=$HUB
test_config progress_interval_ms 100 retry_max 0 disk_reserve_mb 0
stack_up
T=$(token_for admin)
ANSWERS=$IT_DIR/answers

start()		# MODEL: starts a download, sets tid
{
	api POST /api/v2/models/download "$T" "{\"model_id\":\"$1\"}"
	tid=$(json .task_id)
	assert_eq "200 pending" "$status $(json .status)" "download $1 queued"
}

installed()	# MODEL: the list's is_installed, after a fresh scan
{
	api GET "/api/v2/models?force_refresh_cache=true" "$T"
	json ".models[] | select(.id == \"$1\") | .is_installed"
}

# --- killed while the snapshot links are written --------------------------

C1=$(curl -sf "$HUB/api/models/$M1" | jq -r .sha)
R1=$(repo_dir $M1)
start $M1
tid1=$tid
# The links go to <repo>/.mm-staging/<commit>/ (before: straight into
# snapshots/<commit>/): freeze the child as soon as either appears.
deadline=$((SECONDS + 120))
while [ ! -e "$R1/.mm-staging/$C1" ] && [ ! -e "$R1/snapshots/$C1" ] &&
    [ "$SECONDS" -lt "$deadline" ]; do
	:
done
child=$(pgrep -P "$(pid_of jobd)" | head -n 1)
if [ -n "$child" ] && kill -STOP "$child"; then
	pass "job child $child frozen while it writes the snapshot"
else
	fail "no job child to freeze (snapshot dir: $(ls "$R1"/snapshots))"
fi
nlinks=$(find "$R1" -type l | wc -l)
printf 'links written when frozen: %s of %s\n' "$nlinks" "$NFILES"
[ "$nlinks" -lt "$NFILES" ] && pass "frozen before the last link" ||
    fail "frozen after the last link ($nlinks): nothing was interrupted"
kill -KILL "$child"
wait_task "$tid1" failed 60
assert_eq false "$(installed $M1)" "killed mid-publish: the list says not installed"
api GET "/api/v2/models/usage?model_id=$M1" "$T"
assert_json '.is_installed == false' "killed mid-publish: usage says not installed"

# The leftover staging directory, made worse: a link to a directory outside
# the cache and a tree deeper than PATH_MAX.
mkdir -m 0777 "$OUT/linked"
printf 'canary\n' >"$OUT/linked/canary"
chmod 0666 "$OUT/linked/canary"
owner=$(stat -c %u:%g "$R1")
if [ -d "$R1/.mm-staging/$C1" ]; then
	pass "the killed run left its staging directory"
	ln -s "$OUT/linked" "$R1/.mm-staging/$C1/evil"
	(cd "$R1/.mm-staging/$C1" && perl -e \
	    'for (1 .. 2100) { mkdir "deep" or die; chdir "deep" or die }')
	chown -hR "$owner" "$R1/.mm-staging"
else
	fail "the killed run left no staging directory"
fi
start $M1
wait_task "$tid" completed 120
assert_ok "the job says it removed the leftover" grep -q \
    "removing models--intfloat--e5-small-v2/.mm-staging" "$MM_VAR/log/mm-jobd.log"
assert_eq true "$(installed $M1)" "the next download installs it"
assert_file_absent "$R1/.mm-staging" "the leftover staging directory is gone"
assert_eq "$NFILES" "$(find "$R1/snapshots/$C1" -type l | wc -l)" \
    "the snapshot has every file"
assert_no_output "every link of the snapshot resolves" \
    find -L "$R1/snapshots/$C1" -type l
assert_eq "$C1" "$(cat "$R1/refs/main")" "refs/main names the commit"
assert_eq canary "$(cat "$OUT/linked/canary")" \
    "the canary a staging link pointed to is untouched"

# --- symlinks to outside the cache in the downloader's way ----------------

# holding STRING PATH: the files under PATH that hold STRING (a grep that
# fails, rather than finding nothing, fails).
holding()
{
	grep -r -F -l -- "$1" "$2"
	[ $? -le 1 ]
}

# outside_state: every path outside with its type, size and checksum.
outside_state()
{
	(cd "$OUT" && find . -printf '%p %y %s\n' | sort &&
	    find . -type f -exec md5sum {} + | sort)
}

R2=$(repo_dir $M2) R3=$(repo_dir $M3) R4=$(repo_dir $M4)
owner=$(stat -c %u:%g "$HF_HUB_CACHE")
mkdir -m 0777 "$OUT/locks" "$OUT/blobs" "$OUT/staging"
SECRET=mm-secret-$RANDOM$RANDOM$RANDOM
printf '%s' "$SECRET" >"$OUT/secret"
for f in locks/canary blobs/canary staging/canary; do
	printf 'canary\n' >"$OUT/$f"
done
chmod 0666 "$OUT"/*/canary "$OUT/secret"
mkdir -p "$HF_HUB_CACHE/.locks" "$R3" "$R4/refs"
ln -s "$OUT/locks" "$HF_HUB_CACHE/.locks/${R2##*/}"
ln -s "$OUT/blobs" "$R3/blobs"
ln -s "$OUT/staging" "$R4/.mm-staging"
ln -s "$OUT/secret" "$R4/refs/main"
chown -h "$owner" "$HF_HUB_CACHE/.locks" "$HF_HUB_CACHE/.locks/${R2##*/}" \
    "$R3" "$R3/blobs" "$R4" "$R4/refs" "$R4/.mm-staging" "$R4/refs/main"
chmod 2775 "$HF_HUB_CACHE/.locks" "$R3" "$R4" "$R4/refs"
before=$(outside_state)

start $M2
wait_task "$tid" failed 60
printf 'error: %s\n' "$(json .error)"
assert_json '.error | test("\\.locks/models--BAAI--bge-small-en-v1\\.5")' \
    ".locks/<folder> a symlink: the download fails naming it"
start $M3
wait_task "$tid" failed 60
printf 'error: %s\n' "$(json .error)"
assert_json '.error | test("models--sentence-transformers--all-MiniLM-L6-v2/blobs")' \
    "blobs/ a symlink: the download fails naming it"
# Once the planted symlink is gone, a fifo planted as refs/main (which a
# reader would wait on forever) is replaced like any ref.
rm "$HF_HUB_CACHE/.locks/${R2##*/}"
mkfifo -m 0666 "$R2/refs/main"
chown -h "$owner" "$R2/refs/main"
start $M2
wait_task "$tid" completed 60
assert_eq "$(curl -sf "$HUB/api/models/$M2" | jq -r .sha)" \
    "$(cat "$R2/refs/main")" "a fifo as refs/main: replaced by the ref"
start $M4
printf '%s\n' "$body" >>"$ANSWERS"
wait_task "$tid" completed 60
printf '%s\n' "$body" >>"$ANSWERS"
assert_eq "$before" "$(outside_state)" \
    "nothing outside the cache was created, written or removed"
assert_file_absent "$R4/.mm-staging" ".mm-staging, a symlink, is removed"
if [ -f "$R4/refs/main" ] && [ ! -L "$R4/refs/main" ]; then
	pass "refs/main, a symlink, is replaced by a file"
else
	fail "refs/main is not a regular file: $(ls -l "$R4/refs/main")"
fi
assert_eq "$(curl -sf "$HUB/api/models/$M4" | jq -r .sha)" \
    "$(cat "$R4/refs/main")" "refs/main names the commit"
for p in "/api/v2/models?force_refresh_cache=true&include_cache_size=true" \
    "/api/v2/models/usage?model_id=$M4"; do
	api GET "$p" "$T"
	printf '%s\n' "$body" >>"$ANSWERS"
done
assert_no_output "the secret a ref pointed to is in no answer" \
    holding "$SECRET" "$ANSWERS"
assert_no_output "the secret a ref pointed to is in no log" \
    holding "$SECRET" "$MM_VAR/log"

# --- a partial file that is a hard link to a file outside ----------------

# Writing through it would change the outside file: the download refuses.
R5=$(repo_dir $M5)
etag=$(curl -sf "$HUB/api/models/$M5/tree/main/sub?recursive=true" |
    jq -r '.[] | select(.path == "sub/model.safetensors") |
    .lfs.oid // .oid')
assert_match '^[0-9a-f]{40,64}$' "$etag" "the weights' etag from the hub"
printf 'canary\n' >"$OUT/hardlinked"
chmod 0666 "$OUT/hardlinked"
mkdir -p "$R5/blobs"
chown "$owner" "$R5" "$R5/blobs"
chmod 2775 "$R5" "$R5/blobs"
ln "$OUT/hardlinked" "$R5/blobs/$etag.incomplete"
before=$(outside_state)
start $M5
wait_task "$tid" failed 60
printf 'error: %s\n' "$(json .error)"
assert_json '.error | test("blobs/'"$etag"'")' \
    "a hard-linked partial file: the download fails naming it"
assert_eq "$before" "$(outside_state)" \
    "the file the partial file was linked to is untouched"
