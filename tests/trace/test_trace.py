"""test_trace.py — `closenotify trace`: the two-column timeline of a clean bidirectional
shutdown, the JSON and Mermaid renderings, the reference run, and one-line errors that
list what exists.

Run: python3 tests/trace/test_trace.py path/to/closenotify
"""

import json
import subprocess
import sys
import unittest

BINARY = None


def run(*args):
    proc = subprocess.run([BINARY, "trace"] + list(args), capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


class timeline(unittest.TestCase):
    def test_clean_bidirectional_shutdown_in_two_columns(self):
        code, out, err = run("a-first-then-b")
        self.assertEqual(code, 0, err)
        self.assertEqual(err, "")
        self.assertNotIn("\033[", out, "no colour when stdout is not a terminal")
        lines = out.splitlines()
        header = next(l for l in lines if "A closenotify (client)" in l)
        self.assertIn("| B OpenSSL (server)", header)
        # Every row of the table keeps B's column at the same place.
        bar = header.index("|")
        rows = [l for l in lines if len(l) > bar and l[bar] == "|"]
        self.assertGreater(len(rows), 10)
        self.assertIn("endpoint.shutdown() = 0", out)
        self.assertIn("SSL_read(16384) = 0", out)
        self.assertIn("SSL_ERROR_ZERO_RETURN", out)
        self.assertIn("SSL_shutdown() = 1", out)
        self.assertIn("SSL_ERROR_NONE, flags SENT|RECEIVED", out)
        self.assertIn("--> 17 0303 0013 alert warning close_notify", out)
        self.assertIn("<-- 17 0303 0013 alert warning close_notify", out)
        self.assertIn("handshake ClientHello", out)
        self.assertIn("004 RETURN VALUES", out)

    def test_citation_shown_at_the_step_it_states(self):
        # b-first-then-a cites SSL_read's SSL_ERROR_ZERO_RETURN and SSL_shutdown's "return
        # with 1": both are placed at A's steps that observed exactly that.
        code, out, err = run("b-first-then-a", "--json", "-")
        self.assertEqual(code, 0, err)
        t = json.loads(out)
        steps = {c["step"] for c in t["cites"] if c["step"] is not None}
        self.assertEqual(steps, {2, 3}, t["cites"])
        self.assertEqual(t["steps"][1]["err"], "ZERO_RETURN")

    def test_json(self):
        code, out, err = run("a-first-then-b", "--suite", "ECDHE-ECDSA-AES256-GCM-SHA384", "--role", "server",
                             "--io", "nonblocking", "--json", "-")
        self.assertEqual(code, 0, err)
        t = json.loads(out)
        self.assertEqual((t["version"], t["role"], t["io"], t["run"]), ("tls1.2", "server", "nonblocking", "candidate"))
        self.assertGreaterEqual(len(t["handshake"]), 4)
        first = t["steps"][0]
        self.assertEqual((first["side"], first["ret"], first["flags"]), ("A", "0", "1"))
        self.assertEqual(first["records"][0]["alert"], "close_notify")
        self.assertEqual(first["records"][0]["header"][:6], "150303")  # TLS 1.2: the real type
        self.assertEqual(first["records"][0]["plaintext"], "0100")

    def test_reference_run_and_mermaid(self):
        code, out, err = run("a-first-then-b", "--reference", "--mermaid", "-")
        self.assertEqual(code, 0, err)
        self.assertTrue(out.startswith("sequenceDiagram\n"), out)
        self.assertIn("participant A as A: OpenSSL (client)", out)
        self.assertIn("A->>B: alert warning close_notify", out)
        self.assertIn("B->>A: alert warning close_notify", out)
        self.assertIn("A->>A: SSL_shutdown() = 0", out)

    def test_colour_on_request(self):
        code, out, _ = run("a-first-then-b", "--color", "always")
        self.assertEqual(code, 0)
        self.assertIn("\033[", out)


    def test_no_line_wider_than_the_terminal_at_80_columns_and_up(self):
        # Every sixth scenario of the catalogue (the longest headers, cites and records
        # among them), in a TLS 1.3 and a TLS 1.2 cell, at 80, 100 and 132 columns.
        listed = subprocess.run([BINARY, "diff", "--list", "--openssl", "3.0"], capture_output=True, text=True,
                                timeout=120).stdout
        names = sorted({l.strip().split("/")[0] for l in listed.splitlines() if l.startswith("  ")})
        self.assertGreater(len(names), 100)
        checked = 0
        for name in names[::6]:
            for suite in ("TLS_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"):
                for width in (80, 100, 132):
                    code, out, err = run(name, "--suite", suite, "--width", str(width))
                    if code == 2 and "does not apply" in err:
                        continue
                    self.assertIn(code, (0, 1), err)
                    wide = [l for l in out.splitlines() if len(l) > width]
                    self.assertEqual(wide, [], "%s %s at %d columns" % (name, suite, width))
                    checked += 1
        self.assertGreater(checked, 60)


class dtls(unittest.TestCase):
    suite = "dtls1.2:ECDHE-ECDSA-AES128-GCM-SHA256"

    def test_a_dtls_cell_shows_epoch_and_sequence_number_in_each_header(self):
        code, out, err = run("a-first-then-b", "--suite", self.suite, "--width", "200")
        self.assertEqual(code, 0, err)
        self.assertIn("ECDHE-ECDSA-AES128-GCM-SHA256 (DTLS 1.2), A is the client, blocking datagram sockets", out)
        # RFC 6347 §4.1 header: type, version {254,253}, epoch 1 after the handshake, the
        # 48-bit sequence number, length.
        self.assertRegex(out, r"--> 15 fefd 0001 [0-9a-f]{12} 001a alert warning close_notify")
        self.assertRegex(out, r"<-- 15 fefd 0001 [0-9a-f]{12} 001a alert warning close_notify")
        self.assertIn("handshake ClientHello", out)
        self.assertIn("change_cipher_spec", out)
        self.assertIn("(header: type version epoch sequence_number length,", out)

    def test_json_names_the_protocol_and_gives_the_13_byte_headers(self):
        code, out, err = run("a-first-then-b", "--suite", "dtls1.2:ECDHE-ECDSA-CHACHA20-POLY1305", "--role", "server",
                             "--json", "-")
        self.assertEqual(code, 0, err)
        t = json.loads(out)
        self.assertEqual((t["suite"], t["version"], t["role"]), ("ECDHE-ECDSA-CHACHA20-POLY1305", "dtls1.2", "server"))
        first = t["steps"][0]["records"][0]
        self.assertEqual(len(first["header"]), 26)
        self.assertTrue(first["header"].startswith("15fefd0001"), first)
        self.assertEqual((first["alert"], first["plaintext"]), ("close_notify", "0100"))

    def test_a_datagram_fault_is_the_runners_not_a_call_of_the_side(self):
        code, out, err = run("dtls-close-notify-lost-one-side-completes", "--suite", self.suite, "--width", "200")
        self.assertEqual(code, 0, err)
        self.assertIn("| runner: the next datagram queued for B is lost", out)
        self.assertIn("| it held: alert(warning close_notify)", out)
        self.assertNotIn("datagram drop =", out)
        code, out, err = run("dtls-data-replayed", "--suite", self.suite, "--json", "-")
        self.assertEqual(code, 0, err)
        fault = next(s for s in json.loads(out)["steps"] if s["command"].startswith("datagram "))
        self.assertEqual(fault["call"], "runner: the last record B sent arrives at A again")
        code, out, err = run("dtls-data-replayed", "--suite", self.suite, "--mermaid", "-")
        self.assertEqual(code, 0, err)
        self.assertIn("Note over A: runner: the last record B sent arrives at A again: application_data", out)

    def test_no_line_of_a_dtls_trace_is_wider_than_80_columns(self):
        # The dtls family (its 13-byte headers and runner's fault lines are the longest).
        listed = subprocess.run([BINARY, "diff", "--list", "--openssl", "3.0", "--family", "dtls", "--protocol",
                                 "dtls1.2"], capture_output=True, text=True, timeout=120).stdout
        names = sorted({l.strip().split("/")[0] for l in listed.splitlines() if l.startswith("  ")})
        self.assertGreater(len(names), 10, listed)
        for name in names:
            code, out, err = run(name, "--suite", "dtls1.2:ECDHE-ECDSA-AES256-GCM-SHA384", "--width", "80")
            if code == 2 and "does not apply" in err:
                continue
            self.assertIn(code, (0, 1), err)
            self.assertEqual([l for l in out.splitlines() if len(l) > 80], [], name)

    def test_a_dtls_suite_is_written_as_case_ids_write_it(self):
        code, _, err = run("a-first-then-b", "--suite", "dtls1.2:TLS_AES_128_GCM_SHA256")
        self.assertEqual(code, 2)
        self.assertIn("unknown --suite 'dtls1.2:TLS_AES_128_GCM_SHA256'", err)
        self.assertIn("dtls1.2:ECDHE-ECDSA-CHACHA20-POLY1305", err)


class errors(unittest.TestCase):
    def fails(self, *args, listed):
        code, out, err = run(*args)
        self.assertEqual(code, 2, out + err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("closenotify: error: "), err)
        for name in listed:
            self.assertIn(name, err)

    def test_unknown_names_list_what_exists(self):
        self.fails("a-first-then-c", listed=["no scenario named 'a-first-then-c'", "a-first-then-b",
                                              "b-first-then-a", "closenotify diff --list"])
        self.fails("a-first-then-b", "--suite", "RC4", listed=["unknown --suite 'RC4'", "TLS_AES_128_GCM_SHA256",
                                                                "ECDHE-ECDSA-CHACHA20-POLY1305"])
        self.fails("a-first-then-b", "--role", "both", listed=["unknown --role 'both'", "client, server"])
        self.fails("a-first-then-b", "--io", "async", listed=["blocking, nonblocking"])
        self.fails(listed=["missing SCENARIO"])

    def test_a_cell_the_scenario_does_not_apply_to(self):
        out = subprocess.run([BINARY, "diff", "--list"], capture_output=True, text=True).stdout
        skipped = next(l for l in out.splitlines() if "(skipped:" in l)
        name, suite, role, io = skipped.split()[0].split("/")
        self.fails(name, "--suite", suite, "--role", role, "--io", io, listed=["does not apply"])

    def test_diff_names_what_exists_too(self):
        proc = subprocess.run([BINARY, "diff", "--family", "nope"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("(families: ", proc.stderr)
        self.assertIn("clean-shutdown", proc.stderr)
        proc = subprocess.run([BINARY, "diff", "--scenario", "nope"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("(nearest of the ", proc.stderr)
        proc = subprocess.run([BINARY, "diff", "--pcap", "x.pcap"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--pcap needs --scenario or --explain", proc.stderr)


if __name__ == "__main__":
    BINARY = sys.argv.pop(1)
    unittest.main(verbosity=2)
