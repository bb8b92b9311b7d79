# shellcheck shell=bash
# tests/integration/fixtures.sh: HF cache fixtures, written the way
# huggingface_hub writes them (blobs by etag, relative snapshot links, refs
# without newline).  Sourced after lib.sh.

# fx_repo TYPE ID COMMIT [PATH:SIZE ...]: a complete revision of repo ID
# (TYPE model|dataset|space) in $HF_HUB_CACHE with files of SIZE bytes
# (deterministic content) at PATH; refs/main names COMMIT.  Prints nothing.
fx_repo()
{
	# As the services write it: group-writable, the cache's group.
	( umask 002; _fx_repo "$@" )
}

_fx_repo()
{
	local type=$1 id=$2 commit=$3 spec path size etag dir rel up
	shift 3
	dir=$HF_HUB_CACHE/${type}s--${id//\//--}
	mkdir -p "$dir/blobs" "$dir/refs" "$dir/snapshots/$commit"
	printf '%s' "$commit" >"$dir/refs/main"
	for spec in "$@"; do
		path=${spec%:*}
		size=${spec##*:}
		etag=$(printf '%s %s %s' "$id" "$path" "$size" | sha256sum |
		    cut -c1-64)
		head -c "$size" /dev/zero | tr '\0' 'x' >"$dir/blobs/$etag"
		mkdir -p "$dir/snapshots/$commit/$(dirname "$path")"
		# ../../blobs plus one ../ per folder level of the path.
		rel=$(dirname "$path")
		up=""
		[ "$rel" = . ] || up=$(sed 's|[^/]*|..|g; s|$|/|' <<<"$rel")
		ln -sfn "../../${up}blobs/$etag" \
		    "$dir/snapshots/$commit/$path"
	done
}

# fx_partial ID SIZE: a download of model ID that has begun: empty refs/
# and snapshots/, one blobs/<etag>.incomplete of SIZE bytes.
fx_partial()
{
	( umask 002; _fx_partial "$@" )
}

_fx_partial()
{
	local dir=$HF_HUB_CACHE/models--${1//\//--}
	mkdir -p "$dir/blobs" "$dir/refs" "$dir/snapshots"
	head -c "$2" /dev/zero >"$dir/blobs/$(printf '%s' "$1" |
	    sha256sum | cut -c1-64).incomplete"
}

MIB=1048576
