#!/usr/bin/env bash
# The dashboard in a real browser: make report's 3-day page opened in headless Chromium (Debian's) must load with
# no console error and hold the expected bars and points; a screenshot goes to build/report.png.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh chromium fonts-nanum
REPORT=build/report.html scripts/report.sh
profile=$(mktemp -d /tmp/ecpipe-chromium.XXXXXX)
trap 'rm -rf "$profile"' EXIT
browse() {  # browse <chromium options...>: headless, no sandbox (CI runs as root), an empty profile
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 "$@" "file://$PWD/build/report.html"
}
browse --dump-dom >"$profile/dom.html" 2>"$profile/console.log"
browse --screenshot="$PWD/build/report.png" --window-size=1280,2600 >/dev/null 2>>"$profile/console.log"
python3 - "$profile/dom.html" "$profile/console.log" <<'PY'
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
want = {("rect", "bar funnel"): 12, ("rect", "bar orders"): 3, ("circle", "point revenue"): 3,
        ("circle", "point quality"): 21, ("line", "threshold"): 1}
failed = 0
for key, n in want.items():
    got = c.classes.get(key, 0)
    print(("ok" if got == n else "not ok") + f" - {got} {key[0]}.{key[1].replace(' ', '.')} (want {n})")
    failed += got != n
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
echo "ok - screenshot: build/report.png ($(wc -c <build/report.png) bytes)"
