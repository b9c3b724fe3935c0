#!/usr/bin/env python3
"""Reads the fenced blocks of the docs for test/docs_examples.sh.

A block's marker is an HTML comment on the last non-blank line before its opening fence:
  <!-- not run: REASON -->    shown only (a placeholder path, a real Slack URL, a make target)
  <!-- test: setup -->        run by the setup part of test/docs_examples.sh (fresh cluster configured from it),
  <!-- test: setup as ROLE --> as a superuser, or logged in as ROLE
  <!-- test: file PATH -->    must be exactly the repository file PATH (which the test runs)
A block tagged sql or psql without a marker runs in its document's session. A block tagged sh, bash, shell or
console must carry a marker (they are never run here).

  doc_blocks.py check FILE...       fails listing every block that breaks these rules, or a file block that differs
  doc_blocks.py run FILE            prints the unmarked sql/psql blocks of FILE, in order
  doc_blocks.py setup FILE TAG [ROLE]  prints the blocks of FILE marked "test: setup" (or "test: setup as ROLE")
                                       and tagged TAG, in order
"""
import re
import sys

COMMAND_TAGS = {"sql", "psql", "sh", "bash", "shell", "console"}
MARKER = re.compile(r"^<!--\s*(not run:.*|test:\s*setup(?:\s+as\s+\w+)?|test:\s*file\s+\S+)\s*-->$")


def blocks(path):
    """Yields (line number, tag, marker or None, text) for each fenced block of a markdown file."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\S*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start, tag = i, m.group(1)
        j = start - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        marker = None
        if j >= 0:
            mm = MARKER.match(lines[j].strip())
            marker = re.sub(r"\s+", " ", mm.group(1)) if mm else None
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        yield start + 1, tag, marker, "\n".join(body) + "\n"


def check(paths):
    problems, counts = [], {}
    for path in paths:
        for line, tag, marker, text in blocks(path):
            where = f"{path}:{line}"
            if marker and marker.startswith("test: file"):
                target = marker.split(None, 2)[2]
                try:
                    expected = open(target, encoding="utf-8").read()
                except OSError as e:
                    problems.append(f"{where}: cannot read {target}: {e}")
                    continue
                if text != expected:
                    problems.append(f"{where}: the block differs from {target}")
                counts["file"] = counts.get("file", 0) + 1
            elif marker:
                counts[marker.split(":")[0]] = counts.get(marker.split(":")[0], 0) + 1
            elif tag in ("sql", "psql"):
                counts["run"] = counts.get("run", 0) + 1
            elif tag in COMMAND_TAGS:
                problems.append(f"{where}: a ```{tag} block is never run: mark it <!-- not run: why -->")
    for p in problems:
        print(p)
    print("blocks: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    return 1 if problems else 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "check":
        return check(argv[2:])
    if len(argv) == 3 and argv[1] == "run":
        for _, tag, marker, text in blocks(argv[2]):
            if tag in ("sql", "psql") and marker is None:
                sys.stdout.write(text)
        return 0
    if len(argv) in (4, 5) and argv[1] == "setup":
        wanted = "test: setup" + (" as " + argv[4] if len(argv) == 5 else "")
        for _, tag, marker, text in blocks(argv[2]):
            if tag == argv[3] and marker == wanted:
                sys.stdout.write(text)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
