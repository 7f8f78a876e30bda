#!/usr/bin/env python3
"""Every measured profile row is shown live: a scenario that agrees under the release's own
profile and turns red under the wrong one.

For each row of a measured profile (include/closenotify/profile.hpp) that differs from
openssl-3.0, runs its scenario against that release's peer twice: with the release's own
profile (every case agrees or diverges as documented) and with --profile openssl-3.0
(some case diverges undocumented, its first difference in the field the row changes).
A release whose peer is not built is skipped with the command that installs it.
usage: test_profile_rows.py <closenotify executable>
"""
import json
import os
import subprocess
import sys
import tempfile

# (release, row, scenario, the first differing field under openssl-3.0)
ROWS = [
    ("1.1.1", "unexpected_eof", "eof-close", "err"),
    ("1.1.1", "fatal_overrides: tls12_aead_record_too_short", "records-23-byte-ciphertext", "reason"),
    ("1.1.1", "fatal_overrides: tls13_record_too_short", "records-zero-length-ciphertext", "reason"),
    ("3.5", "alert_names", "alerts-bad-record-mac-fatal", "reason"),
    ("3.5", "tls13_warnings", "warn-close-notify-is-fifth", "ret"),
    ("3.5", "write_failure", "fast-b-close-a-writes", "reason"),
    ("3.5", "alert_behind_pending_write", "nbio-want-write-then-shutdown-bad-write-retry", "err"),
    ("3.5", "after_close", "post-message-body-pending-close-notify-then-more", "err"),
    ("3.5", "late_compatibility_ccs", "records-plaintext-ccs-after-handshake", "outcome"),
    ("3.5", "fatal_overrides: tls12_aead_record_too_short", "records-23-byte-ciphertext", "reason"),
    ("3.5", "fatal_overrides: record_over_read_buffer", "records-length-65535", "reason"),
    ("3.5", "fatal_overrides: tls13_record_major_version", "records-major-version-4", "sent"),
]

passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    if ok:
        passed += 1
    else:
        failed += 1


def run(exe, release, scenario, profile=None):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "r.json")
        cmd = [exe, "diff", "--quiet", "--openssl", release, "--scenario", scenario, "--json", out]
        if profile:
            cmd += ["--profile", profile]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if not os.path.exists(out):
            return proc.returncode, None, proc.stderr.strip()
        with open(out) as f:
            return proc.returncode, json.load(f), proc.stderr.strip()


def main():
    exe = sys.argv[1]
    for release, row, scenario, field in ROWS:
        code, result, err = run(exe, release, scenario)
        if result is None:
            if "not built" in err or "no peer" in err or "install-openssl" in err:
                print(f"skip {release} {row}: {err.splitlines()[-1] if err else 'no peer'}")
                continue
            check(False, f"{release} {row}: {scenario} did not run ({err})")
            continue
        t = result["versions"][0]["totals"]
        check(code == 0 and t["agree"] + t["diverge_documented"] + t["skipped"] == t["cases"] and t["agree"] > 0,
              f"OpenSSL {release}, {row}: {scenario} agrees under openssl-{release} (exit {code}, totals {t})")
        code, result, err = run(exe, release, scenario, "openssl-3.0")
        t = result["versions"][0]["totals"] if result else {}
        check(code == 1 and t.get("diverge_undocumented", 0) > 0,
              f"OpenSSL {release}, {row}: {scenario} turns red under openssl-3.0 (exit {code}, totals {t})")
        firsts = set()
        for case in (result or {}).get("cases", []):
            diffs = [d for d in case["differences"] if not d["tolerated"]]
            if diffs:
                firsts.add(diffs[0]["field"])
        check(field in firsts,
              f"OpenSSL {release}, {row}: a first difference is in '{field}' (saw {sorted(firsts)})")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
