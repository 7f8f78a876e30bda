"""test_readme_examples.py — every command in README.md's ```sh blocks (and those of the docs
that show commands) runs as written: `build/` becomes this build directory, nothing else
changes. Each command is classified below: run (exit status and something in its output
checked), run against the server the README starts first, or skipped with the reason and
the test that already runs it. A command nobody classified fails the test, so a new
example gets checked the day it is written.

Run: python3 tests/cli/test_readme_examples.py SOURCE_ROOT BUILD_ROOT
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

DOCS = ["README.md", "docs/fuzzing.md", "docs/performance.md", "docs/teardown.md", "docs/versions.md"]
SERVE_PORT = 4433  # the README's servers listen there

RFC8448_RECORD = "1703030013c9872760655666b74d7ff1153efd6db6d0b0e3"
CLOSE_NOTIFY = "alert warning close_notify (0x01 0x00)"


def json_with(key):
    def check(out):
        return key in json.loads(out)
    check.stdout_only = True  # JSON on stdout alone, progress or not on stderr
    return check


def file_json_with(path, key):
    def check(_):
        with open(path) as f:
            return key in json.loads(f.read())
    return check


def files_exist(*paths):
    return lambda _: all(os.path.getsize(p) > 0 for p in paths)


def contains(*texts):
    return lambda out: all(t in out for t in texts)


# What each example is, by its text without the trailing comment, spaces collapsed.
# ("run", check) | ("serve", check on its log, follow-up) | ("after-serve", check) | ("skip", why)
MATRIX = "the whole differential matrix (~40 s a release); meson test 'matrix' runs it"
EXAMPLES = {
    # README: the two commands
    "tools/install-deps.sh && meson setup build && meson compile -C build && build/tools/closenotify diff":
        ("skip", "installs Debian packages as root, then builds; its last step is " + MATRIX),
    "meson test -C build --print-errorlogs":
        ("skip", "the whole test suite, of which this test is one"),
    # README: the differential matrix
    "build/tools/closenotify diff": ("skip", MATRIX),
    "build/tools/closenotify diff --openssl 3.5": ("skip", "3.5's part of " + MATRIX),
    "build/tools/closenotify diff --openssl 3.5 --profile openssl-3.0":
        ("skip", "3.5's whole matrix under the wrong profile; meson test 'profile_rows' turns each measured "
                 "row red this way, one scenario each"),
    "build/tools/closenotify diff --family unexpected-eof --json r.json":
        ("run", contains("unexpected-eof"), "r.json:totals"),
    "build/tools/closenotify diff --filter '*/TLS_AES_128_GCM_SHA256/client/*'":
        ("run", contains("TLS_AES_128_GCM_SHA256")),
    "build/tools/closenotify diff --explain 'a-first-then-b/TLS_AES_128_GCM_SHA256/client/blocking'":
        ("run", contains("a-first-then-b/TLS_AES_128_GCM_SHA256/client/blocking")),
    "build/tools/closenotify diff --repeat 3":
        ("skip", "three rounds of " + MATRIX + "; test_cli's test_repeat_compares_each_version runs --repeat "
                 "on a selection"),
    "build/tools/closenotify diff --mutate first-shutdown-returns-1":
        ("skip", "the whole matrix with a wrong closenotify (exit 1 by design); meson test 'mutation' runs it"),
    # README: traces
    "build/tools/closenotify trace a-first-then-b": ("run", contains("A closenotify (client)", "close_notify")),
    "build/tools/closenotify trace b-first-then-a --role server --io nonblocking --reference":
        ("run", contains("b-first-then-a", "nonblocking")),
    "build/tools/closenotify trace a-first-then-b --json -": ("run", json_with("steps")),
    "build/tools/closenotify trace a-first-then-b --mermaid -": ("run", contains("sequenceDiagram")),
    "build/tools/closenotify trace a-first-then-b --pcap t.pcap --keylog t.keys":
        ("run", files_exist("t.pcap", "t.keys")),
    "tshark -r t.pcap -o tls.keylog_file:t.keys -Y tls.alert_message": ("run", contains("Close Notify")),
    "build/tools/closenotify trace a-first-then-b --suite dtls1.2:ECDHE-ECDSA-AES128-GCM-SHA256 --pcap d.pcap "
    "--keylog d.keys": ("run", files_exist("d.pcap", "d.keys")),
    "tshark -r d.pcap -o tls.keylog_file:d.keys -Y dtls.alert_message": ("run", contains("Close Notify")),
    # README: studying teardown
    "build/tools/closenotify profiles": ("run", contains("openssl-1.0", "openssl-3.5")),
    "build/tools/closenotify trace unread-sent-before-close-notify --profile openssl-1.0":
        ("run", contains("openssl-1.0")),
    "/usr/bin/python3 docs/teardown/generate.py --check build/tools/closenotify":
        ("skip", "regenerates docs/teardown.md from live runs under every profile; meson test 'teardown_doc' "
                 "runs exactly this"),
    # README: serve and connect
    "build/tools/closenotify serve --listen 127.0.0.1:4433 --shutdown fast --trace":
        ("serve", contains("conn 1 ", "alerts sent: close_notify"), "curl -sk https://127.0.0.1:4433/"),
    "build/tools/closenotify serve --tls1.2 --respond echo --shutdown wait-peer --json":
        ("serve", contains('"listening":"127.0.0.1:4433"', '"conn":1'), None),
    "build/tools/closenotify connect 127.0.0.1:4433 --respond echo --shutdown quiet":
        ("after-serve", contains("conn 1 127.0.0.1:4433 tls1.2")),
    # README: performance
    "build/tools/closenotify bench":
        ("skip", "about 9 minutes; `meson test --benchmark` runs it (benchmark 'bench')"),
    "build/tools/closenotify bench --quick --json -":
        ("skip", "about 40 s; meson test 'bench_shape' runs exactly this and checks every figure"),
    "meson test -C build --benchmark --verbose": ("skip", "the benchmarks, minutes; timings are never tests"),
    # README: fuzzing
    "fuzz/run.sh 600": ("skip", "five libFuzzer targets for 600 s each (clang); meson test --suite fuzz "
                                "builds and runs them briefly"),
    "build/tools/closenotify replay build-fuzz/corpus/endpoint":
        ("skip", "replays the corpus fuzz/run.sh leaves in build-fuzz/; meson test 'replay' replays generated "
                 "seeds the same way"),
    # README: the CLI
    "build/tools/closenotify seal --suite TLS_AES_128_GCM_SHA256 --seq 1 --alert close_notify --secret "
    "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5":
        ("run", lambda out: out.strip() == RFC8448_RECORD),
    "build/tools/closenotify open --suite TLS_AES_128_GCM_SHA256 --seq 1 --secret "
    "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5 " + RFC8448_RECORD:
        ("run", contains(CLOSE_NOTIFY)),
    "build/tools/closenotify open --suite ECDHE-ECDSA-AES128-GCM-SHA256 --role client --seq 1 --master-secret "
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f "
    "--client-random 404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f "
    "--server-random 606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f "
    "150303001a000000000000000184495c32c016bd7b639c48be222e807aed32":
        ("run", contains(CLOSE_NOTIFY)),
    "build/tools/closenotify open --suite TLS_AES_128_GCM_SHA256 --keylog t.keys --role server --seq 2 "
    "$(tshark -r t.pcap -Y 'tcp.srcport == 443 && tcp.len > 0' -T fields -e tcp.payload | tail -1)":
        ("run", contains(CLOSE_NOTIFY)),
    "build/tools/closenotify open --suite ECDHE-ECDSA-AES128-GCM-SHA256 --keylog d.keys --role server --epoch 1 "
    "--server-random $(tshark -r d.pcap -Y 'dtls.handshake.type == 2' -T fields -e dtls.handshake.random | tr -d :) "
    "$(tshark -r d.pcap -Y 'udp.srcport == 4433 && dtls.record.content_type == 21' -T fields -e udp.payload)":
        ("run", contains("epoch 1 seq 1: " + CLOSE_NOTIFY)),
    # docs/fuzzing.md
    "build/tools/closenotify replay build-fuzz/corpus/endpoint --limit 500":
        ("skip", "needs the corpus fuzz/run.sh leaves in build-fuzz/; meson test 'replay' replays seeds"),
    "build/tools/closenotify replay --dtls build-fuzz/corpus/dtls_endpoint --limit 500":
        ("skip", "needs the corpus fuzz/run.sh leaves in build-fuzz/; meson test 'replay' replays the DTLS seeds"),
    # docs/performance.md
    "meson setup build && meson compile -C build": ("skip", "the build this test runs in"),
    "build/tools/closenotify bench --json bench.json":
        ("skip", "about 10 minutes; `meson test --benchmark` runs it (benchmark 'bench')"),
    "build/tools/closenotify bench --quick":
        ("skip", "about 40 s; `meson test --benchmark` runs it (benchmark 'bench_quick'), meson test "
                 "'bench_shape' runs it with --json -"),
    # docs/teardown.md and docs/versions.md
    "/usr/bin/python3 docs/teardown/generate.py build/tools/closenotify":
        ("skip", "rewrites docs/teardown.md in the source tree; its --check form is meson test 'teardown_doc'"),
    "/usr/bin/python3 docs/versions/generate.py build/tools/closenotify":
        ("skip", "rewrites docs/versions.md in the source tree; its --check form is meson test 'versions_doc'"),
    "/usr/bin/python3 docs/versions/generate.py --check build/tools/closenotify":
        ("skip", "every scenario under every release (minutes); meson test 'versions_doc' runs exactly this"),
    "build/tools/closenotify diff --compare-versions":
        ("skip", "every cell under every release, ~11 min; meson test 'versions_doc' runs a part of it"),
}


def strip_comment(line):
    """The command without a trailing `# comment` (a # after a space, outside quotes)."""
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1:].strip()
    return line.rstrip(), ""


def examples(source_root):
    """(file, line number, command as written, its key in EXAMPLES, its comment)."""
    found = []
    for doc in DOCS:
        with open(os.path.join(source_root, doc)) as f:
            lines = f.read().split("\n")
        in_sh = False
        pending, start = "", 0
        for n, line in enumerate(lines, 1):
            if line.startswith("```"):
                in_sh = line.strip() == "```sh"
                continue
            if not in_sh or not line.strip():
                continue
            if not pending:
                start = n
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1].strip() + " "
                continue
            whole = pending + line.strip()
            pending = ""
            command, comment = strip_comment(whole)
            if not command:
                continue  # a comment line
            key = " ".join(command.split())
            if key not in EXAMPLES:
                # Commands whose comment is part of what they say (fuzzing.md's "or: ...").
                key = " ".join(whole.split())
            found.append((doc, start, whole, key, comment))
    return found


def as_run(command, build_root):
    return re.sub(r"(?<![\w./-])build/", build_root.rstrip("/") + "/", command)


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_listening(port, proc, seconds=15):
    """The server's port accepts, probed without a connection: its listening socket shows in /proc/net/tcp."""
    want = ":%04X" % port
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with open("/proc/net/tcp") as f:
            for row in f.read().split("\n")[1:]:
                cols = row.split()
                if len(cols) > 3 and cols[1].endswith(want) and cols[3] == "0A":  # 0A: LISTEN
                    return True
        time.sleep(0.05)
    return False


class runner:
    def __init__(self, build_root, cwd):
        self.build_root = build_root
        self.cwd = cwd
        self.server = None   # (Popen, check, example) of a README server still running
        self.failures = []
        self.ran = 0
        self.skipped = []

    def fail(self, where, why):
        print("FAIL %s: %s" % (where, why))
        self.failures.append(where)

    def shell(self, command, timeout=120):
        return subprocess.run(["/bin/sh", "-c", as_run(command, self.build_root)], cwd=self.cwd,
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def run(self, where, command, check, expect_file=None):
        proc = self.shell(command)
        self.ran += 1
        out = proc.stdout + proc.stderr
        if proc.returncode != 0:
            return self.fail(where, "exit %d: %s" % (proc.returncode, out.strip()[-400:]))
        try:
            ok = check(proc.stdout if getattr(check, "stdout_only", False) else out)
            if expect_file:
                path, key = expect_file.split(":")
                ok = ok and file_json_with(os.path.join(self.cwd, path), key)(None)
        except (ValueError, OSError) as e:
            ok = False
            out += " (%s)" % e
        if not ok:
            return self.fail(where, "exit 0 but not what it should print: %s" % out.strip()[:400])
        print("ok   %s" % where)

    def start_server(self, where, command, check, follow_up):
        self.stop_server()
        if not port_free(SERVE_PORT):
            self.skipped.append(where)
            print("SKIP %s: 127.0.0.1:%d is in use by another program, so the README's server cannot start"
                  % (where, SERVE_PORT))
            return
        log = tempfile.TemporaryFile(mode="w+", dir=self.cwd)
        proc = subprocess.Popen(["/bin/sh", "-c", "exec " + as_run(command, self.build_root)], cwd=self.cwd,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.server = (proc, check, where, log)
        if not wait_listening(SERVE_PORT, proc):
            self.stop_server()
            return self.fail(where, "the server is not listening on 127.0.0.1:%d after 15 s" % SERVE_PORT)
        if follow_up:  # the README's "then: ..." comment, run as written
            self.run(where + " (then: %s)" % follow_up, follow_up, contains("hello"))

    def stop_server(self):
        if not self.server:
            return
        proc, check, where, log = self.server
        self.server = None
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)   # the server this test started, by its pid
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                return self.fail(where, "the server did not stop on SIGINT within 15 s")
        log.seek(0)
        out = log.read()
        self.ran += 1
        if proc.returncode != 0:
            return self.fail(where, "the server ended with exit %d: %s" % (proc.returncode, out.strip()[-400:]))
        if not check(out):
            return self.fail(where, "its log lacks what the connection should have logged: %s" % out[-600:])
        print("ok   %s" % where)


def main():
    source_root, build_root = (os.path.abspath(a) for a in sys.argv[1:3])
    found = examples(source_root)
    unknown = [e for e in found if e[3] not in EXAMPLES]
    for doc, line, whole, _, _ in unknown:
        print("FAIL %s:%d: an example this test does not know; classify it in EXAMPLES (run it, or skip it "
              "naming the test that runs it): %s" % (doc, line, whole))
    seen = {e[3] for e in found}
    for key in EXAMPLES:
        if key not in seen:
            print("FAIL EXAMPLES names a command no document shows any more: %s" % key)
            unknown.append(key)
    with tempfile.TemporaryDirectory(prefix="closenotify-readme-") as cwd:
        os.chdir(cwd)  # the examples' files (r.json, t.pcap) land here, and their checks look here
        r = runner(build_root, cwd)
        try:
            for doc, line, whole, key, comment in found:
                if key not in EXAMPLES:
                    continue
                where = "%s:%d" % (doc, line)
                kind, *spec = EXAMPLES[key]
                if kind == "skip":
                    r.skipped.append(where)
                    print("SKIP %s %s: %s" % (where, key[:70], spec[0]))
                elif kind == "run":
                    r.stop_server()
                    if key.startswith("tshark") or "$(tshark" in key:
                        if not shutil.which("tshark"):
                            r.skipped.append(where)
                            print("SKIP %s: tshark is not installed (tools/install-deps.sh installs it)" % where)
                            continue
                    r.run(where, whole, spec[0], spec[1] if len(spec) > 1 else None)
                elif kind == "serve":
                    follow = comment.split("then:", 1)[1].strip() if "then:" in comment and spec[1] else None
                    r.start_server(where, whole, spec[0], follow)
                elif kind == "after-serve":
                    if r.server is None:
                        r.skipped.append(where)
                        print("SKIP %s: the README's server before it did not start" % where)
                        continue
                    r.run(where, whole, spec[0])
        finally:
            r.stop_server()
    failures = len(r.failures) + len(unknown)
    print("test_readme_examples: %d examples in %s: %d runs checked, %d skipped (reasons above), %d failed"
          % (len(found), ", ".join(DOCS), r.ran, len(r.skipped), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
