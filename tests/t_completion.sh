#!/bin/bash
# Bash completion (completion/vethmap, issue 15), driven as bash drives it: COMP_WORDS and
# COMP_CWORD set (split at ':' as COMP_WORDBREAKS splits), _vethmap called, COMPREPLY
# read.  Targets come from a recorded database (tests/data/recorded.sql: hostile names,
# edges e1-e5, a containerd pod), and from a copy whose container names would run
# commands if anything evaluated them.  No database, or one the user may not read: no
# word, no message, at once.  Needs no root (the unreadable case runs as nobody when root).
. "${BASH_SOURCE%/*}/lib.sh"
need_vethmap

D=$TMP/recorded.db
sqlite3 "$D" <tests/data/recorded.sql || { not_ok "fixture: tests/data/recorded.sql" "sqlite3 failed"; exit 1; }
H=$TMP/hostile.db
cp "$D" "$H"
sqlite3 "$H" "UPDATE container SET name = '\$(touch $TMP/pwned)' WHERE name = 'redis';
	      UPDATE container SET pod = 'a b;\`touch $TMP/pwned2\`' WHERE pod = 'redis-0'" ||
	{ not_ok "fixture: hostile names" "sqlite3 failed"; exit 1; }

# the file as 'make install' puts it
make -s install DESTDIR="$TMP/root" PREFIX=/usr >"$TMP/install.log" 2>&1
check_eq "make install exits 0" 0 "$?"
F=$TMP/root/usr/share/bash-completion/completions/vethmap
check "make install puts the completion in share/bash-completion/completions" test -f "$F"
check "the installed file is the tree's" cmp -s "$F" completion/vethmap
check "bash -n: the completion parses" bash -n "$F"

# run in a bash of its own, as an interactive shell would have it after sourcing
drive() {	# drive WORD...: COMPREPLY, one per line, for the command line WORD... (last: cur)
	VETHMAP_F=$F bash -c '
		source "$VETHMAP_F" || exit 9
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_vethmap
		printf "%s\n" "${COMPREPLY[@]}"' drive "$VETHMAP" "$@"
}
has() {	# has NAME WORD DRIVE-ARGS...: WORD is among the completions
	local name=$1 w=$2 out
	shift 2
	out=$(drive "$@" 2>&1)
	if grep -qxF -- "$w" <<<"$out"; then ok "$name"
	else not_ok "$name" "[$w] not in [$(tr '\n' ' ' <<<"$out" | head -c 300)]"
	fi
}
hasnot() {	# hasnot NAME WORD DRIVE-ARGS...
	local name=$1 w=$2 out
	shift 2
	out=$(drive "$@" 2>&1)
	if grep -qxF -- "$w" <<<"$out"; then not_ok "$name" "[$w] offered"
	else ok "$name"
	fi
}

check_eq "complete -p vethmap after sourcing" "complete -F _vethmap vethmap" \
	"$(bash -c 'source "$1" && complete -p vethmap' - "$F" 2>&1)"

# commands and options, from the parser's tables
has "a command: cap" cap ""
has "a command by its start: ca -> cap" cap ca
hasnot "no hidden command" __complete ""
has "help COMMAND: report" report help re
has "an option of cap: --both-ends" --both-ends cap --bo
has "an option of cap: -Z" -Z cap -
hasnot "no option of another command: cap --expand" --expand cap --ex
has "cap -W: pcap" pcap cap -W ""
has "graph -T: svg" svg graph -T s
has "report --format: html" html report --format ""
check_eq "ls --stored then an option: --db" "--db" "$(drive ls --stored --d)"

# targets of the stored snapshot
has "cap target: a container name (redis)" redis cap --db "$D" re
has "cap target: a pod (default/redis-0)" default/redis-0 cap --db "$D" def
has "cap target: an edge id (e1)" e1 cap --db "$D" e
has "cap target: every edge (e5)" e5 cap --db "$D" e
hasnot "cap target: no edge that is not there (e6)" e6 cap --db "$D" e
has "cap target: a host interface (vethb)" vethb cap --db "$D" veth
has "cap target: host" host cap --db "$D" h
has "cap target: an ip netns name with quotes, quoted for the shell" 'web\ \"\<\&\$\>' cap --db "$D" we
has "cap NETNS:IFNAME: after 'redis:' (bash splits at ':'), eth0" eth0 cap --db "$D" redis : ""
has "cap NETNS:IFNAME: 'redis:et' -> eth0" eth0 cap --db "$D" redis : et
hasnot "cap NETNS:IFNAME: no interface named with a control character" 'new\x1b[0m' cap --db "$D" redis : n
check_eq "cap NETNS:IFNAME: nothing with a control character at all" "" \
	"$(drive cap --db "$D" redis : "" | grep -c $'\x1b' | grep -v '^0$')"
has "graph --focus: a bridge (br0)" br0 graph --db "$D" --focus b
has "ls TARGET: redis" redis ls --stored --db "$D" r
hasnot "cap: the filter after the target is not a target" redis cap --db "$D" redis r
has "diff: a scan id (2)" 2 diff --db "$D" ""
has "diff: the second scan id (1)" 1 diff --db "$D" 2 ""
hasnot "diff: no third scan id" 1 diff --db "$D" 2 1 ""
has "show --scan: a scan id" 1 show --db "$D" --scan ""
has "--db=PATH is read too" redis cap --db="$D" re
has "the --db after the word is not needed: before it, it is read" e2 cap --scan 1 --db "$D" e

# hostile names: quoted, never run
out=$(drive cap --db "$H" "")
check "hostile: the container's name is offered" grep -qF 'touch' <<<"$out"
check "hostile: nothing ran" test ! -e "$TMP/pwned" -a ! -e "$TMP/pwned2"
w=$(grep -F 'pwned' <<<"$out" | grep -vF pwned2 | head -n1)
check_eq "hostile: the word is quoted: bash reads it back as the name" "\$(touch $TMP/pwned)" \
	"$(bash -c 'eval "set -- $1"; printf %s "$1"' - "$w")"
check "hostile: reading it back ran nothing either" test ! -e "$TMP/pwned" -a ! -e "$TMP/pwned2"
w=$(grep -F 'pwned2' <<<"$out" | head -n1)
check_eq "hostile: a pod with a space, ';' and backticks reads back whole" "a b;\`touch $TMP/pwned2\`" \
	"$(bash -c 'eval "set -- $1"; printf %s "$1"' - "$w")"
check "hostile: still nothing ran" test ! -e "$TMP/pwned" -a ! -e "$TMP/pwned2"

# no database, or one we may not read: no word, no message, at once
t0=$(date +%s%N)
out=$(drive cap --db "$TMP/none.db" "" 2>&1)
t1=$(date +%s%N)
check_eq "no database: no word and no message" "" "$out"
check "no database: answered in under a second" test $(((t1 - t0) / 1000000)) -lt 1000
check "no database: none was made" test ! -e "$TMP/none.db"
if [ "$(id -u)" = 0 ]; then
	mkdir -m 0700 "$TMP/priv"
	cp "$D" "$TMP/priv/p.db"
	chmod 0600 "$TMP/priv/p.db"
	chmod 0755 "$TMP"
	out=$(cd / && setpriv --reuid 65534 --regid 65534 --clear-groups env VETHMAP_F="$F" bash -c '
		source "$VETHMAP_F"
		COMP_WORDS=("$1" cap --db "$2" ""); COMP_CWORD=4
		_vethmap
		printf "%s\n" "${COMPREPLY[@]}"' - "$VETHMAP" "$TMP/priv/p.db" 2>&1)
	check_eq "a database nobody may not read: no word and no message" "" "$out"
else
	skip "a database the user may not read" "needs root to be another user"
fi
exit 0
