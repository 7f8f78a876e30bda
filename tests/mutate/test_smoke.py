#!/usr/bin/env python3
"""tools/mutate keeps working: five fixed mutants of lib/ through the whole tool.

Two that lib's unit tests kill (if the tool stops killing them, it is broken), one that
does not compile (stillborn, not counted), one whose result is already in the state file
(resumed: skipped, its record kept) and one whose recorded result was judged on another
text of its line (stale: judged again). A second run judges nothing. The user's tree is
never written, and the private copy holds HEAD's bytes again afterwards. Only the alert
and record_framing suites and no matrix, so the copy builds little more than lib: the
first run builds it (a minute or two), later runs reuse it.
usage: test_smoke.py SOURCE_ROOT WORK_DIR
"""
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile

# (file, a text on exactly one line of it, operator, the edit as --list prints it) -> expected
MUTANTS = {
    "killed-alert": ("lib/alert.cpp", "if (is_tls13 && d == ad::user_canceled) {", "eq-negate", "== -> !=",
                     "killed:unit"),
    "killed-framing": ("lib/record_framing.cpp", "static_cast<std::uint8_t>(length & 0xff)}", "const-minus1",
                       "0xff -> 0xFE", "killed:unit"),
    "stillborn": ("lib/alert.cpp", "for (int d = 0; d < 256; ++d) {", "const-plus1", "256 -> 257",
                  "stillborn:compile"),
    "resumed": ("lib/alert.cpp", "for (int i = 0; i < 7; ++i) out[d][i] = prefix[i];", "rel-boundary",
                "< -> <=", "killed:seeded"),
    "stale": ("lib/record_framing.cpp", "static_cast<std::uint8_t>(tls12_wire_version >> 8),", "const-plus1",
              "8 -> 9", "killed:unit"),
}

passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if ok:
        passed += 1
    else:
        failed += 1


def git_show(root, path):
    return subprocess.run(["git", "-C", root, "show", "HEAD:" + path], check=True, capture_output=True,
                          text=True).stdout


def find_ids(root, tool):
    """Each mutant's id, found from its line's text, so an edit elsewhere in lib/ moves it
    without breaking this test."""
    ids = {}
    for name, (path, text, op, edit, _) in MUTANTS.items():
        lines = [i + 1 for i, l in enumerate(git_show(root, path).splitlines()) if text in l]
        if len(lines) != 1:
            sys.exit(f"test_smoke: {text!r} is on {len(lines)} lines of {path}; update MUTANTS")
        listed = subprocess.run([tool, "--source", root, "--file", path, "--operator", op, "--only",
                                 f"{path}:{lines[0]}:*", "--list"], check=True, capture_output=True,
                                text=True).stdout.splitlines()
        hits = [l.split("  ", 1)[0] for l in listed if l.split("  ", 1)[1:] == [edit]]
        if len(hits) != 1:
            sys.exit(f"test_smoke: {op} {edit!r} on {path}:{lines[0]}: {len(hits)} mutants ({listed})")
        ids[name] = hits[0]
    return ids


def digest(root):
    h = hashlib.sha256()
    for p in sorted(pathlib.Path(root, "lib").iterdir()):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def main():
    root, work = sys.argv[1], sys.argv[2]
    tool = os.path.join(root, "tools", "mutate", "mutate")
    ids = find_ids(root, tool)
    before = digest(root)
    with tempfile.TemporaryDirectory() as tmp:
        state = os.path.join(tmp, "state.jsonl")
        # The resumed mutant's record as an earlier run would have left it; the stale one's
        # names another text of its line.
        listing = {}
        for name in ("resumed", "stale"):
            path = MUTANTS[name][0]
            listing[name] = json.loads(subprocess.run(
                [tool, "--source", root, "--only", ids[name], "--list-json"], check=True, capture_output=True,
                text=True).stdout)[0]
        with open(state, "w") as f:
            for name, line in (("resumed", listing["resumed"]["line"]), ("stale", "an older text of the line")):
                r = dict(listing[name], line=line, status="killed", stage="seeded", killer="seeded", seconds=0,
                         matrix_run=False)
                f.write(json.dumps(r) + "\n")
        cmd = [tool, "--source", root, "--work", work, "--state", state, "--no-matrix",
               "--suites", "alert,record_framing"]
        for i in ids.values():
            cmd += ["--only", i]
        expect = []
        for name, i in ids.items():
            expect += ["--expect", f"{i}={MUTANTS[name][4]}"]
        first = subprocess.run(cmd + expect, capture_output=True, text=True, timeout=1500)
        print(first.stdout + first.stderr)
        check(first.returncode == 0, f"first run: every mutant judged as expected (exit {first.returncode})")
        check(f"skip  {ids['resumed']}: already judged" in first.stdout, "the resumed mutant is skipped")
        check("5 selected, 1 already judged, 4 to run" in first.stdout, "the stale one is judged again")
        second = subprocess.run(cmd + expect, capture_output=True, text=True, timeout=600)
        check(second.returncode == 0 and "5 selected, 5 already judged, 0 to run" in second.stdout,
              f"second run: nothing left to judge (exit {second.returncode}, {second.stdout.splitlines()[:6]})")
        records = [json.loads(l) for l in open(state)]
        check(len(records) == 2 + 4, f"the state file: 2 seeded lines + 4 judged (saw {len(records)})")
    check(digest(root) == before, "the source tree's lib/ is unchanged")
    copy = pathlib.Path(work, "w0", "src")
    for name in ("killed-alert", "killed-framing"):
        path = MUTANTS[name][0]
        check((copy / path).read_text() == git_show(root, path), f"the private copy's {path} is HEAD's again")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
