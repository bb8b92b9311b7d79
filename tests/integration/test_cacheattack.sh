#!/usr/bin/env bash
#
# The shared cache under attack: any process in the cache's group may write
# anything into it at any time.  Through nginx and the job runner, this
# proves:
# - No cache file's content reaches a log or an answer: with a refs/main
#   that is a symlink to /proc/self/environ, a ref holding a secret-looking
#   string and a FIFO ref (which must not block the scan), the list, usage
#   and delete answers and every log of the stack (mm-api, mm-jobd, nginx)
#   hold neither the JWT secret, the database URL, the HF token nor the
#   planted string; the symlinked ref is ignored (the model stays
#   installed) with a warning that names its path.
# - Nothing under the cache is followed through a symlink but the snapshot
#   links to blobs: a .locks/<repo folder> symlinked out of the cache gets
#   no lock file, and a blobs/, snapshots/ or refs/ symlinked out of it is
#   neither counted by the scan nor touched by the delete (the canaries
#   outside stay).
# - A collection created while a delete job waits for a blob lock stops
#   it: the job ends failed naming the collection, nothing is removed.
# - The scan and the delete handle any tree the downloader may write: a
#   file 33 directories deep, thousands of directories, a path close to
#   PATH_MAX, and a leftover .mm-staging/<commit>/ (not a revision: a repo
#   with only that is not installed, its blob is a partial; the delete
#   removes it with the rest).

# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/fixtures.sh
. "$(dirname "$0")/fixtures.sh"

export HF_TOKEN=hf_CacheAttackT0ken4e8d1c
PLANT=PLANTED_5ecret_9c1e_do_not_leak
stack_up
T=$(token_for admin)
C1=1111111111111111111111111111111111111111
C2=2222222222222222222222222222222222222222
ANSWERS=$IT_DIR/answers
: >"$ANSWERS"

# save: keeps the last answer for the leak check at the end.
save()
{
	printf '%s\n%s\n' "$headers" "$body" >>"$ANSWERS"
}

# found GREP-ARGS...: what grep finds; 0 whether it finds something or
# not, but a file that cannot be read (status 2) fails.
found()
{
	local rc=0
	grep "$@" || rc=$?
	[ "$rc" -le 1 ]
}

# list_model ID JQ-EXPRESSION MESSAGE: the expression on the model's
# entry of a fresh list.
list_model()
{
	api GET "/api/v2/models?force_refresh_cache=true" "$T"
	save
	assert_json ".models[] | select(.id == \"$1\") | $2" "$3"
}

# delete_model ID STATUS MESSAGE: a confirmed delete that ends STATUS.
delete_model()
{
	api DELETE "/api/v2/models/cache?model_id=$1&confirm=true" "$T"
	save
	assert_json '.status == "pending"' "$3: the delete is queued"
	if wait_task "$(json .task_id)" "$2" 120; then
		pass "$3: the delete ends $2"
		save
	fi
}

# --- 1. no cache file's content in a log or an answer -------------------

A=intfloat/e5-small-v2
B=intfloat/e5-base-v2
fx_repo model $A $C1 model.bin:$MIB
rm "$(repo_dir $A)/refs/main"
ln -s /proc/self/environ "$(repo_dir $A)/refs/main"
mkfifo -m 664 "$(repo_dir $A)/refs/fifo"
fx_repo model $B $C1 model.bin:$MIB
printf '%s' "$PLANT" >"$(repo_dir $B)/refs/v1"
printf '%s' "$C2" >"$(repo_dir $B)/refs/v2"

list_model $A '.is_installed and .size_on_disk_mb == 1' \
    "a symlinked ref and a FIFO ref are ignored: still installed"
list_model $B '.is_installed == false' \
    "refs naming missing commits: not installed"
api GET "/api/v2/models/usage?model_id=$A" "$T"
save
assert_json '.is_installed and .hf_cache_scan_error == null' \
    "usage of the model with the symlinked ref"
api GET "/api/v2/models/usage?model_id=$B" "$T"
save
assert_eq 200 "$status" "usage of the model with the planted ref"
api_log=$MM_VAR/log/mm-api.log
assert_ok "the warning names the symlinked ref's path" \
    grep -qF "$(repo_dir $A)/refs/main" "$api_log"
assert_ok "the warning names the FIFO ref's path" \
    grep -qF "$(repo_dir $A)/refs/fifo" "$api_log"
assert_ok "a ref that is a 40-hex commit may be quoted" \
    grep -qF "'$C2'" "$api_log"
delete_model $A completed "the model with the symlinked ref"
assert_file_absent "$(repo_dir $A)" "the model with the symlinked ref is gone"
delete_model $B completed "the model with the planted ref"
assert_file_absent "$(repo_dir $B)" "the model with the planted ref is gone"

# --- 6. no symlink followed out of the cache -----------------------------

# Outside the cache, writable by anyone: a link followed would show.
OUT=$(mktemp -d "${MM_IT_TMP:-/tmp}/mm-outside.XXXXXX")
at_exit "rm -rf '$OUT'"
chmod 755 "$OUT"
mkdir -m 777 "$OUT/locks" "$OUT/blobs" "$OUT/snapshots" "$OUT/refs"
mkdir -m 777 "$OUT/snapshots/$C1"
for d in locks blobs snapshots refs; do
	echo precious >"$OUT/$d/canary"
done
printf '%s' "$C1" >"$OUT/refs/main"
cp "$OUT/blobs/canary" "$OUT/blobs/$(printf x | sha256sum | cut -c1-64)"
head -c $((3 * MIB)) /dev/zero >"$OUT/blobs/big"
ln -s ../../blobs/big "$OUT/snapshots/$C1/big.bin"
find "$OUT" -printf '%P %y %s\n' | sort >"$IT_DIR/outside.before"

L=google/embeddinggemma-300m		# .locks/<folder> links out
fx_repo model $L $C1 model.bin:1000
( umask 002; mkdir -p "$HF_HUB_CACHE/.locks" )
ln -s "$OUT/locks" "$HF_HUB_CACHE/.locks/models--${L//\//--}"
delete_model $L completed "a symlinked lock folder"
assert_file_absent "$(repo_dir $L)" "the model under a symlinked lock folder is gone"
assert_none_found "$OUT/locks" "no lock file created outside the cache" \
    -name '*.lock'

Bl=nomic-ai/nomic-embed-text-v1		# blobs/ links out
fx_repo model $Bl $C1 model.bin:1000
rm -r "$(repo_dir $Bl)/blobs"
ln -s "$OUT/blobs" "$(repo_dir $Bl)/blobs"
rm "$(repo_dir $Bl)/snapshots/$C1/model.bin"
ln -s ../../blobs/big "$(repo_dir $Bl)/snapshots/$C1/big.bin"
Sn=nomic-ai/nomic-embed-text-v1.5	# snapshots/ links out
fx_repo model $Sn $C1 model.bin:1000
rm -r "$(repo_dir $Sn)/snapshots"
ln -s "$OUT/snapshots" "$(repo_dir $Sn)/snapshots"
Rf=sentence-transformers/all-mpnet-base-v2	# refs/ links out
fx_repo model $Rf $C1 model.bin:1000
rm -r "$(repo_dir $Rf)/refs"
ln -s "$OUT/refs" "$(repo_dir $Rf)/refs"
list_model $Bl '.is_installed == false and .size_on_disk_mb == null' \
    "a symlinked blobs/ is neither followed nor counted"
list_model $Sn '.is_installed == false and .size_on_disk_mb == null' \
    "a symlinked snapshots/ is neither followed nor counted"
list_model $Rf '.is_installed and .size_on_disk_mb == 0' \
    "a symlinked refs/ is ignored"
assert_ok "the warning names the symlinked refs/" \
    grep -qF "$(repo_dir $Rf)/refs" "$api_log"
for m in $Bl $Sn $Rf; do
	delete_model $m completed "$m with a folder linked out"
	assert_file_absent "$(repo_dir $m)" "$m is gone"
done
find "$OUT" -printf '%P %y %s\n' | sort >"$IT_DIR/outside.after"
assert_ok "nothing outside the cache created, changed or removed" \
    cmp -s "$IT_DIR/outside.before" "$IT_DIR/outside.after"

# --- 2. a collection created while the delete waits stops it -------------

W=BAAI/bge-small-en-v1.5
fx_repo model $W $C1 model.bin:1000
etag=$(basename "$(readlink "$(repo_dir $W)/snapshots/$C1/model.bin")")
lf=$HF_HUB_CACHE/.locks/models--${W//\//--}/$etag.lock
( umask 002; mkdir -p "$(dirname "$lf")" && : >"$lf" )
exec 8<>"$lf"
flock -x 8
# delete_waits: the delete job has the lock file open (it waits for it).
delete_waits()
{
	local c
	for c in $(pgrep -P "$(pid_of jobd)"); do
		[ -n "$(find "/proc/$c/fd" -lname "$lf" 2>/dev/null)" ] &&
		    return 0
	done
	return 1
}
api DELETE "/api/v2/models/cache?model_id=$W&confirm=true" "$T"
save
t_wait=$(json .task_id)
assert_ok "the delete job waits for the held blob lock" \
    wait_for 60 delete_waits
psql_exec "INSERT INTO collections (id, name, owner_id, vector_store_name,
    embedding_model, quantization) SELECT 'meanwhile', 'created-meanwhile',
    id, 'v', '$W', 'float16' FROM users WHERE username = 'admin'"
flock -u 8
exec 8>&-
if wait_task "$t_wait" failed 120; then
	save
	assert_json '.error == "Cannot delete: model is used by 1 collection(s): created-meanwhile"' \
	    "a collection created while the delete waited stops it"
fi
assert_ok "nothing removed" test -L "$(repo_dir $W)/snapshots/$C1/model.bin"
assert_ok "the blob is still there" test -f "$(repo_dir $W)/blobs/$etag"
assert_ok "the ref is still there" test -f "$(repo_dir $W)/refs/main"

# --- 4, 5. deep, wide and long trees; a leftover staging directory --------

D=BAAI/bge-m3
fx_repo model $D $C1 model.bin:$MIB
# 33 directories deep, as a downloader limited to a depth of 32 files
# never writes but a hostile writer may.
deep=$(printf 'd/%.0s' $(seq 33))
fx_repo model $D $C1 "${deep}deep.bin:$MIB"
( umask 002; mkdir -p "$(repo_dir $D)/snapshots/$C1/wide/"{0001..3000} )
# A file path of 4072 bytes (16 names of 253 bytes), as the downloader
# accepts (at most 4096): past PATH_MAX below the cache directory.
long=$(repo_dir $D)/snapshots/$C1
seg=$(printf 'L%.0s' $(seq 250))
(
	umask 002
	cd "$long"
	for i in $(seq 100 115); do
		mkdir "$seg$i"
		cd "$seg$i"
	done
	ln -s "$(printf '../%.0s' $(seq 18))blobs/$(basename \
	    "$(readlink "$long/model.bin")")" long.bin
) || fail "could not build the long path"
assert_ok "the long path exists" test "$(find "$long" -name long.bin |
    wc -c)" -gt 4096
list_model $D '.is_installed and .size_on_disk_mb == 2' \
    "deep, wide and long trees: installed, every blob counted"
delete_model $D completed "deep, wide and long trees"
assert_file_absent "$(repo_dir $D)" "deep, wide and long trees removed"

St=BAAI/bge-base-en-v1.5
fx_repo model $St $C1 model.bin:$((2 * MIB))
( umask 002; mkdir "$(repo_dir $St)/.mm-staging" )
mv "$(repo_dir $St)/snapshots/$C1" "$(repo_dir $St)/.mm-staging/"
rm "$(repo_dir $St)/refs/main"
assert_ok "a staging directory of links" \
    test -L "$(repo_dir $St)/.mm-staging/$C1/model.bin"
list_model $St '.is_installed == false and .size_on_disk_mb == null' \
    "a repo with only a staging directory is not installed"
api GET "/api/v2/models?include_cache_size=true" "$T"
save
assert_json '.cache_size.partial_cache_size_mb == 2' \
    "its blob counts as a partial"
fx_repo model $D $C1 model.bin:$MIB
( umask 002; mkdir -p "$(repo_dir $D)/.mm-staging/$C2" &&
    ln -s "../../blobs/nope" "$(repo_dir $D)/.mm-staging/$C2/x.bin" )
list_model $D '.is_installed and .size_on_disk_mb == 1' \
    "a leftover staging directory is no revision and no warning"
assert_no_output "no warning about the staging directory" \
    found -F .mm-staging "$api_log"
delete_model $St completed "a repo with only a staging directory"
assert_file_absent "$(repo_dir $St)" "the staging directory is removed"
delete_model $D completed "a repo with a leftover staging directory"
assert_file_absent "$(repo_dir $D)" "the leftover staging directory is removed"

# --- the leak check, over everything said and logged ---------------------

# leaks FILE...: prints the files that hold a secret.
leaks()
{
	found -lF -e "$JWT_SECRET_KEY" -e "$DATABASE_URL" -e "$HF_TOKEN" \
	    -e "$PLANT" "$@"
}
logs=("$MM_VAR"/log/mm-api.log "$MM_VAR"/log/mm-jobd.log
    "$MM_VAR"/log/nginx*.log)
assert_ok "the secrets are set" test -n "$JWT_SECRET_KEY" -a \
    -n "$DATABASE_URL" -a -n "$HF_TOKEN"
assert_ok "the answers and the logs were recorded" test -s "$ANSWERS" -a \
    -s "${logs[0]}" -a -s "${logs[1]}"
assert_no_output "no secret in any answer or log" leaks "$ANSWERS" "${logs[@]}"
