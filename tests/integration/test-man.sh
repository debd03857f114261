#!/bin/sh
# The man pages and the --help texts say the same: every option of every help
# text is in the man page, with its short form, and every option in the man
# page is in some help text; every command's synopsis in vifguardctl(8) is one
# term line, word for word the help's Usage line. No root, no namespace.
. "$(dirname "$0")/lib.sh"

TMPD=$(mktemp -d)
trap 'rm -rf "$TMPD"' EXIT
command -v man >/dev/null && command -v col >/dev/null ||
	skip_all "man or col not installed (scripts/install-deps.sh check)"

# render PAGE: the page as a terminal shows it, 80 columns, ASCII
render() {
	LANG=C LC_ALL=C MANWIDTH=80 man -l "$SRC/man/$1" 2>"$TMPD/man.err" | col -b
}

# compare NAME HELP-FILE MAN-FILE: options (--long, and -X, --long pairs) both ways
compare() {
	python3 - "$1" "$2" "$3" <<'PY'
import re, sys
name, help_text, man_text = sys.argv[1], open(sys.argv[2]).read(), open(sys.argv[3]).read()
def options(text):
    longs = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*[a-z])", text))
    pairs = set(re.findall(r"(?<![\w-])(-[A-Za-z]), (--[a-z][a-z-]*[a-z])", text))
    return longs, pairs
hl, hp = options(help_text)
ml, mp = options(man_text)
# other programs' options the pages quote: systemd-analyze security --offline=true
ml -= {"--offline"}
fails = 0
for what, a, b in (("long options in --help but not in the man page", hl, ml),
                   ("long options in the man page but in no --help", ml, hl),
                   ("short forms in --help but not in the man page", hp, mp),
                   ("short forms in the man page but in no --help", mp, hp)):
    missing = sorted(a - b)
    tag = "%s: %s" % (name, what)
    if missing:
        fails += 1
        print("not ok - %s: %s" % (tag, " ".join(str(m) for m in missing)))
    else:
        print("ok - %s: none (%d checked)" % (tag, len(a)))
sys.exit(0)
PY
}

render vifguardctl.8 >"$TMPD/ctl.man"
[ -s "$TMPD/ctl.man" ] || { not_ok "vifguardctl.8 renders"; sed 's/^/# /' "$TMPD/man.err"; }
render vifguardd.8 >"$TMPD/d.man"
[ -s "$TMPD/d.man" ] || { not_ok "vifguardd.8 renders"; sed 's/^/# /' "$TMPD/man.err"; }
if grep -qi "warning" "$TMPD/man.err"; then
	not_ok "the man pages render without warnings"; sed 's/^/# /' "$TMPD/man.err"
else
	ok "the man pages render without warnings"
fi

{
	"$CTL" --help
	for c in $("$CTL" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } /^$/ { on = 0 }'); do
		"$CTL" help "$c"
	done
} >"$TMPD/ctl.help"
"$DAEMON" --help >"$TMPD/d.help"

# the python prints TAP lines without numbers; number them here
compare vifguardctl "$TMPD/ctl.help" "$TMPD/ctl.man" >"$TMPD/tap"
compare vifguardd "$TMPD/d.help" "$TMPD/d.man" >>"$TMPD/tap"
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok "${line#ok - }" ;;
	*) not_ok "${line#not ok - }" ;;
	esac
done <"$TMPD/tap"

# every Usage line of every help is a term line of vifguardctl(8), word for word
grep -E '^(Usage: |       )vifguardctl [a-z]' "$TMPD/ctl.help" | sed -E 's/^(Usage: |       )vifguardctl //' |
	tr 'A-Z' 'a-z' | sed 's/[[:space:]]*$//' | sort -u >"$TMPD/usages"
sed -E 's/^[[:space:]]+//; s/[[:space:]]+/ /g' "$TMPD/ctl.man" | tr 'A-Z' 'a-z' >"$TMPD/ctl.lines"
n=0
while IFS= read -r usage; do
	n=$((n + 1))
	if grep -qxF "$usage" "$TMPD/ctl.lines"; then
		ok "vifguardctl(8) has the synopsis on one line: $usage"
	else
		not_ok "vifguardctl(8) has the synopsis on one line: $usage"
	fi
done <"$TMPD/usages"
[ "$n" -ge 20 ] && ok "every command's synopsis was compared ($n)" ||
	not_ok "every command's synopsis was compared (only $n)"

done_testing
