"""The matrix's DTLS 1.2 cells and the datagram faults (docs/scenarios.md, docs/diff.md).

Checks, against the system's OpenSSL (3.0):
- `--protocol dtls1.2` selects the 12 DTLS cells of a scenario, named dtls1.2:SUITE;
- a datagram fault, or a DTLS header field in `inject`, outside an `only dtls1.2` scenario
  is a parse error naming the line;
- a scenario whose step cannot mean on a datagram socket what it means on a stream (close,
  raw TLS bytes, a write over 2^14) is skipped in the DTLS cells with the step's reason;
- the dtls family runs, twice, with every case agreeing and no result changing between
  rounds: the runner makes each fault itself, never leaves it to chance.

usage: test_dtls_cells.py <closenotify executable>
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOGUE = os.path.join(HERE, "..", "scenarios")

passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    if ok:
        passed += 1
    else:
        failed += 1


def diff(exe, *args, scenarios=CATALOGUE):
    cmd = [exe, "diff", "--quiet", "--openssl", "3.0", "--scenarios", scenarios, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def parse_error(exe, body):
    """The error `closenotify diff --list` gives for a one-scenario catalogue."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "t.scn"), "w") as f:
            f.write("family t: test\nscenario s\n  cite RFC 6347 §4.1: \"x\"\n" + body)
        with open(os.path.join(tmp, "divergences.ids"), "w") as f:
            f.write("")
        proc = diff(exe, "--list", scenarios=tmp)
        return proc.returncode, proc.stderr


def main():
    exe = sys.argv[1]

    proc = diff(exe, "--list", "--protocol", "dtls1.2", "--scenario", "a-first-then-b")
    ids = [l.split()[0] for l in proc.stdout.splitlines() if l.startswith("  ")]
    check(proc.returncode == 0 and len(ids) == 12 and all("/dtls1.2:ECDHE-ECDSA-" in i for i in ids),
          f"--protocol dtls1.2: 12 cells, each named dtls1.2:SUITE (got {ids})")
    proc = diff(exe, "--list", "--protocol", "dtls1.3")
    check(proc.returncode == 2 and "tls1.3, tls1.2 or dtls1.2" in proc.stderr,
          f"--protocol dtls1.3 is a usage error (exit {proc.returncode}, {proc.stderr.strip()!r})")

    code, err = parse_error(exe, "  A shutdown\n  B datagram drop\n")
    check(code != 0 and "t.scn:5:" in err and "only dtls1.2" in err,
          f"a datagram fault outside `only dtls1.2` is an error at its line ({err.strip()!r})")
    code, err = parse_error(exe, "  B inject alert 0100 epoch 0\n")
    check(code != 0 and "t.scn:4:" in err and "only dtls1.2" in err,
          f"inject with an epoch outside `only dtls1.2` is an error at its line ({err.strip()!r})")
    code, err = parse_error(exe, "  only dtls1.2: why\n  B datagram truncate\n")
    check(code != 0 and "truncate" in err, f"datagram truncate needs the bytes kept ({err.strip()!r})")
    code, err = parse_error(exe, "  only dtls1.2: why\n  B datagram swap\n")
    check(code != 0 and "drop, duplicate, reorder, truncate N or replay" in err,
          f"an unknown fault is named with the known ones ({err.strip()!r})")
    code, err = parse_error(exe, "  only dtls1.2: why\n  A shutdown\n  B datagram drop 2\n  B datagram replay\n"
                                 "  B datagram truncate 13 1\n  A inject alert 0100 epoch 0 seq 7\n")
    check(code == 0, f"every fault parses in a DTLS scenario ({err.strip()!r})")

    proc = diff(exe, "--list", "--protocol", "dtls1.2", "--scenario", "fast-b-close,fatal-bad-record,nbio-write-all-read-all-a-to-b")
    reasons = {l.split("(skipped: ", 1)[1] for l in proc.stdout.splitlines() if "(skipped: " in l}
    check(len(reasons) == 3 and any("no EOF" in r for r in reasons) and any("5-byte headers" in r for r in reasons)
          and any("at most 2^14 bytes" in r for r in reasons),
          f"close, raw TLS bytes and a bulk write skip the DTLS cells, each with its reason ({sorted(reasons)})")

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        proc = diff(exe, "--protocol", "dtls1.2", "--family", "dtls", "--repeat", "2", "--json", out)
        with open(out) as f:
            result = json.load(f)
    totals = result["versions"][0]["totals"]
    check(proc.returncode == 0 and totals["agree"] + totals["diverge_documented"] + totals["skipped"] == totals["cases"]
          and totals["agree"] > 0,
          f"the dtls family agrees with OpenSSL 3.0 in every DTLS cell, or diverges as documented (totals {totals})")
    # The one documented divergence of the family: a repeated Finished to a server (H).
    documented = {c["scenario"] for c in result["cases"] if c["result"] == "diverge_documented"}
    check(documented == {"dtls-finished-repeated-to-server"},
          f"only dtls-finished-repeated-to-server diverges, as docs/divergences.md H says ({sorted(documented)})")
    check("0 case results changed" in proc.stdout,
          f"--repeat 2: no result changes between rounds ({proc.stdout.strip().splitlines()[-1:]})")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
