"""test_hostile.py — closenotify invoked badly on purpose, a few hundred ways, over every
command: odd and huge hex, out-of-range, negative and overflowing numbers, unknown names and
options, missing values, empty, binary, huge and special files (/dev/zero, /dev/full, a
FIFO, a directory, a symlink loop, a path that does not exist) and outputs that cannot be
written. Each invocation must end with exactly one error line on stderr (printable, short),
exit status 1 or 2, within a time bound and under an address-space limit: a person who
mistypes must get a sentence, not a hang, a crash or a dump.

Run: python3 tests/cli/test_hostile.py path/to/closenotify
"""

import collections
import concurrent.futures
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time

TIME_LIMIT = 10.0           # seconds per invocation
MEMORY_LIMIT = 1 << 30      # bytes of address space per process (RLIMIT_AS)
MAX_ERROR_LINE = 8192       # room for a list of names (an unknown scenario: the ten nearest), not for an echoed 100 KB argument
WORKERS = 3

SECRET32 = bytes(range(32)).hex()
SECRET48 = bytes(range(48)).hex()
RANDOM_A = bytes(range(0x40, 0x60)).hex()
RANDOM_B = bytes(range(0x60, 0x80)).hex()
TLS13 = ["--suite", "TLS_AES_128_GCM_SHA256", "--secret", SECRET32]
TLS12 = ["--suite", "ECDHE-ECDSA-AES128-GCM-SHA256", "--master-secret", SECRET48,
         "--client-random", RANDOM_A, "--server-random", RANDOM_B, "--role", "client"]
ALERT = ["--seq", "0", "--alert", "close_notify"]
# A close_notify sealed under TLS13 at sequence number 0 is made at start-up (good_record).
ESC = "\x1b]0;pwned\x07"    # sets a terminal's title if echoed raw
HUGE_HEX = "ab" * 60000     # under Linux's 128 KiB limit for one argument
HUGE_NUMBER = "9" * 5000
OVERFLOW = "18446744073709551616"  # 2^64


def sanitized(binary):
    """True when the binary carries ASan, whose shadow memory needs terabytes of address space."""
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


class fixtures:
    """Files the invocations point at, in one temporary folder."""

    def __init__(self, root):
        self.root = root
        p = lambda name: os.path.join(root, name)
        self.missing = p("no-such-file")
        self.missing_dir_file = p("no-such-dir/out.json")
        self.dir = p("a-directory")
        os.mkdir(self.dir)
        self.empty = p("empty")
        open(self.empty, "wb").close()
        self.binary = p("binary")
        with open(self.binary, "wb") as f:
            f.write(bytes(range(256)) * 64)
        self.huge = p("huge")   # sparse: 17 MiB, over every input limit, without the disk
        with open(self.huge, "wb") as f:
            f.truncate(17 << 20)
        self.long_line = p("long-line")
        with open(self.long_line, "w") as f:
            f.write("CLIENT_RANDOM " + "a" * 100000 + "\n")
        self.fifo = p("fifo")
        os.mkfifo(self.fifo)
        self.loop = p("loop")
        os.symlink(self.loop, self.loop)
        self.not_dir_file = os.path.join(self.empty, "below-a-file")
        self.escape_name = p("name" + ESC)
        # Scenario folders that are each wrong in one way.
        self.scn = {}
        for kind in ("empty", "binary", "huge", "fifo", "loop", "escape", "longline", "garbage"):
            d = p("scn-" + kind)
            os.mkdir(d)
            self.scn[kind] = d
        with open(os.path.join(self.scn["binary"], "x.scn"), "wb") as f:
            f.write(bytes(range(256)) * 16)
        with open(os.path.join(self.scn["huge"], "x.scn"), "wb") as f:
            f.truncate(17 << 20)
        os.mkfifo(os.path.join(self.scn["fifo"], "x.scn"))
        os.symlink(os.path.join(self.scn["loop"], "x.scn"), os.path.join(self.scn["loop"], "x.scn"))
        with open(os.path.join(self.scn["escape"], "x.scn"), "w") as f:
            f.write("scenario " + ESC + "\n")
        with open(os.path.join(self.scn["longline"], "x.scn"), "w") as f:
            f.write("# " + "x" * 200000 + "\n")
        with open(os.path.join(self.scn["garbage"], "x.scn"), "w") as f:
            f.write("scenario s\n  a.frobnicate()\n  b.shutdown() = 99999999999999999999999\n")
        # Replay corpora.
        self.corpus_huge = p("corpus-huge")
        os.mkdir(self.corpus_huge)
        with open(os.path.join(self.corpus_huge, "input"), "wb") as f:
            f.truncate(64 << 20)
        self.corpus_loop = p("corpus-loop")
        os.mkdir(self.corpus_loop)
        os.symlink(self.corpus_loop, os.path.join(self.corpus_loop, "again"))
        os.symlink(os.path.join(self.corpus_loop, "self"), os.path.join(self.corpus_loop, "self"))
        # One empty input: a replay that accepts a bad option runs it and exits 0, visibly.
        self.corpus_one = p("corpus-one")
        os.mkdir(self.corpus_one)
        open(os.path.join(self.corpus_one, "empty-input"), "wb").close()
        self.keylog_garbage = p("keylog-garbage")
        with open(self.keylog_garbage, "w") as f:
            f.write("CLIENT_RANDOM zz yy\nSERVER_TRAFFIC_SECRET_0\n")


def invocations(fx, good_record):
    """(command, argv, stdout) triples: every one must fail with one line."""
    cases = []

    def add(command, *argv, stdout=None, late=False):
        """late: the failure can only show after the work (an output that fills up), so
        the command's own progress lines may come before the error line."""
        cases.append((command, list(argv), stdout, late))

    # -- no command, unknown commands ------------------------------------------------------
    add("(none)")
    add("(none)", "")
    add("(none)", "frobnicate")
    add("(none)", "x" * 100000)
    add("(none)", ESC)
    add("(none)", "--bogus")
    add("(none)", "--help=yes")
    add("(none)", "-")
    add("(none)", "--help", stdout="/dev/full")

    # -- seal --------------------------------------------------------------------------------
    add("seal")
    add("seal", "--suite")
    add("seal", "--suite", "no-such-suite", "--secret", SECRET32, *ALERT)
    add("seal", "--suite", "", "--secret", SECRET32, *ALERT)
    add("seal", "--suite", ESC, "--secret", SECRET32, *ALERT)
    add("seal", "--suite", "x" * 100000, "--secret", SECRET32, *ALERT)
    add("seal", "--suite=", "--secret", SECRET32, *ALERT)
    add("seal", "--suite", "TLS_AES_128_GCM_SHA256", *ALERT)
    add("seal", "--suite", "TLS_AES_128_GCM_SHA256", "--secret", "abc", *ALERT)
    add("seal", "--suite", "TLS_AES_128_GCM_SHA256", "--secret", "zz" * 32, *ALERT)
    add("seal", "--suite", "TLS_AES_128_GCM_SHA256", "--secret", "", *ALERT)
    add("seal", "--suite", "TLS_AES_128_GCM_SHA256", "--secret", SECRET32[:-2], *ALERT)
    add("seal", "--suite", "TLS_AES_128_GCM_SHA256", "--secret", HUGE_HEX, *ALERT)
    add("seal", "--suite", "TLS_AES_128_GCM_SHA256", "--secret", SECRET32 + "\x7f", *ALERT)
    add("seal", "--suite", "TLS_AES_256_GCM_SHA384", "--secret", SECRET32, *ALERT)
    add("seal", *TLS13, "--alert", "close_notify")
    for seq in ("-1", OVERFLOW, HUGE_NUMBER, "1e3", " 1", "0x10", "", "1.0", "+1", ESC):
        add("seal", *TLS13, "--seq", seq, "--alert", "close_notify")
    add("seal", *TLS13, "--seq", "0", "--seq", "1", "--alert", "close_notify")
    add("seal", *TLS13, "--seq", "0")
    for alert in ("no_such_alert", "close_notify:3", "close_notify:", ":warning", "256", "-1",
                  "close_notify:warning:fatal", OVERFLOW, "", ESC):
        add("seal", *TLS13, "--seq", "0", "--alert", alert)
    add("seal", *TLS13, *ALERT, "--data", "00")
    add("seal", *TLS13, "--seq", "0", "--data", "abc")
    add("seal", *TLS13, "--seq", "0", "--data", "xyz")
    add("seal", *TLS13, "--seq", "0", "--data", "00" * 20000)
    add("seal", *TLS13, "--seq", "0", "--handshake", "0")
    for pad in ("-1", OVERFLOW, "40000", "abc"):
        add("seal", *TLS13, *ALERT, "--pad", pad)
    for t in ("256", "-1", OVERFLOW, "x", ""):
        add("seal", *TLS13, "--seq", "0", "--data", "00", "--type", t)
        add("seal", *TLS13, *ALERT, "--outer-type", t)
    for rv in ("03033", "303", "zzzz", "", "-303", "0x0303"):
        add("seal", *TLS13, *ALERT, "--record-version", rv)
    add("seal", *TLS13, *ALERT, "positional")
    add("seal", *TLS13, *ALERT, "--bogus")
    add("seal", *TLS13, *ALERT, "--bogus=1")
    add("seal", *TLS13, *ALERT, "--role", "middle")
    add("seal", *TLS13, *ALERT, "--master-secret", SECRET48)
    add("seal", "--suite", "ECDHE-ECDSA-AES128-GCM-SHA256", "--secret", SECRET32, *ALERT)
    add("seal", *TLS12[:-2], *ALERT)
    add("seal", *TLS12[:6], "--role", "client", *ALERT)
    add("seal", *TLS12, "--client-random", RANDOM_A[:-2], *ALERT)
    add("seal", "--suite", "ECDHE-ECDSA-AES128-GCM-SHA256", "--master-secret", SECRET32,
        "--client-random", RANDOM_A, "--server-random", RANDOM_B, "--role", "client", *ALERT)
    for keylog in (fx.missing, fx.dir, fx.empty, fx.binary, fx.huge, fx.long_line, fx.fifo, fx.loop,
                   "/dev/zero", "/dev/null", "/dev/full", fx.keylog_garbage, fx.not_dir_file,
                   fx.escape_name, ""):
        add("seal", "--suite", "TLS_AES_128_GCM_SHA256", "--keylog", keylog, "--role", "client", *ALERT)
    add("seal", *TLS13, *ALERT, stdout="/dev/full")

    # -- open --------------------------------------------------------------------------------
    add("open")
    add("open", *TLS13, "--seq", "0")
    for record in ("abc", "zz", "", " ", ":::", "17", "1703030013", "17030341010000", "170303ffff",
                   "00" * 5, "ff" * 64, HUGE_HEX, "17 03 03 00 13 " + ESC, "\x01\x02"):
        add("open", *TLS13, "--seq", "0", record)
    add("open", *TLS13, "--seq", "1", good_record)
    add("open", *TLS13, "--seq", OVERFLOW, good_record)
    add("open", *TLS13, "--seq", "-1", good_record)
    add("open", *TLS13, "--seq", "0", good_record[:-2])
    add("open", *TLS13, "--seq", "0", good_record + "17")
    add("open", *TLS13, "--seq", "0", good_record + good_record)
    add("open", *TLS13, "--seq", "0", "--json=yes", good_record)
    add("open", *TLS13, "--seq", "0", "--alert", "close_notify", good_record)
    add("open", "--suite", "TLS_AES_128_GCM_SHA256", "--keylog", "/dev/zero", "--role", "server",
        "--seq", "0", good_record)
    add("open", "--suite", "TLS_AES_128_GCM_SHA256", "--keylog", fx.fifo, "--role", "server",
        "--seq", "0", good_record)
    add("open", *TLS12, "--seq", "0", good_record)
    add("open", *TLS13, "--seq", "0", good_record, stdout="/dev/full")
    # DTLS 1.2 (--epoch): datagrams separated by ','; every record gets a line, and any
    # discard makes the command fail with one line after them.
    dtls12 = TLS12 + ["--epoch", "1"]
    for epoch in ("", "-1", "65536", OVERFLOW, HUGE_NUMBER, "1e3", ESC):
        add("seal", *TLS12, "--epoch", epoch, *ALERT)
        add("open", *TLS12, "--epoch", epoch, "15fefd")
    for seq in ("281474976710656", "281474976710655", OVERFLOW, HUGE_NUMBER):
        add("seal", *dtls12[:-2], "--epoch", "1", "--seq", seq, "--alert", "close_notify")
        add("open", *dtls12, "--seq", seq, "15fefd")
    add("seal", "--suite", "TLS_AES_128_GCM_SHA256", "--secret", SECRET32, "--epoch", "1", *ALERT)
    add("seal", *TLS12, "--epoch", "1", "--seq", "0", "--alert", "close_notify", "--pad", "1")
    for datagrams in ("", ",", ",,,", "zz", "15fefd,zz", ",".join(["00"] * 20000), "ff" * 60000,
                      "15fefd000100000000000100ff" + "00" * 20, "17feff" + "00" * 10, ESC, good_record):
        add("open", *dtls12, datagrams)
    add("open", *dtls12, "--seq", "0", "15fefd0001000000000001", stdout="/dev/full")

    # -- demo --------------------------------------------------------------------------------
    add("demo", "extra")
    add("demo", "--bogus")
    add("demo", "--suite", "TLS_AES_128_GCM_SHA256")
    add("demo", stdout="/dev/full")

    # -- profiles ----------------------------------------------------------------------------
    add("profiles", "extra")
    add("profiles", "--bogus")
    add("profiles", "--json")
    add("profiles", "--json", "/dev/full")
    add("profiles", "--json", fx.missing_dir_file)
    add("profiles", "--json", fx.dir)
    add("profiles", "--json", fx.not_dir_file)
    add("profiles", "--json", fx.loop)
    add("profiles", "--json", "")
    add("profiles", stdout="/dev/full")

    # -- diff (each must fail before the matrix runs) -----------------------------------------
    add("diff", "extra")
    add("diff", "--bogus")
    add("diff", "--family")
    add("diff", "--family", "no-such-family")
    add("diff", "--family", ESC)
    add("diff", "--scenario", "no-such-scenario")
    add("diff", "--scenario", "")
    add("diff", "--filter", "nothing/matches/this/*")
    add("diff", "--explain", "no-such-case")
    add("diff", "--explain", "a-first-then-b/*")
    for jobs in ("0", "-1", "257", OVERFLOW, "abc", ""):
        add("diff", "--scenario", "a-first-then-b", "--jobs", jobs)
    for repeat in ("0", "101", "-3", HUGE_NUMBER):
        add("diff", "--scenario", "a-first-then-b", "--repeat", repeat)
    add("diff", "--mutate", "no-such-mutation")
    add("diff", "--profile", "openssl-0.9")
    add("diff", "--openssl", "9.9")
    add("diff", "--openssl", "")
    add("diff", "--openssl", "3.0,", "--list")
    add("diff", "--openssl", ",3.0", "--list")
    add("diff", "--openssl", "3.0,,3.5", "--list")
    add("diff", "--openssl", "3.0,3.0", "--list")
    for where in (fx.missing, fx.empty, "/dev/zero", fx.loop, fx.fifo):
        add("diff", "--scenarios", where, "--list")
    for kind in ("empty", "binary", "huge", "fifo", "loop", "escape", "longline", "garbage"):
        add("diff", "--scenarios", fx.scn[kind], "--list")
    for where in (fx.missing, "/dev/zero", fx.dir, fx.fifo, fx.huge):
        add("diff", "--divergences", where, "--scenario", "a-first-then-b")
    add("diff", "--pcap", "d.pcap")
    add("diff", "--scenario", "a-first-then-b", "--pcap", "-")
    add("diff", "--scenario", "a-first-then-b", "--keylog", "k")
    add("diff", "--list", "--json", "-")
    add("diff", "--compare-versions", "--openssl", "3.0")
    add("diff", "--cells", "bogus")
    add("diff", "--explain", "a-first-then-b/TLS_AES_128_GCM_SHA256/client/blocking", "--openssl", "3.0",
        "--json", "/dev/full", late=True)
    add("diff", "--explain", "a-first-then-b/TLS_AES_128_GCM_SHA256/client/blocking", "--openssl", "3.0",
        "--pcap", fx.missing_dir_file, late=True)
    add("diff", "--peer", fx.missing, "--scenario", "a-first-then-b", "--openssl", "3.0")

    # -- trace -------------------------------------------------------------------------------
    add("trace")
    add("trace", "no-such-scenario")
    add("trace", ESC)
    add("trace", "a-first-then-b", "b-first-then-a")
    add("trace", "a-first-then-b", "--suite", "TLS_AES_128_CCM_SHA256")
    add("trace", "a-first-then-b", "--suite", "")
    add("trace", "a-first-then-b", "--role", "bystander")
    add("trace", "a-first-then-b", "--io", "async")
    add("trace", "a-first-then-b", "--color", "sometimes")
    for width in ("0", "-1", "abc", OVERFLOW, "10"):
        add("trace", "a-first-then-b", "--width", width)
    add("trace", "a-first-then-b", "--profile", "no-such-profile")
    add("trace", "a-first-then-b", "--openssl", "0.9.8")
    for peer in (fx.missing, fx.dir, "/dev/null", fx.empty, fx.binary, "/bin/false"):
        add("trace", "a-first-then-b", "--peer", peer)
    for kind in ("fifo", "huge", "loop", "escape"):
        add("trace", "a-first-then-b", "--scenarios", fx.scn[kind])
    add("trace", "a-first-then-b", "--json", "/dev/full")
    add("trace", "a-first-then-b", "--json", fx.missing_dir_file)
    add("trace", "a-first-then-b", "--mermaid", fx.dir)
    add("trace", "a-first-then-b", "--pcap", "-")
    add("trace", "a-first-then-b", "--pcap", fx.not_dir_file)
    add("trace", "a-first-then-b", "--keylog", "-")
    add("trace", "a-first-then-b", "--pcap", os.path.join(fx.root, "t.pcap"), "--keylog", fx.loop)
    add("trace", "a-first-then-b", "--pcap", os.path.join(fx.root, "t.pcap"), "--keylog", fx.dir)
    add("trace", "a-first-then-b", stdout="/dev/full")

    # -- replay ------------------------------------------------------------------------------
    add("replay")
    add("replay", fx.missing)
    add("replay", "/dev/zero")
    add("replay", fx.fifo)
    add("replay", fx.loop)
    add("replay", fx.scn["empty"])
    add("replay", fx.corpus_huge)
    add("replay", fx.corpus_loop)
    for jobs in ("0", "-1", "257", "abc", OVERFLOW, "4x", " 4", "+4"):
        add("replay", fx.corpus_one, "--jobs", jobs)
    for limit in ("0", "-1", "abc", OVERFLOW, "5x", " 5", "1e3"):
        add("replay", fx.corpus_one, "--limit", limit)
    for budget in ("0", "100001", "-5", "1e3", "7.5"):
        add("replay", fx.corpus_one, "--budget", budget)
    add("replay", fx.corpus_one, "--openssl", "2.0")
    add("replay", fx.corpus_one, "--openssl", "3.0,3.5")
    add("replay", fx.corpus_one, "--mutate", "no-such-mutation")
    add("replay", fx.corpus_one, "--peer", fx.missing)
    add("replay", fx.corpus_one, "--divergences", "/dev/zero")
    add("replay", fx.corpus_one, "--bogus")

    # -- bench (each must fail before it measures) -------------------------------------------
    add("bench", "extra")
    add("bench", "--bogus")
    for samples in ("0", "-1", "1002", "abc", OVERFLOW):
        add("bench", "--samples", samples)
    add("bench", "--diff-jobs", "0")
    add("bench", "--diff-runs", "101")
    add("bench", "--suite", "no-such-suite")
    add("bench", "--suite", ESC)
    add("bench", "--diff-family", "no-such-family", "--quick")
    add("bench", "--peer", fx.missing, "--quick")
    add("bench", "--closenotify", fx.missing, "--quick")
    add("bench", "--json", fx.missing_dir_file, "--quick")
    add("bench", "--json", fx.dir, "--quick")

    # -- serve (each must fail before it listens) ---------------------------------------------
    for listen in ("bogus", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:-1", ":", "", "999.0.0.1:0",
                   "[::1:0", "127.0.0.1:abc", "127.0.0.1:" + OVERFLOW, ESC + ":0"):
        add("serve", "--listen", listen)
    add("serve", "--listen", "127.0.0.1:0", "extra")
    add("serve", "--listen", "127.0.0.1:0", "--bogus")
    add("serve", "--listen", "127.0.0.1:0", "--cert", fx.missing, "--key", fx.missing)
    add("serve", "--listen", "127.0.0.1:0", "--cert", fx.empty)
    add("serve", "--listen", "127.0.0.1:0", "--shutdown", "eventually")
    add("serve", "--listen", "127.0.0.1:0", "--respond", "poetry")
    for n in ("0", "-1", "abc", OVERFLOW):
        add("serve", "--listen", "127.0.0.1:0", "--max-connections", n)
        add("serve", "--listen", "127.0.0.1:0", "--max-concurrent", n)
    for t in ("-1", "abc", "nan", "inf", "1e999", OVERFLOW):
        add("serve", "--listen", "127.0.0.1:0", "--handshake-timeout", t)
        add("serve", "--listen", "127.0.0.1:0", "--timeout", t)
    add("serve", "--listen", "127.0.0.1:0", "--suites", "NO-SUCH-SUITE")
    add("serve", "--listen", "127.0.0.1:0", "--suites", "")
    add("serve", "--listen", "127.0.0.1:0", "--openssl", "4.0")
    add("serve", "--listen", "127.0.0.1:0", "--profile", "bogus")
    add("serve", "--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0")

    # -- connect (each must fail before, or at, its one connection attempt) --------------------
    add("connect")
    for target in ("127.0.0.1", "127.0.0.1:", ":443", "127.0.0.1:99999", "127.0.0.1:-1", "127.0.0.1:abc",
                   "[::1", "", ESC + ":443", "127.0.0.1:" + OVERFLOW):
        add("connect", target)
    add("connect", "127.0.0.1:1", "127.0.0.1:2")
    add("connect", "127.0.0.1:1", "--bogus")
    add("connect", "127.0.0.1:1", "--shutdown", "eventually")
    add("connect", "127.0.0.1:1", "--respond", "poetry")
    add("connect", "127.0.0.1:1", "--sni", "a b")
    add("connect", "127.0.0.1:1", "--sni")
    add("connect", "127.0.0.1:1", "--timeout", "-1")
    add("connect", "127.0.0.1:1", "--handshake-timeout", "abc")
    add("connect", "127.0.0.1:1", "--suites", "NO-SUCH-SUITE")
    add("connect", "127.0.0.1:1", "--openssl", "4.0")
    add("connect", "127.0.0.1:1", "--peer", fx.missing)
    add("connect", closed_port())   # nothing listens: refused, one line
    return cases


def closed_port():
    """127.0.0.1:PORT where nothing listens (a port just bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "127.0.0.1:%d" % s.getsockname()[1]


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_one(binary, case, cwd, memory_bound):
    command, argv, stdout, _ = case
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL
    start = time.monotonic()
    argv = argv if command == "(none)" else [command] + argv
    proc = subprocess.Popen([binary] + argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE,
                            cwd=cwd, start_new_session=True, preexec_fn=limit_memory if memory_bound else None)
    try:
        _, err = proc.communicate(timeout=TIME_LIMIT)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)   # the group of the process started just above
        _, err = proc.communicate()
        timed_out = True
    finally:
        if stdout:
            out.close()
    return proc.returncode, err, time.monotonic() - start, timed_out


def problems(command, late, code, err, timed_out):
    """What is wrong with one outcome, or an empty list."""
    found = []
    if command != "(none)" and b"unknown command" in err:
        found.append("the command itself was refused, not the bad input it was given")
    if timed_out:
        found.append("still running after %.0f s (killed)" % TIME_LIMIT)
    elif code < 0:
        found.append("killed by signal %d (a crash, or the %d MiB address-space limit)" % (-code, MEMORY_LIMIT >> 20))
    elif code not in (1, 2):
        found.append("exit status %d, not 1 or 2" % code)
    text = err.decode("utf-8", "replace")
    lines = text.split("\n")
    if late:
        # Progress of the work done before the output failed, then the one error line.
        progress, lines = lines[:-2], lines[-2:]
        if len(progress) > 5 or any(not l.startswith("closenotify %s: " % command) for l in progress):
            found.append("more than the command's progress before the error line: %r" % progress)
    if not text.endswith("\n") or len(lines) != 2:
        found.append("stderr is not exactly one line: %d lines" % text.count("\n"))
    elif not lines[0].startswith("closenotify: error: "):
        found.append("stderr does not start with 'closenotify: error: '")
    if any(b < 0x20 and b != 0x0a or b == 0x7f for b in err):
        found.append("stderr holds control bytes")
    if len(err) > MAX_ERROR_LINE:
        found.append("stderr is %d bytes long" % len(err))
    return found


def main():
    binary = os.path.abspath(sys.argv[1])
    memory_bound = not sanitized(binary)
    if not memory_bound:
        print("test_hostile: the address-space limit is not applied: this binary runs under ASan, whose "
              "shadow memory reserves terabytes of address space; time and output are still checked")
    with tempfile.TemporaryDirectory(prefix="closenotify-hostile-") as root:
        fx = fixtures(root)
        work = os.path.join(root, "cwd")
        os.mkdir(work)
        sealed = subprocess.run([binary, "seal", *TLS13, *ALERT], capture_output=True, text=True, timeout=30)
        if sealed.returncode != 0:
            print("test_hostile: cannot seal the reference record: %r" % sealed.stderr)
            return 1
        cases = invocations(fx, sealed.stdout.strip())
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            outcomes = list(pool.map(lambda c: run_one(binary, c, work, memory_bound), cases))
        wall = time.monotonic() - started
        by_code = collections.Counter()
        by_command = collections.Counter()
        failures = 0
        slowest = max(o[2] for o in outcomes)
        for case, (code, err, seconds, timed_out) in zip(cases, outcomes):
            by_code["killed" if timed_out else code] += 1
            by_command[case[0]] += 1
            found = problems(case[0], case[3], code, err, timed_out)
            if found:
                failures += 1
                shown = [a if len(a) < 80 else a[:40] + "...(%d chars)" % len(a) for a in case[1]]
                print("FAIL %s %r%s: %s\n     stderr: %r" % (case[0], shown,
                      " > " + case[2] if case[2] else "", "; ".join(found), err[:600]))
        # A stray listener or a file named '-' would mean an invocation went further than it should.
        if os.listdir(work):
            print("FAIL invocations left files in their working directory: %s" % sorted(os.listdir(work)))
            failures += 1
        print("test_hostile: %d invocations over %d commands (%s), %.1f s wall, slowest %.1f s; outcomes: %s; "
              "%d failed" % (len(cases), len(by_command), ", ".join("%s %d" % kv for kv in sorted(by_command.items())),
                             wall, slowest, ", ".join("exit %s: %d" % (k, v) for k, v in sorted(by_code.items(), key=str)),
                             failures))
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
