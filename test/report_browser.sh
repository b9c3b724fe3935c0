#!/usr/bin/env bash
# The dashboard in a real browser: make report's page of a week (a day with a few quarantined lines, a blocked one,
# one run twice; REPORT_DAYS=7) and a day not run after it, opened in headless Chromium (Debian's), in Korean and in
# English, must load with no console error and hold the day grid, the blocked day's reasons and samples, the re-run
# day's earlier run, and the expected bars and points, with no legend or axis label overlapping; so must the page of
# 60 days from the same first day (geometry only). Screenshots go to build/report.png, build/report-en.png and
# build/report-60.png.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh chromium fonts-nanum
profile=$(mktemp -d /tmp/ecpipe-chromium.XXXXXX)
trap 'rm -rf "$profile"' EXIT
for language in ko en; do
suffix=""
[ "$language" = ko ] || suffix="-$language"
long=""
[ "$language" = ko ] && long=build/report-60.html
REPORT=build/report$suffix.html REPORT_LANGUAGE=$language REPORT_DAYS=7 REPORT_EXTRA_DAYS=1 REPORT_LONG=$long \
  scripts/report.sh
browse() {  # browse <chromium options...>: headless, no sandbox (CI runs as root), an empty profile
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 "$@" "file://$PWD/build/report$suffix.html"
}
browse --dump-dom >"$profile/dom.html" 2>"$profile/console.log"
browse --screenshot="$PWD/build/report$suffix.png" --window-size=1280,3000 >/dev/null 2>>"$profile/console.log"
# Geometry, measured by the browser in a test copy of the page with a script added (the page itself runs none):
# no legend entry overlaps a bar, point, value or axis label, or another legend entry, and axis labels of one chart
# do not overlap each other.
geometry() {  # geometry <page.html> <out.dom>
sed -e 's|<meta http-equiv="Content-Security-Policy"[^>]*>||' -e 's|</body>|<script>\
const rects = (svg, sel) => [...svg.querySelectorAll(sel)].map(e => e.getBoundingClientRect()).filter(r => r.width > 0);\
const hit = (a, b) => a.left < b.right - 1 \&\& b.left < a.right - 1 \&\& a.top < b.bottom - 1 \&\& b.top < a.bottom - 1;\
let overlaps = [], legends = 0;\
for (const [n, svg] of [...document.querySelectorAll("svg.chart")].entries()) {\
  const legend = rects(svg, "rect.legend, text.legend-label"), data = rects(svg, "rect.bar, circle.point, text.value, text.category, text.tick, text.label, text.hvalue, text.note");\
  legends += legend.length;\
  legend.forEach((a, i) => { data.forEach(b => { if (hit(a, b)) overlaps.push("chart " + n + ": legend on data"); });\
                             legend.slice(i + 1).forEach(b => { if (hit(a, b) \&\& a.height < 14 \&\& b.height < 14 \&\& Math.abs(a.left - b.left) > 12) overlaps.push("chart " + n + ": legend on legend"); }); });\
  const cats = rects(svg, "text.category");\
  cats.forEach((a, i) => cats.slice(i + 1).forEach(b => { if (hit(a, b)) overlaps.push("chart " + n + ": axis labels"); }));\
}\
document.body.setAttribute("data-legends", legends); document.body.setAttribute("data-overlaps", overlaps.join("; "));\
</script></body>|' "$1" >"$profile/geometry.html"
timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$profile" \
  --window-size=1280,3000 --virtual-time-budget=3000 --dump-dom "file://$profile/geometry.html" >"$2" 2>/dev/null
}
geometry "build/report$suffix.html" "$profile/geometry.dom"
echo "# the page in $language"
python3 - "$profile/dom.html" "$profile/console.log" "$language" "$profile/geometry.dom" <<'PY'
import re, sys
from html.parser import HTMLParser

class Count(HTMLParser):
    def __init__(self):
        super().__init__()
        self.classes = {}
        self.scripts = 0
    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        cls = dict(attrs).get("class")
        if cls:
            self.classes[(tag, cls)] = self.classes.get((tag, cls), 0) + 1

dom = open(sys.argv[1], encoding="utf-8").read()
c = Count()
c.feed(dom)
# seven days: the blocked one's orders are "not loaded" (no bar, no point); the grid: a run cell per day, a cell per
# check and day (passing or failing), the blocked day's reasons with sample lines
want = {("rect", "bar funnel"): 12, ("rect", "bar orders"): 6, ("circle", "point revenue"): 6,
        ("circle", "point quality"): 49, ("line", "threshold"): 7, ("td", "cell run succeeded"): 6, ("td", "cell run not_run"): 1,
        ("td", "cell run blocked"): 1, ("div", "why blocked"): 1}
failed = 0
for key, n in want.items():
    got = c.classes.get(key, 0)
    print(("ok" if got == n else "not ok") + f" - {got} {key[0]}.{key[1].replace(' ', '.')} (want {n})")
    failed += got != n
checks = c.classes.get(("td", "cell check pass"), 0) + c.classes.get(("td", "cell check fail"), 0)
print(("ok" if checks == 49 else "not ok") + f" - {checks} check cells in the day grid (want 7 checks x 7 days)")
failed += checks != 49
rerun = "이전 실행 (1)" if sys.argv[3] == "ko" else "earlier runs (1)"
print(("ok" if dom.count(rerun) == 1 else "not ok") + f" - the re-run day's cell names its earlier run ({rerun!r})")
failed += dom.count(rerun) != 1
fails = c.classes.get(("td", "cell check fail"), 0)
print(("ok" if fails >= 1 else "not ok") + f" - {fails} failing check cells (the blocked day has at least one)")
failed += fails < 1
samples = c.classes.get(("tr", "sample"), 0)
print(("ok" if 1 <= samples <= 35 else "not ok") + f" - {samples} sample lines of the blocked day (1 to 5 per failing check)")
failed += not 1 <= samples <= 35
not_loaded = "적재 안 됨" if sys.argv[3] == "ko" else "not loaded"
print(("ok" if not_loaded in dom else "not ok") + f" - the blocked day's orders say {not_loaded!r}")
failed += not_loaded not in dom
hangul = any(0xAC00 <= ord(ch) <= 0xD7A3 for ch in dom)
print(("ok" if hangul == (sys.argv[3] == "ko") else "not ok") + f" - the {sys.argv[3]} page speaks only its language")
failed += hangul != (sys.argv[3] == "ko")
geometry = open(sys.argv[4], encoding="utf-8").read()
legends = re.search(r'data-legends="(\d+)"', geometry)
overlaps = re.search(r'data-overlaps="([^"]*)"', geometry)
print(("ok" if legends and int(legends.group(1)) > 0 else "not ok") + f" - the browser measured {legends.group(1) if legends else 'no'} legend boxes")
failed += not legends or int(legends.group(1)) == 0
print(("ok" if overlaps and overlaps.group(1) == "" else "not ok") + " - no legend overlaps a bar, point or label, no axis labels collide"
      + ("" if not overlaps or not overlaps.group(1) else ": " + overlaps.group(1)[:300]))
failed += not overlaps or overlaps.group(1) != ""
products = c.classes.get(("rect", "bar product"), 0)
print(("ok" if 1 <= products <= 10 else "not ok") + f" - {products} top-product bars (1 to 10)")
failed += not 1 <= products <= 10
print(("ok" if c.scripts == 0 else "not ok") + f" - {c.scripts} script elements")
failed += c.scripts != 0
errors = [l for l in open(sys.argv[2], encoding="utf-8", errors="replace")
          if re.search(r"CONSOLE|Uncaught|Refused to|ERR_", l)]
print(("ok" if not errors else "not ok") + f" - {len(errors)} console errors" + "".join("\n#   " + e.strip() for e in errors))
failed += bool(errors)
sys.exit(1 if failed else 0)
PY
echo "ok - screenshot: build/report$suffix.png ($(wc -c <build/report$suffix.png) bytes)"
if [ -n "$long" ]; then
  geometry "$long" "$profile/geometry-60.dom"
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$profile" \
    --screenshot="$PWD/build/report-60.png" --window-size=1280,3000 "file://$PWD/$long" >/dev/null 2>&1
  overlaps=$(grep -o 'data-overlaps="[^"]*"' "$profile/geometry-60.dom" || echo 'data-overlaps="not measured"')
  if [ "$overlaps" = 'data-overlaps=""' ]; then echo "ok - the 60-day page: no legend or axis label overlaps"
  else echo "not ok - the 60-day page: ${overlaps:0:300}"; exit 1; fi
fi
done
