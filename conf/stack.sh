#!/usr/bin/env bash
#
# The local stack: PostgreSQL, Redis, the mm-api responders (spawn-fcgi +
# multiwatch), the mm-jobd job runner and nginx, all under $MM_VAR.
#
#   bash conf/stack.sh deps [run|test]  install the missing Debian packages
#                                    to build and run the stack (run, the
#                                    default), or also to test it (test)
#   bash conf/stack.sh start         start the stack (harmless when it runs)
#   bash conf/stack.sh stop          stop what start started
#   bash conf/stack.sh status        exit 0 when the whole stack runs
#   bash conf/stack.sh restart-redis (re)starts our own Redis in place, its
#                                    data kept; the rest keeps running
#   bash conf/stack.sh initdb DIR    an empty PostgreSQL cluster in DIR, to
#                                    be copied by start when MM_PG_TEMPLATE=DIR
#
# Settings (environment, defaults in brackets):
#   MM_ROOT [the checkout]  MM_VAR [$MM_ROOT/var]  MM_HOST [127.0.0.1]
#   MM_PORT [8080]  MM_RESPONDERS [4]  MM_RUN [/run/modelmgr-<hash of MM_VAR>]
#   MM_BIN_API [$MM_ROOT/fcgi/mm-api]  MM_BIN_JOBD [$MM_ROOT/jobs/mm-jobd]
#   MM_CONFIG [the staged conf/mm.yaml; a file given here must be readable
#   by the service user]  MM_USER [modelmgr]  MM_NGINX_USER [www-data]
#   MM_SUPERUSER [admin]  MM_START_TIMEOUT [30 seconds]
#   MM_PG_TEMPLATE [none: initdb]
# Passed to the services when set: JWT_SECRET_KEY (else generated once into
# $MM_VAR/jwt_secret), DATABASE_URL and REDIS_URL (else, or when they name
# the sockets of our own, as var/env does, our own PostgreSQL and Redis
# are started and seeded), HF_HOME [$MM_VAR/hf], HF_HUB_CACHE,
# HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, DEFAULT_EMBEDDING_MODEL,
# SEARCH_API_URL, MM_RUNNER_ID, MM_METRICS_TOKEN (else generated once into
# $MM_VAR/metrics_token), MM_TEST_CLOCK_OFFSET_SECONDS (a test aid) and the
# sanitizer options.
#
# As root, nothing but nginx's master runs as root: the responders, the job
# runner and Redis run as $MM_USER, PostgreSQL as postgres.  $MM_USER is in
# the cache's group (its own), which other cache writers join, and in
# $MM_USER-private, which nobody else joins: the logs, the staged
# configuration and the sockets are not the cache group's.  Run as another
# user, everything runs as that user.

set -euo pipefail

# nginx, setpriv and runuser live in sbin, not on every user's PATH.
PATH=$PATH:/usr/sbin:/sbin

# The Debian packages the project needs, in one place.  An entry a|b|c is
# satisfied by any of them; the first one is installed.
# To build and run the stack (make run):
RUN_PACKAGES="libfcgi-dev libfcgi-bin libcjson-dev libhiredis-dev libpq-dev
libcurl4-openssl-dev libyaml-dev libssl-dev pkg-config
nginx-light|nginx-core|nginx-full|nginx-extras spawn-fcgi multiwatch
redis-server redis-tools postgresql curl acl ca-certificates make gcc tzdata"
# Only to test and measure it (make test, make bench): CUnit, clang and its
# sanitizer runtime for the fuzzers, the browser, wrk, and the tools the
# test scripts call.  Node 20 and npm come from outside Debian.
TEST_PACKAGES="libcunit1-dev clang libclang-rt-14-dev chromium
fonts-dejavu-core wrk jq openssl prometheus"

PROG=stack

say()
{
	printf '%s\n' "$*"
}

warn()
{
	printf '%s: %s\n' "$PROG" "$*" >&2
}

die()
{
	warn "$@"
	exit 1
}

is_root()
{
	[ "$(id -u)" -eq 0 ]
}

# Runs a command as postgres (when root) in front of PostgreSQL's tools.
AS_PG=()
is_root && AS_PG=(runuser -u postgres --)

# ---------------------------------------------------------------- deps

# deps_missing PACKAGES: the entries of PACKAGES (a list as above) that
# are not installed, one a line.
deps_missing()
{
	local installed entry alt ok
	# dpkg-query exits 1 when a package is unknown: it still lists the
	# others.
	# shellcheck disable=SC2046,SC2086
	installed=$(dpkg-query -W -f='${Package} ${Status}\n' \
	    $(printf '%s\n' $1 | tr '|' '\n') 2>/dev/null |
	    awk '$NF == "installed" { print $1 }') || true
	for entry in $1; do
		ok=0
		for alt in ${entry//|/ }; do
			if printf '%s\n' "$installed" | grep -qx -- "$alt"; then
				ok=1
				break
			fi
		done
		[ "$ok" -eq 1 ] || printf '%s\n' "${entry%%|*}"
	done
}

deps_node()
{
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1
	then
		warn "node and npm are not on PATH: the browser tests need" \
		    "Node 20 (installed separately; Debian's nodejs/npm" \
		    "packages are never installed here)"
	fi
}

# cmd_deps [run|test]: installs what is missing of RUN_PACKAGES, and for
# test of TEST_PACKAGES too.
cmd_deps()
{
	local set=${1:-run} packages=$RUN_PACKAGES missing rc made_policy=0
	case $set in
	run) ;;
	test) packages="$RUN_PACKAGES $TEST_PACKAGES" ;;
	*) die "deps: run or test, not '$set'" ;;
	esac
	missing=$(deps_missing "$packages" | tr '\n' ' ')
	missing=${missing% }
	if [ -z "$missing" ]; then
		[ "$set" = run ] || deps_node
		return 0
	fi
	is_root || die "missing Debian packages: $missing;" \
	    "install them as root: sudo bash conf/stack.sh deps $set"
	say "installing: $missing"
	# Keep the package scripts from starting the system nginx, Redis
	# and PostgreSQL: we never use those.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
		made_policy=1
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT INT TERM
	fi
	rc=0
	DEBIAN_FRONTEND=noninteractive apt-get update -q || rc=$?
	if [ "$rc" -eq 0 ]; then
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		    --no-install-recommends $missing || rc=$?
	fi
	if [ "$made_policy" -eq 1 ]; then
		rm -f /usr/sbin/policy-rc.d
		trap - EXIT INT TERM
	fi
	[ "$rc" -eq 0 ] || die "apt-get failed (exit $rc)"
	[ "$set" = run ] || deps_node
}

# ------------------------------------------------------------ settings

# Paths go into nginx, Redis and PostgreSQL configuration files unquoted.
check_path()
{
	case $2 in
	/*) ;;
	*) die "$1 must be an absolute path: $2" ;;
	esac
	case $2 in
	*[!A-Za-z0-9/._+@-]*)
		die "$1 may only contain letters, digits and / . _ + @ -: $2" ;;
	esac
}

settings()
{
	local here hash
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
	MM_ROOT=${MM_ROOT:-$here}
	MM_VAR=${MM_VAR:-$MM_ROOT/var}
	case $MM_VAR in
	/*) ;;
	*) MM_VAR=$PWD/$MM_VAR ;;
	esac
	MM_VAR=${MM_VAR%/}
	check_path MM_VAR "$MM_VAR"
	hash=$(printf '%s' "$MM_VAR" | sha256sum | cut -c1-10)
	if is_root; then
		MM_RUN=${MM_RUN:-/run/modelmgr-$hash}
		MM_USER=${MM_USER:-modelmgr}
		MM_NGINX_USER=${MM_NGINX_USER:-www-data}
	else
		MM_RUN=${MM_RUN:-${XDG_RUNTIME_DIR:-/tmp}/modelmgr-$hash}
		MM_USER=${MM_USER:-$(id -un)}
		[ "$MM_USER" = "$(id -un)" ] ||
		    die "MM_USER=$MM_USER: without root everything runs as $(id -un)"
		MM_NGINX_USER=$MM_USER
	fi
	MM_RUN=${MM_RUN%/}
	check_path MM_RUN "$MM_RUN"
	# The longest socket path is $MM_RUN/pg/.s.PGSQL.5432 (107 bytes max).
	[ ${#MM_RUN} -le 80 ] || die "MM_RUN is too long for socket paths: $MM_RUN"
	MM_HOST=${MM_HOST:-127.0.0.1}
	MM_PORT=${MM_PORT:-8080}
	MM_RESPONDERS=${MM_RESPONDERS:-4}
	MM_SUPERUSER=${MM_SUPERUSER:-admin}
	MM_BIN_API=${MM_BIN_API:-$MM_ROOT/fcgi/mm-api}
	MM_BIN_JOBD=${MM_BIN_JOBD:-$MM_ROOT/jobs/mm-jobd}
	MM_START_TIMEOUT=${MM_START_TIMEOUT:-30}
	case $MM_PORT in
	''|*[!0-9]*) die "MM_PORT is not a port number: $MM_PORT" ;;
	esac
	[ "$MM_PORT" -ge 1 ] && [ "$MM_PORT" -le 65535 ] ||
	    die "MM_PORT is not a port number: $MM_PORT"
	case $MM_RESPONDERS in
	''|*[!0-9]*|0) die "MM_RESPONDERS must be a positive number" ;;
	esac
	case $MM_HOST in
	*:*) HOSTPORT="[$MM_HOST]:$MM_PORT" ;;
	*) HOSTPORT="$MM_HOST:$MM_PORT" ;;
	esac
	MM_BASE_URL="http://$HOSTPORT"
	RUNDIR=$MM_VAR/run		# pid files and state, root only
	LOGDIR=$MM_VAR/log
	# The log files there (nginx and Redis name theirs in their templates).
	LOGS="mm-api.log mm-jobd.log spawn-fcgi.log nginx-access.log
	    nginx-error.log redis.log audit.log"
	STAGE=$MM_RUN/stage
	STATE=$RUNDIR/state
}

# The socket directory a started stack recorded, so that stop finds it
# whatever the settings now.
load_state()
{
	local line
	REC_RUN=""
	[ -r "$STATE" ] || return 0
	while IFS= read -r line; do
		case $line in
		MM_RUN=/*) REC_RUN=${line#MM_RUN=} ;;
		esac
	done <"$STATE"
}

# --------------------------------------------------------- users, dirs

svc_setup()
{
	AS_SVC=()
	if ! is_root; then
		SVC_USER=$(id -un)
		SVC_GROUP=$(id -gn)
		PRIV_GROUP=$SVC_GROUP
		PG_OSUSER=$SVC_USER
		return 0
	fi
	if ! getent group "$MM_USER" >/dev/null &&
	    ! getent passwd "$MM_USER" >/dev/null; then
		groupadd --system "$MM_USER"
	fi
	if ! getent passwd "$MM_USER" >/dev/null; then
		useradd --system --gid "$MM_USER" --home-dir /nonexistent \
		    --no-create-home --shell /usr/sbin/nologin \
		    --comment "Model Manager" "$MM_USER"
		say "created system user $MM_USER"
	fi
	SVC_USER=$MM_USER
	SVC_GROUP=$(id -gn "$MM_USER")
	priv_group_setup
	PG_OSUSER=postgres
	# setpriv execs the program, so a recorded pid is the program's own.
	AS_SVC=(setpriv --reuid="$SVC_USER" --regid="$SVC_GROUP" \
	    --init-groups --)
	getent passwd "$MM_NGINX_USER" >/dev/null ||
	    die "MM_NGINX_USER=$MM_NGINX_USER does not exist"
}

# The group of what is the service's alone (its logs, its staged
# configuration and programs): the service user is its only member, so that
# the other members of the cache group (SVC_GROUP) read none of it.
priv_group_setup()
{
	PRIV_GROUP=$MM_USER-private
	if ! getent group "$PRIV_GROUP" >/dev/null; then
		# Another start may create it at the same time.
		groupadd --system "$PRIV_GROUP" 2>/dev/null ||
		    getent group "$PRIV_GROUP" >/dev/null ||
		    die "cannot create the group $PRIV_GROUP"
		say "created system group $PRIV_GROUP"
	fi
	if ! id -nG "$MM_USER" | tr ' ' '\n' | grep -qx -- "$PRIV_GROUP"; then
		usermod -a -G "$PRIV_GROUP" "$MM_USER" ||
		    die "cannot add $MM_USER to the group $PRIV_GROUP"
	fi
}

# Run a command as the service user, as postgres (or as ourselves when
# not root).
as_svc()
{
	"${AS_SVC[@]}" "$@"
}

as_pg()
{
	"${AS_PG[@]}" "$@"
}

# Grants search permission (an ACL entry) on each ancestor of $1 that one
# of the users $2... cannot traverse: a checkout under /root is 0700.
grant_traverse()
{
	local path=$1 user dir prefix granted=""
	shift
	is_root || return 0
	for user in "$@"; do
		runuser -u "$user" -- test -x "$path" 2>/dev/null && continue
		prefix=""
		for dir in ${path//\// }; do
			prefix=$prefix/$dir
			[ -d "$prefix" ] || break
			runuser -u "$user" -- test -x "$prefix" 2>/dev/null &&
			    continue
			command -v setfacl >/dev/null ||
			    die "$user cannot reach $prefix and setfacl is" \
			    "missing (package acl): run make deps"
			setfacl -m "u:$user:x" "$prefix"
			granted="$granted $user:$prefix"
		done
	done
	if [ -n "$granted" ]; then
		say "granted search permission (setfacl u:USER:x) for the" \
		    "services:$granted"
	fi
}

# mkdir with owner, group and mode (as root), or just the mode.
mkdir_as()
{
	local owner=$1 mode=$2 dir=$3
	if is_root; then
		install -d -o "${owner%:*}" -g "${owner#*:}" -m "$mode" "$dir"
	else
		install -d -m "$mode" "$dir"
	fi
}

make_dirs()
{
	local users f
	# The services' group alone creates and writes the logs (setgid: every
	# file gets that group); nobody else reads them.
	mkdir_as "root:$PRIV_GROUP" 2770 "$LOGDIR"
	# Created here, so that nginx and Redis open them as they are.
	for f in $LOGS; do
		: >>"$LOGDIR/$f"
	done
	if is_root; then
		# Log files of an earlier run, whoever created them.
		chgrp -R "$PRIV_GROUP" "$LOGDIR"
	fi
	chmod -R g+rw,o= "$LOGDIR"
	mkdir_as "root:root" 0755 "$MM_VAR/nginx"
	users="$SVC_USER $MM_NGINX_USER"
	[ -n "${DATABASE_URL:-}" ] || users="$users postgres"
	# shellcheck disable=SC2086
	grant_traverse "$MM_VAR" $users
	# Never take over a directory that is not ours (MM_RUN=/tmp...).
	if [ -d "$MM_RUN" ] && [ ! -e "$MM_RUN/.modelmgr" ] &&
	    [ -n "$(ls -A "$MM_RUN")" ]; then
		die "MM_RUN=$MM_RUN exists and is not a socket directory of" \
		    "this stack"
	fi
	mkdir -p "$(dirname "$MM_RUN")"
	# Redis (the service user) creates its socket here; the sticky bit
	# keeps it from removing anything else.
	mkdir_as "root:$SVC_GROUP" 1775 "$MM_RUN"
	: >"$MM_RUN/.modelmgr"
	# shellcheck disable=SC2086
	grant_traverse "$MM_RUN" $users
}

# The HF cache is shared by every service of a deployment: one group,
# setgid, group-writable (and the services run with umask 002).
hf_setup()
{
	HF_HOME=${HF_HOME:-$MM_VAR/hf}
	HF_HUB_CACHE=${HF_HUB_CACHE:-${HUGGINGFACE_HUB_CACHE:-$HF_HOME/hub}}
	HF_ENDPOINT=${HF_ENDPOINT:-https://huggingface.co}
	local dir
	for dir in "$HF_HOME" "$HF_HUB_CACHE"; do
		if [ ! -d "$dir" ]; then
			mkdir_as "root:$SVC_GROUP" 2775 "$dir"
		elif is_root && [ "${dir#"$MM_VAR"/}" != "$dir" ]; then
			chgrp "$SVC_GROUP" "$dir"
			chmod 2775 "$dir"
		fi
	done
}

# secret_setup NAME FILE: the secret in variable NAME, when not given,
# is generated once into FILE (0600, root's) and read from it.
secret_setup()
{
	local name=$1 f=$2
	if [ -n "${!name:-}" ]; then
		return 0
	fi
	if [ ! -s "$f" ]; then
		(umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' \
		    >"$f.tmp" && mv "$f.tmp" "$f")
	fi
	printf -v "$name" '%s' "$(cat "$f")"
	[ -n "${!name}" ] || die "empty $f"
}

# Binaries, conf/ and static/ are copied where the service user and
# nginx can read them whatever the checkout's permissions (and a rebuild
# does not change what runs): static/ for nginx (the cache group), the
# rest for the service user alone (its private group).
stage()
{
	rm -rf "$STAGE"
	# Nobody else looks in until the modes below are set.
	install -d -m 0700 "$STAGE"
	mkdir "$STAGE/bin"
	cp "$MM_BIN_API" "$STAGE/bin/mm-api"
	cp "$MM_BIN_JOBD" "$STAGE/bin/mm-jobd"
	cp -R "$MM_ROOT/conf" "$STAGE/conf"
	cp -R "$MM_ROOT/static" "$STAGE/static"
	if is_root; then
		chown -R "root:$SVC_GROUP" "$STAGE"
		chgrp -R "$PRIV_GROUP" "$STAGE/bin" "$STAGE/conf"
		chmod -R u=rwX,g=rX,o= "$STAGE"
	fi
	CONFIG=${MM_CONFIG:-$STAGE/conf/mm.yaml}
}

# Replaces each @NAME@ in template $1 with the value of shell variable
# NAME (names listed in $3...) and writes $2, mode 0600 (the caller
# widens it).
render()
{
	local in=$1 out=$2 name val script=""
	shift 2
	for name in "$@"; do
		val=${!name}
		case $val in
		*'|'*|*'&'*|*'\'*) die "cannot render $name=$val" ;;
		esac
		script="${script}s|@${name}@|${val}|g;"
	done
	(umask 077 && sed "$script" "$in" >"$out.tmp")
	if grep -q '@[A-Z_]*@' "$out.tmp"; then
		rm -f "$out.tmp"
		die "unrendered placeholder in $in: $(grep -o '@[A-Z_]*@' \
		    "$in" | head -n 1)"
	fi
	mv "$out.tmp" "$out"
}

# ----------------------------------------------------------- processes

# True when pid file $1 names a live process whose name is $2.
# pid_running PIDFILE: the process exists and is not a zombie.
pid_running()
{
	local pid
	pid=$(head -n 1 "$1" 2>/dev/null)
	case $pid in
	''|*[!0-9]*) return 1 ;;
	esac
	[ -e "/proc/$pid" ] || return 1
	! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

pid_alive()
{
	local pid comm
	[ -s "$1" ] || return 1
	pid=$(head -n 1 "$1")
	case $pid in
	''|*[!0-9]*) return 1 ;;
	esac
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	[ "$comm" = "$2" ] || return 1
	grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null &&
	    return 1
	return 0
}

# Waits up to $1 tenths of a second until no pid in $2... exists.
wait_gone()
{
	local polls=$(($1 * 5)) pid left
	shift
	while :; do
		left=""
		for pid in "$@"; do
			if [ -d "/proc/$pid" ] && ! grep -q \
			    '^State:[[:space:]]*Z' "/proc/$pid/status" \
			    2>/dev/null; then
				left="$left $pid"
			fi
		done
		[ -z "$left" ] && return 0
		[ "$polls" -le 0 ] && return 1
		polls=$((polls - 1))
		sleep 0.02
	done
}

# The process ids of $1 and all its descendants.
pid_tree()
{
	local pid=$1 child
	printf '%s\n' "$pid"
	for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
		pid_tree "$child"
	done
}

# Stops the process of pid file $1 named $2 and its descendants: signal
# $3, up to $4 tenths of a second, then SIGKILL.
stop_pidfile()
{
	local pidfile=$1 comm=$2 sig=$3 tenths=$4 pid tree
	if pid_alive "$pidfile" "$comm"; then
		pid=$(head -n 1 "$pidfile")
		tree=$(pid_tree "$pid")
		kill -"$sig" "$pid" 2>/dev/null || true
		# shellcheck disable=SC2086
		if ! wait_gone "$tenths" $tree; then
			warn "$comm ($pid) did not stop on SIG$sig: killing it"
			# shellcheck disable=SC2086
			kill -KILL $tree 2>/dev/null || true
			# shellcheck disable=SC2086
			wait_gone 50 $tree || warn "$comm ($pid) survived SIGKILL"
		fi
	fi
	rm -f "$pidfile"
}

# Starts "$@" as the service user in its own session, output appended to
# log $2, and records its pid in $1: setsid (not a process group leader
# here), setpriv and env all exec, so $! is the program itself.
launch()
{
	local pidfile=$1 log=$2
	shift 2
	setsid "${AS_SVC[@]}" env -i "${SVC_ENV[@]}" "$@" \
	    </dev/null >>"$log" 2>&1 9>&- &
	printf '%s\n' "$!" >"$pidfile"
}

# The environment of the services: theirs only, nothing of the caller's.
service_env()
{
	local name
	SVC_ENV=(PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8
	    "JWT_SECRET_KEY=$JWT_SECRET_KEY" "DATABASE_URL=$DATABASE_URL"
	    "REDIS_URL=$REDIS_URL" "HF_HOME=$HF_HOME"
	    "HF_HUB_CACHE=$HF_HUB_CACHE" "HF_ENDPOINT=$HF_ENDPOINT")
	for name in HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_HUB_OFFLINE \
	    TRANSFORMERS_OFFLINE DEFAULT_EMBEDDING_MODEL SEARCH_API_URL \
	    MM_RUNNER_ID MM_METRICS_TOKEN MM_METRICS ASAN_OPTIONS UBSAN_OPTIONS \
	    LSAN_OPTIONS TZ MM_TEST_CLOCK_OFFSET_SECONDS; do
		if [ -n "${!name+set}" ]; then
			SVC_ENV+=("$name=${!name}")
		fi
	done
}

svc_run()
{
	as_svc env -i "${SVC_ENV[@]}" "$@"
}

# ---------------------------------------------------------- PostgreSQL

pg_bindir()
{
	local dir
	dir=$(pg_config --bindir 2>/dev/null) || dir=""
	if [ ! -x "$dir/initdb" ]; then
		dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null |
		    sort -V | tail -n 1)
	fi
	[ -x "$dir/initdb" ] || die "PostgreSQL server binaries not found:" \
	    "run make deps"
	PGBIN=$dir
}

pg_initdb()
{
	as_pg "$PGBIN/initdb" -D "$1" -U postgres -A peer -E UTF8 \
	    --no-locale >"$1.log" 2>&1 ||
	    die "initdb failed, see $1.log"
}

cmd_initdb()
{
	local dir=${1:?initdb needs a directory}
	case $dir in
	/*) ;;
	*) dir=$PWD/$dir ;;
	esac
	[ ! -e "$dir" ] || die "$dir exists"
	cd /
	pg_bindir
	mkdir -p "$(dirname "$dir")"
	if is_root; then
		grant_traverse "$(dirname "$dir")" postgres
		install -d -o postgres -g postgres -m 0700 "$dir"
	fi
	pg_initdb "$dir"
}

# psql as the database superuser on our socket; more arguments follow.
pg_psql()
{
	as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGSOCK" \
	    -U postgres "$@"
}

# Peer authentication only: the OS user running PostgreSQL is the
# superuser "postgres", the service user is the read-only role $MM_USER.
pg_auth_files()
{
	local data=$1
	printf '%s\n' "# Written by conf/stack.sh at every start." \
	    "local all all peer map=mm" >"$data/pg_hba.conf"
	printf '%s\n' "# Written by conf/stack.sh at every start." \
	    "mm $PG_OSUSER postgres" "mm $SVC_USER $MM_USER" \
	    >"$data/pg_ident.conf"
	if is_root; then
		chown postgres:postgres "$data/pg_hba.conf" "$data/pg_ident.conf"
	fi
	chmod 0600 "$data/pg_hba.conf" "$data/pg_ident.conf"
}

pg_start()
{
	local pgdir=$MM_VAR/pg data=$MM_VAR/pg/data created=0
	pg_bindir
	PGSOCK=$MM_RUN/pg
	mkdir_as postgres:postgres 0700 "$pgdir"
	mkdir_as postgres:postgres 0755 "$PGSOCK"
	if [ ! -s "$data/PG_VERSION" ]; then
		rm -rf "$data"
		if [ -n "${MM_PG_TEMPLATE:-}" ]; then
			cp -a "$MM_PG_TEMPLATE" "$data"
		else
			pg_initdb "$data"
		fi
	fi
	pg_auth_files "$data"
	as_pg "$PGBIN/pg_ctl" -D "$data" -l "$pgdir/postgres.log" -w \
	    -t "$MM_START_TIMEOUT" -s -o "-c listen_addresses='' \
	    -c unix_socket_directories='$PGSOCK'" start >/dev/null 9>&- ||
	    die "PostgreSQL did not start, see $pgdir/postgres.log"
	head -n 1 "$data/postmaster.pid" >"$RUNDIR/postgres.pid"
	if [ -z "$(pg_psql -d postgres -tA -c \
	    "SELECT 1 FROM pg_database WHERE datname = 'semantik'")" ]; then
		pg_psql -d postgres -c 'CREATE DATABASE semantik'
		created=1
	fi
	pg_seed "$created"
	DATABASE_URL=$(own_database_url)
	MM_PGHOST=$PGSOCK
}

# The URL of our own PostgreSQL, as the services get it.
own_database_url()
{
	printf 'postgresql:///semantik?host=%s/pg&user=%s\n' "$MM_RUN" "$MM_USER"
}

# The schema at every start (idempotent), the demo data only when the
# database was just created, and the read-only role of the service.
pg_seed()
{
	{
		echo 'SET client_min_messages = warning;'
		cat "$MM_ROOT/conf/schema.sql"
		if [ "$1" -eq 1 ]; then
			cat "$MM_ROOT/conf/demo.sql"
		fi
		cat <<'EOF'
SELECT format('CREATE ROLE %I LOGIN', :'svc_role')
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'svc_role')
\gexec
ALTER ROLE :"svc_role" NOSUPERUSER NOCREATEDB NOCREATEROLE LOGIN;
ALTER ROLE :"svc_role" SET default_transaction_read_only = on;
REVOKE ALL ON DATABASE semantik FROM PUBLIC;
GRANT CONNECT ON DATABASE semantik TO :"svc_role";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"svc_role";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"svc_role";
EOF
	} | pg_psql -d semantik -v svc_role="$MM_USER" \
	    -v superuser="$MM_SUPERUSER" -f - ||
	    die "seeding the database failed"
}

# --------------------------------------------------------------- Redis

# The URL of our own Redis, as the services get it.
own_redis_url()
{
	printf 'unix://%s/redis.sock\n' "$MM_RUN"
}

redis_start()
{
	local tries
	mkdir_as "$SVC_USER:$PRIV_GROUP" 0750 "$MM_VAR/redis"
	REDIS_SOCK=$MM_RUN/redis.sock
	render "$MM_ROOT/conf/redis.conf.in" "$MM_RUN/redis.conf" \
	    MM_RUN MM_VAR
	is_root && chgrp "$PRIV_GROUP" "$MM_RUN/redis.conf"
	chmod 0640 "$MM_RUN/redis.conf"
	launch "$RUNDIR/redis.pid" "$LOGDIR/redis.log" \
	    "$(command -v redis-server)" "$MM_RUN/redis.conf"
	REDIS_URL=$(own_redis_url)
	tries=$((MM_START_TIMEOUT * 50))
	until [ "$(redis-cli -s "$REDIS_SOCK" ping 2>/dev/null)" = PONG ]; do
		# Not pid_alive: until the exec chain (setsid, setpriv, env)
		# reaches redis-server the command name is another one.
		pid_running "$RUNDIR/redis.pid" ||
		    die "Redis exited, see $LOGDIR/redis.log"
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] ||
		    die "Redis does not answer, see $LOGDIR/redis.log"
		sleep 0.02
	done
}

# ------------------------------------------------- responders, runner

check_config()
{
	local out rc=0
	out=$(svc_run "$1" -n -f "$CONFIG" 2>&1) || rc=$?
	[ "$rc" -eq 0 ] ||
	    die "$(basename "$1") -n -f $CONFIG failed (exit $rc): $out"
}

api_start()
{
	local -a owner=()
	check_config "$STAGE/bin/mm-api"
	if is_root; then
		# The socket is nginx's alone, not the cache group's.
		owner=(-U "$MM_NGINX_USER" -G "$SVC_GROUP" -M 0600
		    -u "$SVC_USER" -g "$SVC_GROUP")
	fi
	# multiwatch replaces a responder that dies; SIGTERM to it is
	# passed to the responders as SIGTERM.
	env -i "${SVC_ENV[@]}" MM_LOG_FILE="$LOGDIR/mm-api.log" \
	    MM_AUDIT_LOG="$LOGDIR/audit.log" \
	    spawn-fcgi -s "$MM_RUN/api.sock" "${owner[@]}" \
	    -P "$RUNDIR/api.pid" -- "$(command -v multiwatch)" \
	    -f "$MM_RESPONDERS" -s TERM -- \
	    "$STAGE/bin/mm-api" -f "$CONFIG" \
	    >>"$LOGDIR/spawn-fcgi.log" 2>&1 9>&- ||
	    die "spawn-fcgi failed, see $LOGDIR/spawn-fcgi.log"
}

jobd_start()
{
	check_config "$STAGE/bin/mm-jobd"
	launch "$RUNDIR/jobd.pid" "$LOGDIR/mm-jobd.log" \
	    MM_LOG_FILE="$LOGDIR/mm-jobd.log" MM_AUDIT_LOG="$LOGDIR/audit.log" \
	    "$STAGE/bin/mm-jobd" -d -f "$CONFIG"
}

# --------------------------------------------------------------- nginx

# shellcheck disable=SC2034 # NGINX_USER_LINE, LISTEN: read by render
nginx_start()
{
	local conf=$MM_VAR/nginx/nginx.conf out
	NGINX_USER_LINE="# not root: the workers run as $(id -un)"
	if is_root; then
		NGINX_USER_LINE="user $MM_NGINX_USER $SVC_GROUP;"
	fi
	LISTEN=$HOSTPORT
	render "$MM_ROOT/conf/nginx.conf.in" "$conf" \
	    NGINX_USER_LINE MM_VAR MM_RUN STAGE LISTEN
	out=$(nginx -t -q -p "$MM_VAR/nginx/" -c "$conf" \
	    -e "$LOGDIR/nginx-error.log" 2>&1) ||
	    die "nginx configuration $conf: $out"
	nginx -p "$MM_VAR/nginx/" -c "$conf" -e "$LOGDIR/nginx-error.log" \
	    9>&- ||
	    die "nginx did not start, see $LOGDIR/nginx-error.log"
}

# ------------------------------------------------------------- control

# The components start records, in start order.
COMPONENTS="postgres redis api jobd nginx"

comm_of()
{
	case $1 in
	postgres) echo postgres ;;
	redis) echo redis-server ;;
	api) echo multiwatch ;;
	jobd) echo mm-jobd ;;
	nginx) echo nginx ;;
	esac
}

# 0: every recorded component runs; 1: none; 2: some.
stack_state()
{
	local c n=0 up=0
	for c in $COMPONENTS; do
		[ -e "$RUNDIR/$c.pid" ] || continue
		n=$((n + 1))
		pid_alive "$RUNDIR/$c.pid" "$(comm_of "$c")" && up=$((up + 1))
	done
	if [ "$n" -gt 0 ] && [ "$up" -eq "$n" ] && [ -r "$MM_VAR/env" ]; then
		return 0
	fi
	[ "$up" -eq 0 ] && return 1
	return 2
}

# Any listener on the port, whatever its address, counts as taken.
check_port()
{
	local holder=""
	if command -v ss >/dev/null; then
		holder=$(ss -Hltnp "sport = :$MM_PORT" 2>/dev/null) || holder=""
		[ -n "$holder" ] || return 0
		holder=$(printf '%s\n' "$holder" | grep -o 'users:(("[^"]*' |
		    head -n 1 | sed 's/.*"//')
	elif ! (exec 3<>"/dev/tcp/$MM_HOST/$MM_PORT") 2>/dev/null; then
		return 0
	fi
	die "port $MM_PORT is already in use${holder:+ (by $holder)}:" \
	    "choose another one with MM_PORT=<port>"
}

check_tools()
{
	local t
	for t in nginx spawn-fcgi multiwatch redis-server redis-cli curl \
	    setsid; do
		command -v "$t" >/dev/null || die "$t is missing: run make deps"
	done
}

check_inputs()
{
	local f
	[ -x "$MM_BIN_API" ] || die "$MM_BIN_API is missing: run make"
	[ -x "$MM_BIN_JOBD" ] || die "$MM_BIN_JOBD is missing: run make"
	for f in conf/nginx.conf.in conf/redis.conf.in conf/schema.sql \
	    conf/demo.sql static; do
		[ -e "$MM_ROOT/$f" ] || die "$MM_ROOT/$f is missing"
	done
}

wait_ready()
{
	local code tries=$((MM_START_TIMEOUT * 20))
	while :; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
		    "$MM_BASE_URL/api/v2/models" 2>/dev/null) || code=000
		[ "$code" = 401 ] && return 0
		tries=$((tries - 1))
		if [ "$tries" -le 0 ]; then
			die "the API does not answer 401 on" \
			    "$MM_BASE_URL/api/v2/models (last: $code) after" \
			    "${MM_START_TIMEOUT}s; see $LOGDIR/mm-api.log," \
			    "$LOGDIR/nginx-error.log and $LOGDIR/spawn-fcgi.log"
		fi
		pid_running "$RUNDIR/api.pid" ||
		    die "the responders exited; see $LOGDIR/mm-api.log"
		sleep 0.05
	done
}

# Shell-quotes $1 for the env file.
shquote()
{
	local q=\'
	printf "'%s'" "${1//$q/$q\\$q$q}"
}

write_env()
{
	local f=$MM_VAR/env name
	(
		umask 077
		{
			echo "# Written by conf/stack.sh start; source it with:"
			echo "#   set -a; . $f; set +a"
			for name in JWT_SECRET_KEY DATABASE_URL REDIS_URL HF_HOME \
			    HF_HUB_CACHE HF_ENDPOINT HF_TOKEN \
			    DEFAULT_EMBEDDING_MODEL SEARCH_API_URL MM_BASE_URL \
			    MM_PAGE_URL MM_TOKEN MM_ROOT MM_VAR MM_RUN MM_HOST \
			    MM_PORT MM_RESPONDERS MM_USER MM_SUPERUSER \
			    MM_BIN_API MM_BIN_JOBD MM_CONFIG MM_PGHOST \
			    MM_METRICS_TOKEN; do
				[ -n "${!name:-}" ] || continue
				printf '%s=%s\n' "$name" "$(shquote "${!name}")"
			done
		} >"$f.tmp"
		mv "$f.tmp" "$f"
	)
}

print_info()
{
	say "Model Manager runs on $MM_BASE_URL"
	say "  page:  $MM_PAGE_URL"
	say "  API:   $MM_BASE_URL/api/v2/models"
	say "  token: ${MM_TOKEN:-(none: mm-api -T failed)}"
	say "         (superuser $MM_SUPERUSER, valid 24 h; a fresh one at" \
	    "every start)"
	say "  metrics: $MM_BASE_URL/api/v2/models/metrics (scrape token:" \
	    "MM_METRICS_TOKEN in the env file)"
	say "  env:   $MM_VAR/env   (set -a; . $MM_VAR/env; set +a)"
	say "  logs:  $LOGDIR/ (PostgreSQL: $MM_VAR/pg/postgres.log)"
	say "  stop:  make stop"
}

# A fresh token into the env file of a running stack.
refresh_token()
{
	local token
	token=$(svc_run "$STAGE/bin/mm-api" -f "$CONFIG" \
	    -T "$MM_SUPERUSER" 2>>"$LOGDIR/mm-api.log") ||
	    token=""
	MM_TOKEN=$token
	MM_PAGE_URL=$MM_BASE_URL/
	[ -z "$token" ] || MM_PAGE_URL="$MM_BASE_URL/#token=$token"
	[ -n "$token" ] || warn "mm-api -T $MM_SUPERUSER failed," \
	    "see $LOGDIR/mm-api.log"
}

on_start_exit()
{
	local rc=$?
	[ "$rc" -eq 0 ] && return 0
	warn "start failed: stopping what was started"
	stop_all >/dev/null 2>&1 || true
	exit "$rc"
}

# A DATABASE_URL or REDIS_URL naming exactly the socket of our own server
# (as the env file of an earlier start does, sourced by the operator's
# shell) is not an external server: forget it, so that start starts ours.
# Any other URL (another socket, a host) stays external.
forget_own_urls()
{
	if [ "${DATABASE_URL:-}" = "$(own_database_url)" ]; then
		DATABASE_URL=""
	fi
	if [ "${REDIS_URL:-}" = "$(own_redis_url)" ]; then
		REDIS_URL=""
	fi
}

cmd_start()
{
	local t0 state=0
	t0=$(date +%s%N)
	settings
	cd /
	check_tools
	mkdir -p "$MM_VAR"
	install -d -m 0700 "$RUNDIR"
	exec 9>"$RUNDIR/lock"
	flock 9
	load_state
	stack_state || state=$?
	forget_own_urls
	svc_setup
	if [ "$state" -eq 0 ]; then
		# Ours, and running: its settings come back from its env file.
		# shellcheck disable=SC1091
		. "$MM_VAR/env"
		STAGE=$MM_RUN/stage
		CONFIG=${MM_CONFIG:-$STAGE/conf/mm.yaml}
		service_env
		refresh_token
		write_env
		say "already running"
		print_info
		return 0
	fi
	if [ -e "$STATE" ]; then
		[ "$state" -eq 1 ] ||
		    say "the stack runs only in part: restarting it"
		stop_all
	fi
	check_port
	check_inputs
	trap on_start_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# The services share the HF cache and the log directory with their
	# group: umask 002 for them, and for the log files created here.
	umask 002
	printf 'MM_RUN=%s\n' "$MM_RUN" >"$STATE"
	REC_RUN=""
	make_dirs
	hf_setup
	secret_setup JWT_SECRET_KEY "$MM_VAR/jwt_secret"
	secret_setup MM_METRICS_TOKEN "$MM_VAR/metrics_token"
	stage
	# shellcheck disable=SC2034 # set by pg_start, read by write_env
	MM_PGHOST=""
	[ -n "${DATABASE_URL:-}" ] || pg_start
	REDIS_URL=${REDIS_URL:-}
	service_env
	if [ -z "$REDIS_URL" ]; then
		redis_start
		service_env
	fi
	api_start
	jobd_start
	nginx_start
	wait_ready
	refresh_token
	write_env
	trap - EXIT
	print_info
	say "started in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}

stop_all()
{
	local data=$MM_VAR/pg/data run=${REC_RUN:-$MM_RUN}
	stop_pidfile "$RUNDIR/nginx.pid" nginx QUIT 100
	stop_pidfile "$RUNDIR/api.pid" multiwatch TERM 100
	# On SIGTERM the runner's jobs go back to the queue at their next
	# chunk; give them time.
	stop_pidfile "$RUNDIR/jobd.pid" mm-jobd TERM 300
	stop_pidfile "$RUNDIR/redis.pid" redis-server TERM 100
	if pid_alive "$RUNDIR/postgres.pid" postgres &&
	    [ -s "$data/postmaster.pid" ]; then
		pg_bindir
		as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w -s stop \
		    >/dev/null || warn "pg_ctl stop failed"
	fi
	stop_pidfile "$RUNDIR/postgres.pid" postgres TERM 100
	if [ -e "$run/.modelmgr" ]; then
		rm -rf "$run/stage" "$run/pg"
		rm -f "$run/api.sock" "$run/redis.sock" "$run/redis.conf" \
		    "$run/.modelmgr"
		rmdir "$run" 2>/dev/null || warn "$run is not empty"
	fi
	rm -f "$STATE"
}

cmd_stop()
{
	local t0
	t0=$(date +%s%N)
	settings
	cd /
	if [ ! -d "$RUNDIR" ]; then
		say "nothing to stop"
		return 0
	fi
	exec 9>"$RUNDIR/lock"
	flock 9
	load_state
	stop_all
	say "stopped in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}

# Our own Redis again, exactly as start launched it, under a running
# stack (after a crash or a SHUTDOWN): the services reconnect by themselves.
cmd_restart_redis()
{
	settings
	cd /
	[ -d "$RUNDIR" ] || die "the stack is not running"
	exec 9>"$RUNDIR/lock"
	flock 9
	load_state
	[ -e "$RUNDIR/redis.pid" ] || die "no Redis of ours to restart" \
	    "(REDIS_URL was given, or the stack is not running)"
	MM_RUN=${REC_RUN:-$MM_RUN}
	svc_setup
	umask 002
	stop_pidfile "$RUNDIR/redis.pid" redis-server TERM 100
	# Redis needs nothing of the services' environment.
	SVC_ENV=(PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8)
	redis_start
	say "Redis restarted on $REDIS_SOCK"
}

cmd_status()
{
	settings
	load_state
	if stack_state; then
		say "running on $MM_BASE_URL"
		return 0
	fi
	say "not running"
	return 1
}

case ${1:-} in
deps) shift; cmd_deps "$@" ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
restart-redis) cmd_restart_redis ;;
initdb) shift; cmd_initdb "$@" ;;
*)
	echo "usage: bash conf/stack.sh" \
	    "deps [run|test]|start|stop|status|restart-redis|initdb DIR" >&2
	exit 2
	;;
esac
