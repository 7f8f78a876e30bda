#!/usr/bin/env python3
"""test_bench_shape.py — `closenotify bench --quick --json -` produces every figure.

Checks the JSON's shape only: every figure present for every suite, every measured
number positive (counts non-negative). It never checks a timing or a ratio against a
target: those are benchmark results (`meson test --benchmark`), not test outcomes, and
docs/performance.md explains them.

usage: test_bench_shape.py <closenotify>
"""
import json
import subprocess
import sys

passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    if ok:
        passed += 1
    else:
        failed += 1
    return ok


def is_stat(v, positive=True):
    if not isinstance(v, dict) or set(v) != {"median", "min", "max", "n"}:
        return False
    nums = [v["median"], v["min"], v["max"]]
    if not all(isinstance(x, (int, float)) for x in nums) or v["n"] < 1:
        return False
    if not v["min"] <= v["median"] <= v["max"]:
        return False
    return all(x > 0 for x in nums) if positive else all(x >= 0 for x in nums)


def timing_rows(rows, suites, per_suite, baseline, what):
    check(len(rows) == len(suites) * per_suite, f"{what}: {per_suite} row(s) per suite ({len(rows)})")
    for row in rows:
        check(row.get("suite") in suites, f"{what}: row for a known suite ({row.get('suite')})")
        for key in ("closenotify", baseline, "ratio"):
            check(is_stat(row.get(key)), f"{what} {row.get('suite')} {row.get('what')}: {key} positive")


def main():
    closenotify = sys.argv[1]
    proc = subprocess.run([closenotify, "bench", "--quick", "--json", "-"], capture_output=True, text=True,
                          timeout=600)
    if not check(proc.returncode == 0, f"closenotify bench --quick --json - exits 0 ({proc.returncode})"):
        print(proc.stderr)
        return 1
    try:
        d = json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        check(False, f"stdout is JSON: {e}")
        return 1
    check("targets" in proc.stderr and "1. 16 KiB" in proc.stderr, "the table goes to stderr with --json -")

    m = d.get("machine", {})
    check(m.get("cores", 0) >= 1 and m.get("openssl", "").startswith("OpenSSL 3."),
          f"machine: cores and the peer's OpenSSL version ({m.get('openssl')})")
    suites = d.get("suites", [])
    check(len(suites) == 6, f"six matrix suites ({len(suites)})")
    check(d.get("quick") is True and d.get("samples") == 5, "quick run, 5 samples")

    # 1
    rows = d.get("app_data_vs_raw", [])
    timing_rows(rows, suites, 1, "raw", "figure 1")
    for row in rows:
        for key in ("seal_time_ratio", "open_time_ratio", "closenotify_seal_ns", "raw_open_ns"):
            check(is_stat(row.get(key)), f"figure 1 {row['suite']}: {key}")
        check(row.get("target") == ">= 0.95" and isinstance(row.get("met"), bool), f"figure 1 {row['suite']}: target")
    check(sorted(d.get("raw_aead_opens_closenotify_record", [])) == sorted(suites),
          "figures 1-2: the raw AEAD opened closenotify's record for every suite")
    # 2
    rows = d.get("close_notify_vs_raw", [])
    timing_rows(rows, suites, 2, "raw", "figure 2")
    check(sum(1 for r in rows if r["what"].startswith("close_notify seal") and is_stat(r.get("raw_seal_scatter_ns")))
          == len(suites), "figure 2: the seal_scatter baseline for every suite")
    # 3
    timing_rows(d.get("vs_openssl", []), suites, 3, "openssl", "figure 3")
    # 4
    rows = d.get("shutdown_syscalls", [])
    check(sorted((r["implementation"], r["read_ahead"]) for r in rows) ==
          [("OpenSSL 3.0", False), ("OpenSSL 3.0", True), ("closenotify", False), ("closenotify", True)],
          "figure 4: both implementations, read-ahead off and on")
    for r in rows:
        name = f"figure 4 {r['implementation']} read-ahead={r['read_ahead']}"
        check(r.get("writes", 0) >= 1 and r.get("reads", 0) >= 1, f"{name}: counts positive")
        check(sorted(r.get("per_suite", {})) == sorted(suites), f"{name}: every suite")
        s = r.get("strace")
        check(isinstance(s, dict) and (
            (s.get("available") is True and s.get("writes", 0) > 0 and s.get("reads", 0) > 0) or
            (s.get("available") is False and s.get("apt_package") == "strace")),
            f"{name}: strace cross-check, or why not and the package to install")
    # 5
    heap = d.get("heap", {})
    cn = heap.get("closenotify", [])
    check(sorted(h["suite"] for h in cn) == sorted(suites), "figure 5: closenotify, every suite")
    for h in cn:
        check(h.get("counting") is True, f"figure 5 {h['suite']}: the interposed malloc counts")
        check(h.get("sizeof_endpoint", 0) > h.get("record_buffer_bytes", 0) > 0, f"figure 5 {h['suite']}: sizes")
        check(is_stat(h.get("connection_bytes")) and is_stat(h.get("record_protection_heap_bytes")),
              f"figure 5 {h['suite']}: bytes per connection")
        for key in ("allocations_per_record_record_layer", "allocations_per_record_endpoint",
                    "allocations_shutdown_exchange"):
            check(is_stat(h.get(key), positive=False), f"figure 5 {h['suite']}: {key}")
    ossl = heap.get("openssl", [])
    check(sorted(h["suite"] for h in ossl) == sorted(suites), "figure 5: OpenSSL, every suite")
    for h in ossl:
        if check(isinstance(h.get("counting"), bool), f"figure 5 OpenSSL {h['suite']}: counting said"):
            if h["counting"]:
                check(is_stat(h.get("client_bytes")) and is_stat(h.get("server_bytes")),
                      f"figure 5 OpenSSL {h['suite']}: bytes per SSL")
                check(is_stat(h.get("allocations_per_record"), positive=False),
                      f"figure 5 OpenSSL {h['suite']}: allocations per record")
    # 6
    for key, what in (("diff", "pooled peers"), ("diff_exec_peers", "a process per peer")):
        diff = d.get(key)
        check(isinstance(diff, dict) and diff.get("runs") == 1 and diff.get("cases", 0) > 0
              and diff.get("cases_run", 0) > 0 and is_stat(diff.get("wall_seconds"))
              and is_stat(diff.get("cases_per_second")),
              f"figure 6, {what}: the matrix's wall time and cases per second")
    if isinstance(d.get("diff"), dict) and isinstance(d.get("diff_exec_peers"), dict):
        check("--exec-peers" in d["diff_exec_peers"].get("command", "")
              and "--exec-peers" not in d["diff"].get("command", ""), "figure 6: the two runs are the two ways")
        check(d["diff"]["cases_run"] == d["diff_exec_peers"]["cases_run"],
              "figure 6: both ways run the same cases")

    # Usage.
    h = subprocess.run([closenotify, "bench", "--help"], capture_output=True, text=True)
    check(h.returncode == 0 and all(f"  {n}  " in h.stdout for n in "123456"), "bench --help explains figures 1-6")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
