#!/usr/bin/env python3
"""closenotify replay: fuzz inputs through the differential path.

1. The seed corpus and the committed fuzz regressions replay against the live OpenSSL peer
   with no disagreement (exit 0).
2. Against a deliberately wrong closenotify (--mutate read-ignores-close-notify) inputs
   disagree (exit 1); each is minimised to no more events than it had, and the written
   .scn is a scenario `closenotify diff --scenarios` runs: red with the mutation, green
   without it.

usage: test_replay.py CLOSENOTIFY SEEDS_EXE SOURCE_ROOT
"""
import json
import os
import subprocess
import sys
import tempfile

closenotify, seeds_exe, root = sys.argv[1:4]
failures = 0


def check(cond, what):
    global failures
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures += 1


with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([seeds_exe, tmp], check=True, stdout=subprocess.DEVNULL)
    endpoint_seeds = os.path.join(tmp, "endpoint")
    regressions = os.path.join(root, "fuzz", "regressions", "endpoint")

    r = subprocess.run([closenotify, "replay", endpoint_seeds, regressions, "--jobs", "4", "--quiet",
                        "--json", os.path.join(tmp, "r.json"), "--out", os.path.join(tmp, "none")],
                       capture_output=True, text=True)
    print(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr)
    totals = json.load(open(os.path.join(tmp, "r.json")))["totals"]
    check(r.returncode == 0, "seeds and regressions replay with exit 0")
    check(totals["inputs"] >= 200 and totals["disagree"] == 0 and totals["errors"] == 0,
          f"{totals['inputs']} inputs, {totals['agree']} agree, {totals['disagree']} disagree, {totals['errors']} errors")
    check(not os.path.exists(os.path.join(tmp, "none")), "nothing is written when nothing disagrees")

    out = os.path.join(tmp, "out")
    r = subprocess.run([closenotify, "replay", endpoint_seeds, "--limit", "60", "--jobs", "4", "--quiet",
                        "--mutate", "read-ignores-close-notify", "--out", out, "--json", os.path.join(tmp, "m.json")],
                       capture_output=True, text=True)
    results = json.load(open(os.path.join(tmp, "m.json")))
    bad = [x for x in results["inputs"] if x["result"] == "diverge_undocumented"]
    check(r.returncode == 1, "a wrong closenotify makes replay exit 1")
    check(len(bad) >= 5, f"{len(bad)} of 60 inputs disagree with the mutation")
    check(all(x["minimised_events"] <= x["events"] for x in bad), "minimised scripts are never longer")
    check(any(x["minimised_events"] < x["events"] for x in bad), "minimising removed events from some input")
    check(all(x["first_difference"] for x in bad), "every disagreement names its first difference")
    scns = [f for f in os.listdir(out) if f.endswith(".scn")] if os.path.isdir(out) else []
    mins = [f for f in os.listdir(out) if f.endswith(".min")] if os.path.isdir(out) else []
    check(len(scns) == len(bad) and len(mins) == len(bad), f"{len(scns)} .scn and {len(mins)} .min files written")
    # Against the version the inputs were replayed against (replay's default, 3.0).
    red = subprocess.run([closenotify, "diff", "--openssl", "3.0", "--scenarios", out, "--quiet", "--jobs", "4",
                          "--mutate", "read-ignores-close-notify"], capture_output=True, text=True)
    green = subprocess.run([closenotify, "diff", "--openssl", "3.0", "--scenarios", out, "--quiet", "--jobs", "4"],
                           capture_output=True, text=True)
    check(red.returncode == 1, "the written scenarios are red under the mutation")
    check(green.returncode == 0, "and green against the real closenotify")

sys.exit(1 if failures else 0)
