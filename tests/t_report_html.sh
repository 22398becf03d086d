#!/bin/bash
# vethmap report --format html: the page embeds the drawing as inline SVG.  Real namespaces,
# veths and a bridge (one veth with an MTU mismatch, a leaked namespace, hostile names),
# scanned and reported; the page is parsed (Python's html.parser) to check that the SVG is
# inline, one cluster per namespace of the scan, each namespace and interface linked to its
# row and back, every href="#..." resolving to an id, the findings marked on the drawing,
# nothing referenced from outside, hostile names escaped; then opened in headless Chromium:
# a screenshot, and the DOM holds the SVG with the same count.  --format xml has no SVG.
# Only objects named with our $PFX are asserted about: other tests may run at the same time.
. "${BASH_SOURCE%/*}/lib.sh"
need_root
need_vethmap
for tool in xmllint python3; do
	command -v $tool >/dev/null || { skip "${0##*/}" "$tool not installed"; exit 0; }
done
export VETHMAP_DATADIR=$PWD/reports	# this tree's stylesheet, not an installed one

fail() { not_ok "fixture: $1" "${2:-ip failed}"; exit 1; }
_has_pids() { [ -n "$(ip netns pids "$1" 2>/dev/null)" ]; }

# ns_port NAME HOSTEND: netns $PFX$NAME (with a process) holding eth0, its peer HOSTEND a
# port of our bridge; all up
ns_port() {
	ns_add "$1"
	ip link add "$2" type veth peer name eth0 netns "$PFX$1" &&
	ip -n "$PFX$1" link set eth0 up && ip link set "$2" master "${PFX}br" &&
	ip link set "$2" up || fail "veth $2"
	ip netns exec "$PFX$1" sleep 600 &
	bg_pid $!
	wait_for 10 _has_pids "$PFX$1" || fail "process in $PFX$1"
}

ip link add "${PFX}br" type bridge && ip link set "${PFX}br" up || fail "bridge"
ns_port a "${PFX}a0"
ns_port b "${PFX}b0"
ip -n "${PFX}b" link set eth0 mtu 1400 || fail "mtu"	# veth-mtu-mismatch (warning)
HN="n<&'\"\$"						# a hostile netns name
ns_port "$HN" "${PFX}h0"
HI="${PFX}i<&\"'\$"$'\xff'				# a hostile interface name, not UTF-8
ip -n "$PFX$HN" link add "$HI" type veth peer name p1 || fail "hostile interface"
ns_add lk						# netns-leaked (warning): no process
LK=$(ns_ino lk)

"$VETHMAP" scan --db "$DB" >/dev/null 2>"$TMP/scan.err" || fail "scan" "$(head -c 300 "$TMP/scan.err")"
"$VETHMAP" report --db "$DB" -o "$TMP/r.xml" 2>"$TMP/err"
check_eq "xml: exits 0, nothing on stderr" "0 " "$? $(cat "$TMP/err")"
check "xml: valid against the schema" xmllint --noout --schema schema/vethmap-report.xsd "$TMP/r.xml"
check_eq "xml: holds no SVG" 0 "$(xmllint --xpath "count(//*[local-name()='svg'])" "$TMP/r.xml")"
NNS=$(xmllint --xpath 'count(//netns)' "$TMP/r.xml")
ref_id() {	# ref_id REF: the report's id (nsN, ifN) of the object with ref REF
	xmllint --xpath "string(//*[@ref=\"$1\"]/@id)" "$TMP/r.xml" 2>/dev/null
}
NS_A=$(ref_id "netns:$(ns_ino a)")
NS_LK=$(ref_id "netns:$LK")
IF_A=$(ref_id "${PFX}a:eth0")
IF_B=$(ref_id "${PFX}b:eth0")
IF_BR=$(ref_id "host:${PFX}br")
HIX="${PFX}i<&\"'\$\\xff"				# as the report writes it
IF_HI=$(xmllint --xpath "string(//interface[starts-with(@name, '${PFX}i<')]/@id)" "$TMP/r.xml")
[ -n "$NS_A" ] && [ -n "$NS_LK" ] && [ -n "$IF_A" ] && [ -n "$IF_B" ] && [ -n "$IF_HI" ] ||
	fail "our objects in the report" "ns $NS_A $NS_LK if $IF_A $IF_B $IF_HI"

P=$TMP/r.html
"$VETHMAP" report --db "$DB" --format html -o "$P" 2>"$TMP/err"
check_eq "html: exits 0, nothing on stderr" "0 " "$? $(cat "$TMP/err")"
check "html: xmllint --html reads it" xmllint --html --noout "$P"

# page.py FILE [ID...]: facts about the page, one "key value" per line
cat >"$TMP/page.py" <<'EOF'
import re, sys
from html.parser import HTMLParser

class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.ids, self.hrefs, self.bad = [], {}, [], []
        self.svgs, self.svg_in_body, self.g = 0, 0, {}
        self.text, self.svgtext, self.title = [], [], {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in ('br', 'meta', 'hr', 'img', 'link', 'input'):
            self.stack.append((tag, a))
        if tag in ('script', 'link', 'img', 'iframe', 'object', 'embed', 'image', 'use',
                   'foreignobject', 'base', 'form'):
            self.bad.append('element ' + tag)
        for k, v in attrs:
            v = v or ''
            if k.startswith('on') or k in ('src', 'xlink:href', 'srcset', 'background'):
                self.bad.append('attribute %s=%s' % (k, v))
            if re.search(r'url\(|https?:|//', v) and k != 'title':
                self.bad.append('attribute %s=%s' % (k, v))
        if 'id' in a:
            self.ids[a['id']] = self.ids.get(a['id'], 0) + 1
        if 'href' in a:
            self.hrefs.append(a['href'])
        if tag == 'svg':
            self.svgs += 1
            self.svg_in_body += any(t == 'body' for t, _ in self.stack)
        if tag == 'g' and re.match(r'draw-(ns|if)\d+$', a.get('id', '')):
            self.g[a['id']] = {'class': a.get('class', ''), 'href': None, 'title': ''}
    def handle_endtag(self, tag):
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break
    def handle_data(self, d):
        tags = [t for t, _ in self.stack]
        if 'style' in tags and re.search(r'url\(|@import', d):
            self.bad.append('style ' + d.strip()[:40])
        if 'svg' in tags:
            self.svgtext.append(d)
            gs = [a.get('id') for t, a in self.stack if t == 'g' and a.get('id') in self.g]
            if gs and tags[-1] == 'title':
                self.g[gs[-1]]['title'] += d
    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

page = Page()
page.feed(open(sys.argv[1], encoding='utf-8', errors='strict').read())
# each drawn g's link: the href of the <a> inside it (re-parse: simple, and order-proof)
src = open(sys.argv[1], encoding='utf-8').read()
for m in re.finditer(r'<g class="[^"]*" id="(draw-(?:ns|if)\d+)"><g[^>]*><a href="([^"]*)"', src):
    page.g[m.group(1)]['href'] = m.group(2)
print('svgs', page.svgs)
print('svg_in_body', page.svg_in_body)
print('ns_clusters', sum(1 for k in page.g if k.startswith('draw-ns')))
print('dup_ids', ' '.join(k for k, n in page.ids.items() if n > 1) or '-')
print('dangling', ' '.join(h for h in page.hrefs if not h.startswith('#') or h[1:] not in page.ids) or '-')
print('bad', ' | '.join(page.bad) or '-')
print('links', len(page.hrefs))
for obj in sys.argv[2:]:
    g = page.g.get('draw-' + obj)
    row_link = re.search(r'<tr id="%s">\s*<td class="mono"><a href="#draw-%s"' % (obj, obj), src)
    if not g:
        print(obj, 'undrawn')
        continue
    cls = ' '.join(c for c in g['class'].split() if c.startswith('f-')) or 'none'
    print(obj, 'link=%s back=%s class=%s' % (g['href'] == '#' + obj, bool(row_link), cls))
    print(obj + '.title', g['title'].replace('\n', ' | '))
for d in page.svgtext:
    if d.strip():
        print('svgtext', d.strip().replace('\n', ' | '))
EOF
facts() { python3 "$TMP/page.py" "$@" 2>&1; }
F=$(facts "$P" "$NS_A" "$NS_LK" "$IF_A" "$IF_B" "$IF_BR" "$IF_HI")
fact() { sed -n "s/^$1 //p" <<<"$F"; }
check_eq "html: one inline <svg>, in the body" "1 1" "$(fact svgs) $(fact svg_in_body)"
check_eq "html: one cluster per namespace of the scan ($NNS)" "$NNS" "$(fact ns_clusters)"
check "html: has links" test "$(fact links)" -gt 0
check_eq "html: every href=\"#...\" resolves to an id" "-" "$(fact dangling)"
check_eq "html: ids unique" "-" "$(fact dup_ids)"
check_eq "html: nothing from outside (no script, src, url(), http)" "-" "$(fact bad)"
check_eq "html: clean netns a linked both ways, unmarked" "link=True back=True class=none" "$(fact "$NS_A")"
check_eq "html: clean a:eth0 linked both ways, unmarked" "link=True back=True class=none" "$(fact "$IF_A")"
check_eq "html: the bridge linked both ways" "link=True back=True class=none" "$(fact "$IF_BR")"
check_eq "html: b:eth0 (MTU mismatch) marked" "link=True back=True class=f-warning" "$(fact "$IF_B")"
check "html: b:eth0's tooltip names the finding" grep -q "warning veth-mtu-mismatch: " <<<"$(fact "$IF_B.title")"
check_eq "html: leaked netns marked" "link=True back=True class=f-warning" "$(fact "$NS_LK")"
check "html: its tooltip names the finding" grep -q "warning netns-leaked: " <<<"$(fact "$NS_LK.title")"
check_eq "html: hostile interface linked both ways" "link=True back=True class=none" "$(fact "$IF_HI")"
# hostile names: the parsed SVG text holds them as the report writes them, the raw page
# never the markup characters unescaped
TXT=$(fact svgtext)
check "html: hostile netns name in the drawing, as it is" grep -qxF "$PFX$HN" <<<"$TXT"
check "html: hostile interface name in the drawing, \\xff written out" grep -qxE \
	"$(printf '%s' "${PFX}i<&\"'\$" | sed 's/[]$.*[\\^]/\\&/g')\\\\{1,2}xff" <<<"$TXT"
check_eq "html: raw page never holds them unescaped" 0 \
	"$(grep -cF -e "${PFX}n<" -e "${PFX}i<" -e "$PFX$HN" "$P")"
check "html: the page is valid UTF-8" python3 -c 'import sys; open(sys.argv[1], encoding="utf-8").read()' "$P"
# the assertions can fail: a page without the drawing fails the count and the links
python3 -c 'import re, sys; sys.stdout.write(re.sub(r"<svg.*</svg>", "", open(sys.argv[1]).read(), flags=re.S))' \
	"$P" >"$TMP/nosvg.html"
check_eq "html: (a page without the SVG is told apart)" "0 0" \
	"$(python3 "$TMP/page.py" "$TMP/nosvg.html" | sed -n 's/^\(svgs\|ns_clusters\) //p' | tr '\n' ' ' | sed 's/ $//')"

# -- in a browser
if ! command -v chromium >/dev/null; then
	skip "html in headless Chromium" "chromium not installed (apt-get install chromium)"
	exit 0
fi
chr() {	# chr ARGS...: headless Chromium on the page, no network of its own, bounded
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$TMP/chr" "$@" "file://$P" 2>>"$TMP/chr.err"
}
chr --screenshot="$TMP/shot.png" --window-size=1200,900 >/dev/null
RC=$?
if [ $RC -ne 0 ] && [ ! -s "$TMP/shot.png" ]; then
	skip "html in headless Chromium" "chromium does not run here (exit $RC): $(grep -v dbus "$TMP/chr.err" | tail -1 | head -c 200)"
	exit 0
fi
check_eq "chromium: screenshot exits 0" 0 "$RC"
check_eq "chromium: screenshot is a PNG" "89504e470d0a1a0a" \
	"$(head -c 8 "$TMP/shot.png" | od -An -tx1 | tr -d ' \n')"
check "chromium: screenshot not empty (> 10 kB)" test "$(stat -c %s "$TMP/shot.png")" -gt 10000
chr --dump-dom >"$TMP/dom.html"
check_eq "chromium: --dump-dom exits 0" 0 "$?"
D=$(facts "$TMP/dom.html" "$NS_A" "$IF_B")
check_eq "chromium: the SVG is in the DOM, one cluster per namespace" "1 $NNS" \
	"$(sed -n 's/^svgs //p' <<<"$D") $(sed -n 's/^ns_clusters //p' <<<"$D")"
check_eq "chromium: links in the DOM resolve" "-" "$(sed -n 's/^dangling //p' <<<"$D")"
