#!/usr/bin/env python3
"""closenotify replay: fuzz inputs through the differential path.

1. The seed corpus and the committed fuzz regressions replay against the live OpenSSL peer
   with no disagreement (exit 0).
2. Against a deliberately wrong closenotify (--mutate read-ignores-close-notify) inputs
   disagree (exit 1); each is minimised to no more events than it had, and the written
   .scn is a scenario `closenotify diff --scenarios` runs: red with the mutation, green
   without it.
3. With --dtls, the fuzz_dtls_endpoint seeds and regressions replay in the DTLS 1.2 cells
   against every live OpenSSL whose peer is built. The only disagreements are the three
   `*-server-finished-retransmit` seeds (one per suite): OpenSSL's server answers the
   client's repeated Finished with its last flight, closenotify holds none
   (docs/divergences.md H; the catalogue's scenario declares it, a replayed case cannot).
   Their .scn are red in `closenotify diff`; with the mutation more inputs disagree.

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

    # 3. fuzz_dtls_endpoint inputs in the DTLS cells.
    dtls_seeds = os.path.join(tmp, "dtls_endpoint")
    dtls_regressions = os.path.join(root, "fuzz", "regressions", "dtls_endpoint")
    n_inputs = len(os.listdir(dtls_seeds)) + len(os.listdir(dtls_regressions))
    peer_dir = os.path.join(os.path.dirname(closenotify), "peer")
    versions = ["3.0"] + [v for v in ("1.1.1", "3.5")
                          if os.path.exists(os.path.join(peer_dir, "closenotify-peer-" + v))]
    expected_h = {f"{suite}-server-finished-retransmit" for suite in
                  ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305")}
    for version in versions:
        out = os.path.join(tmp, "dtls-" + version)
        r = subprocess.run([closenotify, "replay", "--dtls", dtls_seeds, dtls_regressions, "--openssl", version,
                            "--jobs", "4", "--quiet", "--json", os.path.join(tmp, "d.json"), "--out", out],
                           capture_output=True, text=True)
        print(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr)
        doc = json.load(open(os.path.join(tmp, "d.json")))
        totals = doc["totals"]
        bad = {x["input"]: x for x in doc["inputs"] if x["result"] == "diverge_undocumented"}
        check(totals["inputs"] == n_inputs and totals["errors"] == 0 and totals["skipped"] == 0,
              f"{version} --dtls: {totals['inputs']} of {n_inputs} inputs, {totals['agree']} agree, "
              f"{totals['disagree']} disagree, {totals['errors']} errors, {totals['skipped']} skipped")
        check(set(bad) == expected_h, f"{version} --dtls: the disagreements are divergence H's seeds only: {sorted(bad)}")
        check(all("sent: OpenSSL epoch 0 handshake(new_session_ticket" in x["first_difference"] and
                  x["first_difference"].endswith("/ closenotify -") for x in bad.values()),
              f"{version} --dtls: each is the server's last flight, resent by OpenSSL only")
        check(r.returncode == (1 if bad else 0), f"{version} --dtls: exit {r.returncode}")
        dropped = [e for x in doc["inputs"] for e in x["dropped_events"]]
        check(any("seq bad_tag" in e for e in dropped) and any("seq tampered" in e for e in dropped) and
              any(e.startswith("datagram_fault") for e in dropped), f"{version} --dtls: {len(dropped)} events dropped, named")
        scns = sorted(f for f in os.listdir(out) if f.endswith(".scn")) if os.path.isdir(out) else []
        check(len(scns) == len(bad), f"{version} --dtls: {len(scns)} .scn written")
        if version == "3.0" and scns:
            text = open(os.path.join(out, scns[0])).read()
            check("  only dtls1.2, nonblocking, server: " in text, "a DTLS .scn names its DTLS cell")
            red = subprocess.run([closenotify, "diff", "--openssl", "3.0", "--scenarios", out, "--quiet", "--jobs", "4"],
                                 capture_output=True, text=True)
            check(red.returncode == 1 and "dtls1.2:" in red.stdout, "the DTLS .scn run as DTLS cases, red as replayed")

    out = os.path.join(tmp, "dtls-mutated")
    r = subprocess.run([closenotify, "replay", "--dtls", dtls_seeds, "--jobs", "4", "--quiet", "--budget", "40",
                        "--mutate", "read-ignores-close-notify", "--out", out, "--json", os.path.join(tmp, "dm.json")],
                       capture_output=True, text=True)
    bad = [x for x in json.load(open(os.path.join(tmp, "dm.json")))["inputs"] if x["result"] == "diverge_undocumented"]
    check(r.returncode == 1 and len(bad) > len(expected_h), f"--dtls with the mutation: {len(bad)} inputs disagree")
    check(all(x["minimised_events"] <= x["events"] for x in bad), "--dtls: minimised scripts are never longer")

sys.exit(1 if failures else 0)
