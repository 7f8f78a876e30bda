#!/usr/bin/env python3
"""A deliberately wrong closenotify must turn differential cases red.

For each mutation `closenotify diff --mutate` offers, runs the scenarios of mutation.scn
twice: unmutated (every case must agree: the scenarios are sound) and mutated (every case
must diverge, undocumented, at the step and field the mutation changes) — against every
live OpenSSL version there is a peer for, each version's 36 cases (24 TLS, 12 DTLS 1.2) on their own.
usage: test_mutation.py <closenotify executable>
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# mutation -> (scenario, first differing step, side, field)
EXPECTED = {
    "first-shutdown-returns-1": ("mutation-a-closes-first", 1, "A", "ret"),
    "no-close-notify": ("mutation-a-closes-first", 1, "A", "ret"),  # quiet: 1, nothing sent
    "read-ignores-close-notify": ("mutation-b-closes-first", 2, "A", "err"),
}

passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    if ok:
        passed += 1
    else:
        failed += 1


def run(exe, scenario, mutation=None):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        cmd = [exe, "diff", "--quiet", "--scenarios", HERE, "--scenario", scenario, "--json", out]
        if mutation:
            cmd += ["--mutate", mutation]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        with open(out) as f:
            return proc.returncode, json.load(f)


def per_version(result):
    """(OpenSSL series, its totals) for each version the run covered."""
    return [(v["openssl"], v["totals"]) for v in result["versions"]]


def check_fail_fast(exe):
    """--fail-fast (tools/mutate's matrix stage): one line names the first failing case and
    its first difference, in place of the tables; the cases not started are not run."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        cmd = [exe, "diff", "--quiet", "--scenarios", HERE, "--scenario", "mutation-a-closes-first", "--fail-fast",
               "--jobs", "1", "--json", out, "--mutate", "no-close-notify"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        with open(out) as f:
            result = json.load(f)
    check(proc.returncode == 1, f"--fail-fast on a mutant: exit 1 (got {proc.returncode})")
    lines = [l for l in proc.stdout.splitlines() if "--fail-fast: first failure:" in l]
    check(len(lines) == 1 and "mutation-a-closes-first/" in lines[0] and "step 1 (A shutdown) ret" in lines[0],
          f"--fail-fast names the first failing case and its first difference (stdout {proc.stdout!r})")
    check("by scenario family" not in proc.stdout, "--fail-fast prints no tables")
    not_run = [c for c in result["cases"] if "--fail-fast" in c.get("note", "")]
    undoc = [c for c in result["cases"] if c["result"] == "diverge_undocumented"]
    check(len(undoc) == 1 and len(not_run) == 35,
          f"--fail-fast --jobs 1: one case run and failed, the other 35 not run (saw {len(undoc)} failed, "
          f"{len(not_run)} not run)")


def main():
    exe = sys.argv[1]
    for scenario in sorted({e[0] for e in EXPECTED.values()}):
        code, result = run(exe, scenario)
        check(code == 0 and len(result["versions"]) >= 1, f"{scenario} unmutated: exit 0 (got {code})")
        for openssl, t in per_version(result):
            check(t["agree"] == t["cases"] == 36,
                  f"{scenario} unmutated, OpenSSL {openssl}: all 36 cases agree (totals {t})")
    for mutation, (scenario, step, side, field) in EXPECTED.items():
        code, result = run(exe, scenario, mutation)
        check(code == 1, f"{mutation}: closenotify diff exits 1 (got {code})")
        for openssl, t in per_version(result):
            check(t["diverge_undocumented"] == t["cases"] == 36,
                  f"{mutation}, OpenSSL {openssl}: all 36 cases of {scenario} diverge undocumented (totals {t})")
            firsts = set()
            for case in result["cases"]:
                diffs = [d for d in case["differences"] if not d["tolerated"]]
                if case["openssl"] == openssl and diffs:
                    d = diffs[0]
                    firsts.add((d["step"], d["side"], d["field"]))
            check(firsts == {(step, side, field)},
                  f"{mutation}, OpenSSL {openssl}: the first difference is step {step} {side}.{field} in every case "
                  f"(saw {sorted(firsts)})")
    check_fail_fast(exe)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
