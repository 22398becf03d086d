#!/bin/bash
# Help and the parser agree, and so does the man page (issue 15).  'vethmap help' lists
# every command; 'help CMD', 'CMD --help' and 'CMD -h' print the same page with one line
# per option; every option help lists is one the parser takes (with an argument when help
# names one), and every option the parser takes is in help: each letter is tried, and each
# long name in the source's option tables.  The man page's synopsis of each command holds
# exactly its options.  Runs nothing that touches the host or a database: every probe ends
# in a usage error.  Needs no root.
. "${BASH_SOURCE%/*}/lib.sh"
need_vethmap
cd "$TMP" || exit 1	# a stray option argument could name a file: here, not in the tree
MAN=$OLDPWD/vethmap.8
SRC=$OLDPWD/src

mapfile -t cmds < <("$VETHMAP" __complete commands)
check "__complete commands lists commands" test "${#cmds[@]}" -ge 9
"$VETHMAP" help >top.out 2>&1
check_eq "help exits 0" 0 "$?"
for c in "${cmds[@]}"; do
	check "help lists '$c' with a line of its own" grep -qE "^  $c +[a-z]" top.out
done
check "help does not list the hidden __complete" bash -c '! grep -q __complete top.out'

# optlines FILE: each option line of a help page as "NAME ARG", one per name
# ("  -o, --output FILE   write..." gives "-o FILE" and "--output FILE"), when its text
# follows after two spaces or on the next line
optlines() {
	awk '/^  -/ { left = substr($0, 3); i = index(left, "  "); if (i) left = substr(left, 1, i - 1)
		n = split(left, w, " "); arg = (w[n] !~ /^-/) ? " " w[n] : ""
		for (k = 1; k <= n; k++) if (w[k] ~ /^-/) { sub(/,$/, "", w[k]); print w[k] arg } }' "$1"
}

# what a probe gives an option that takes ARG: a value its parser accepts
sample() {
	case $1 in
	*"|"*) echo "${1%%|*}" ;;
	PATH | FILE) echo "$TMP/none/x" ;;
	ID | COUNT | N) echo 1 ;;
	DURATION) echo 1s ;;
	MAXBYTES) echo 64k ;;
	SNAPLEN) echo 100 ;;
	KIB) echo 64 ;;
	USER) echo nobody ;;
	IFNAME) echo eth0 ;;
	TARGET) echo host ;;
	*) echo "x" ;;
	esac
}

for c in "${cmds[@]}"; do
	"$VETHMAP" help "$c" >"h.$c" 2>&1
	check_eq "$c: help $c exits 0" 0 "$?"
	"$VETHMAP" "$c" --help >"l.$c" 2>&1
	check_eq "$c: $c --help exits 0" 0 "$?"
	"$VETHMAP" "$c" -h >"s.$c" 2>&1
	check "$c: help $c and $c --help print the same" cmp -s "h.$c" "l.$c"
	check "$c: $c -h prints the same as --help" cmp -s "h.$c" "s.$c"
	check "$c: help starts with its synopsis" grep -q "^usage: vethmap $c" "h.$c"
	check_eq "$c: no help line is wider than 80 columns" "" "$(awk 'length > 80' "h.$c")"

	# every option of the table: in help with its argument, and taken by the parser
	mapfile -t words < <("$VETHMAP" __complete words "$c")
	helped=() long=()
	for w in "${words[@]}"; do
		[[ $w == "@ "* ]] && continue
		opt=${w%% *} arg=
		[[ $w == *" "* ]] && arg=${w#* }
		helped+=("$opt")
		[[ $opt == --* ]] && long+=("${opt#--}")
		# its line: "  -o, --output FILE   what it does" (names, argument, two spaces, text)
		if optlines "h.$c" | grep -qxF -- "$opt${arg:+ $arg}"; then
			ok "$c: help has a line for $opt${arg:+ $arg}"
		else
			not_ok "$c: help has a line for $opt${arg:+ $arg}" "not in: $(optlines "h.$c" | tr '\n' '|')"
		fi
		if [ "$opt" = --help ] || [ "$opt" = -h ]; then continue; fi
		if [ -n "$arg" ]; then
			"$VETHMAP" "$c" "$opt" "$(sample "$arg")" --help >p.out 2>p.err
		else
			"$VETHMAP" "$c" "$opt" --help >p.out 2>p.err
		fi
		rc=$?
		if [ $rc -eq 0 ] && cmp -s p.out "h.$c"; then
			ok "$c: the parser takes $opt${arg:+ $arg}"
		else
			not_ok "$c: the parser takes $opt${arg:+ $arg}" "exit $rc: $(head -c 200 p.err)"
		fi
		if [ -n "$arg" ]; then	# and wants its argument
			"$VETHMAP" "$c" "$opt" >p.out 2>p.err
			rc=$?
			if [ $rc -eq 2 ] && grep -q "needs an argument" p.err; then
				ok "$c: $opt without its argument is a usage error"
			else
				not_ok "$c: $opt without its argument is a usage error" "exit $rc: $(head -c 200 p.err)"
			fi
		fi
	done

	# every letter the parser takes is in help: '-X --zz --zz' names -X only when unknown
	# (a letter that takes an argument eats the first --zz, the second is then unknown)
	missing=
	for l in {a..z} {A..Z} {0..9}; do
		"$VETHMAP" "$c" "-$l" --zz --zz >/dev/null 2>p.err
		if ! grep -qF "unknown option '-$l'" p.err; then
			printf '%s\n' "${helped[@]}" | grep -qx -- "-$l" || missing+=" -$l"
		fi
	done
	check_eq "$c: every letter the parser takes is in help" "" "$missing"

	# the man page's synopsis of the command holds its options, and only those
	syn=$(awk -v c="$c" '$0 == ".SY \"vethmap " c "\"" {f=1; next} f && /^\.YS/ {exit} f' "$MAN" |
		grep -oE '\\-\\-[a-z][a-z\\-]*|\\-[A-Za-z]' | sed 's/\\//g' | sort -u)
	want=$(printf '%s\n' "${helped[@]}" | grep -vxE -- '-h|--help' | sort -u)
	extra=$(comm -13 <(printf '%s\n' $want) <(printf '%s\n' $syn) | tr '\n' ' ')
	check_eq "$c: the man page's synopsis has no option the parser does not take" "" "$extra"
	nomention=
	for w in "${words[@]}"; do
		[[ $w == "@ "* ]] && continue
		o=${w%% *}
		[[ $o == -h || $o == --help ]] && continue
		printf '%s\n' $syn | grep -qx -- "$o" && continue
		# its other name (-o/--output, -v/--verbose, -j/--json) will do
		other=$(grep -oE "^  -[A-Za-z], --[a-z-]+" "h.$c" | tr -d ' ' | tr ',' ' ' |
			awk -v o="$o" '$1 == o {print $2} $2 == o {print $1}')
		[ -n "$other" ] && printf '%s\n' $syn | grep -qx -- "$other" && continue
		nomention+=" $o"
	done
	check_eq "$c: the man page's synopsis shows every option of $c" "" "$nomention"
	: >"nodesc.$c"
	for o in $want; do	# "\-\-db" as a whole word (not "\-\-dbx", not "\-journal" for -j)
		esc=$(sed 's/-/\\\\-/g' <<<"$o")
		grep -qE -- "${esc}([^a-zA-Z\\]|\\[^-]|$)" <(sed -n '/^\.SH OPTIONS/,/^\.SH OUTPUT/p' "$MAN") ||
			printf '%s\n' "$o" >>"nodesc.$c"
	done
	check_eq "$c: the man page's OPTIONS describe each option" "" "$(tr '\n' ' ' <"nodesc.$c" 2>/dev/null)"

	# long names of the source's tables for this command's file, all in help
	if [ -f "$SRC/cmd_$c.c" ]; then
		src=$(awk '/cmd_opt\[\]\)\{/ {f=1; next} f && /^\t\}/ {f=0} f' "$SRC/cmd_$c.c" |
			grep -oE '^\s*\{ "[a-z-]+"' | grep -oE '[a-z-]+' | sort -u)
		notin=
		for n in $src; do
			printf '%s\n' "${long[@]}" | grep -qx -- "$n" || notin+=" --$n"
		done
		check_eq "$c: every long option in src/cmd_$c.c is in help" "" "$notin"
	fi
done

# the common options of src/vethmap.c's table, in the help of the commands that take them
common=$(awk '/^} common_opts\[\] = \{/ {f=1; next} f && /^\};/ {f=0} f' "$SRC/vethmap.c" |
	grep -oE '\{ "[a-z-]+"' | grep -oE '[a-z-]+' | sort -u)
check_eq "the common options' table is what help shows" "captures db help json keep older-than scan verbose" "$(echo $common)"
check "show --help shows --db, --scan, --json" grep -q -- "--db PATH" h.show -a -n "$(grep -- '--scan ID' h.show)"

# the global forms and errors
"$VETHMAP" help frobnicate >/dev/null 2>p.err
check_eq "help of an unknown command exits 2" 2 "$?"
check "help of an unknown command names it" grep -q "frobnicate" p.err
"$VETHMAP" help cap scan >/dev/null 2>p.err
check_eq "help with two operands exits 2" 2 "$?"
"$VETHMAP" cap --frobnicate >p.out 2>p.err
check_eq "an unknown option exits 2" 2 "$?"
check "an unknown option prints the synopsis on stderr" grep -q "^usage: vethmap cap" p.err
check_eq "an unknown option prints nothing on stdout" 0 "$(wc -c <p.out)"

# the man page itself renders without a warning
if type -P groff >/dev/null; then
	groff -man -Tutf8 -ww -z "$MAN" 2>groff.err
	check_eq "groff -man -ww: vethmap.8 has no warning" "" "$(head -c 300 groff.err)"
else
	skip "groff -man -ww vethmap.8" "groff not installed"
fi
exit 0
