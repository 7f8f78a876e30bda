"""test_dtls.py — `closenotify seal` and `open` for DTLS 1.2 (--epoch, 48-bit --seq): round
trips for the three DTLS suites, every record of a datagram reported (discards with their
reason, as RFC 6347 §4.1.2.7 has a receiver drop them), one-line errors for bad --epoch and
--seq values, and records a live OpenSSL 3.0 wrote (tests/unit/data/dtls12-openssl-3.0.*)
opened with its key log.

Run: python3 tests/cli/test_dtls.py path/to/closenotify
"""

import json
import os
import subprocess
import sys
import unittest

BINARY = None  # set from argv[1]
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit", "data")

DTLS_SUITES = ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305")
SECRET48 = bytes(range(48)).hex()
CLIENT_RANDOM = bytes(range(0x40, 0x60)).hex()
SERVER_RANDOM = bytes(range(0x60, 0x80)).hex()
MAX_SEQ = 2 ** 48 - 1


def run(*args):
    proc = subprocess.run([BINARY] + list(args), capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def keys(role="client"):
    return ["--master-secret", SECRET48, "--client-random", CLIENT_RANDOM, "--server-random", SERVER_RANDOM,
            "--role", role]


def tampered(record):
    """The record with its last byte (part of the tag) changed."""
    return record[:-2] + ("00" if record[-2:] != "00" else "01")


class dtls_case(unittest.TestCase):
    def ok(self, *args):
        code, out, err = run(*args)
        self.assertEqual(code, 0, "exit %d, stderr %r" % (code, err))
        self.assertEqual(err, "")
        return out

    def fails(self, exit_code, *args, message=None, contains=None):
        """The command fails with `exit_code` and exactly one stderr line; returns stdout."""
        code, out, err = run(*args)
        self.assertEqual(code, exit_code, "stdout %r stderr %r" % (out, err))
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, "stderr must be one line: %r" % err)
        self.assertTrue(lines[0].startswith("closenotify: error: "), lines[0])
        if message is not None:
            self.assertEqual(lines[0], "closenotify: error: " + message)
        if contains is not None:
            self.assertIn(contains, lines[0])
        return out

    def seal(self, suite, *content, epoch="1", seq="0", role="client"):
        out = self.ok("seal", "--suite", suite, *keys(role), "--epoch", epoch, "--seq", seq, *content)
        self.assertRegex(out, r"^[0-9a-f]+\n$")
        return out.strip()

    def open_args(self, suite, datagrams, *extra, epoch="1", role="client"):
        return ["open", "--suite", suite, *keys(role), "--epoch", epoch, *extra, ",".join(datagrams)]


class round_trips(dtls_case):
    def test_every_dtls_suite_seals_and_opens_a_datagram_of_data_and_close_notify(self):
        for suite in DTLS_SUITES:
            for role in ("client", "server"):
                with self.subTest(suite=suite, role=role):
                    data = self.seal(suite, "--data", "68656c6c6f", seq="1", role=role)
                    alert = self.seal(suite, "--alert", "close_notify", seq="2", role=role)
                    out = self.ok(*self.open_args(suite, [data + alert], role=role))
                    self.assertEqual(out, "epoch 1 seq 1: application_data 5 bytes: 68656c6c6f\n"
                                          "epoch 1 seq 2: alert warning close_notify (0x01 0x00)\n")

    def test_the_sealed_header_is_rfc_6347s_with_epoch_and_48_bit_sequence_number(self):
        for suite in DTLS_SUITES:
            with self.subTest(suite=suite):
                rec = self.seal(suite, "--alert", "close_notify", epoch="258", seq=str(MAX_SEQ - 1))
                # type 21, version {254,253}, epoch 0x0102, sequence number 2^48-2
                self.assertEqual(rec[:22], "15fefd" "0102" "fffffffffffe")
                explicit = 8 if "GCM" in suite else 0
                self.assertEqual(int(rec[22:26], 16), explicit + 2 + 16)
                if explicit:
                    # RFC 5288 §3 "MAY be the 64-bit sequence number": epoch || seq.
                    self.assertEqual(rec[26:42], "0102fffffffffffe")
                out = self.ok(*self.open_args(suite, [rec], epoch="258"))
                self.assertEqual(out, "epoch 258 seq %d: alert warning close_notify (0x01 0x00)\n" % (MAX_SEQ - 1))

    def test_json_gives_one_object_per_record_with_datagram_epoch_and_seq(self):
        suite = DTLS_SUITES[0]
        data = self.seal(suite, "--data", "ff", seq="5")
        alert = self.seal(suite, "--alert", "close_notify", seq="6")
        out = self.ok(*self.open_args(suite, [data, alert], "--json"))
        lines = [json.loads(line) for line in out.splitlines()]
        self.assertEqual(lines, [
            {"datagram": 1, "epoch": 1, "seq": 5, "type": "application_data", "length": 1, "hex": "ff"},
            {"datagram": 2, "epoch": 1, "seq": 6, "type": "alert", "length": 2, "hex": "0100",
             "level": "warning", "description": "close_notify"}])

    def test_records_open_out_of_order_as_their_own_sequence_numbers_say(self):
        suite = DTLS_SUITES[2]
        a = self.seal(suite, "--data", "01", seq="7")
        b = self.seal(suite, "--data", "02", seq="3")
        out = self.ok(*self.open_args(suite, [a, b]))
        self.assertEqual(out, "datagram 1: epoch 1 seq 7: application_data 1 bytes: 01\n"
                              "datagram 2: epoch 1 seq 3: application_data 1 bytes: 02\n")


class discards(dtls_case):
    """RFC 6347 §4.1.2.7: "invalid records SHOULD be silently discarded": each one is a line
    with its reason, the rest of the datagram is still read, and the command exits 1 with
    one line counting them."""

    def discarded(self, suite, datagrams, *extra, epoch="1"):
        return self.fails(1, *self.open_args(suite, datagrams, *extra, epoch=epoch))

    def test_a_replayed_record_is_discarded_in_the_same_or_a_later_datagram(self):
        for suite in DTLS_SUITES:
            with self.subTest(suite=suite):
                alert = self.seal(suite, "--alert", "close_notify", seq="2")
                code, out, err = run(*self.open_args(suite, [alert + alert, alert]))
                self.assertEqual(code, 1)
                self.assertEqual(out, "datagram 1: epoch 1 seq 2: alert warning close_notify (0x01 0x00)\n"
                                      "datagram 1: epoch 1 seq 2: discarded, replayed: sequence number 2 was "
                                      "already received (the replay window)\n"
                                      "datagram 2: epoch 1 seq 2: discarded, replayed: sequence number 2 was "
                                      "already received (the replay window)\n")
                self.assertEqual(err, "closenotify: error: 2 of 3 DTLS records discarded "
                                      "(a DTLS receiver drops them silently)\n")

    def test_records_of_another_epoch_are_discarded(self):
        suite = DTLS_SUITES[1]
        old = self.seal(suite, "--alert", "close_notify", epoch="1", seq="4")
        nxt = self.seal(suite, "--alert", "close_notify", epoch="3", seq="4")
        out = self.discarded(suite, [old + nxt], epoch="2")
        self.assertEqual(out, "epoch 1 seq 4: discarded, wrong epoch: epoch 1 is neither the current epoch 2 nor the "
                              "next\n"
                              "epoch 3 seq 4: discarded, next epoch: epoch 3 is the next epoch, kept only while a "
                              "handshake is under way\n")

    def test_a_bad_tag_is_discarded_and_the_next_record_of_the_datagram_opens(self):
        for suite in DTLS_SUITES:
            with self.subTest(suite=suite):
                bad = tampered(self.seal(suite, "--data", "01", seq="1"))
                good = self.seal(suite, "--alert", "close_notify", seq="2")
                out = self.discarded(suite, [bad + good])
                self.assertEqual(out, "epoch 1 seq 1: discarded, bad record mac: it does not authenticate with these "
                                      "keys under epoch 1 (check --role: the side that sent it)\n"
                                      "epoch 1 seq 2: alert warning close_notify (0x01 0x00)\n")
                # The other side's keys do not open it either.
                self.fails(1, *self.open_args(suite, [good], role="server"))

    def test_a_record_left_of_the_window_that_seq_sets_is_stale(self):
        suite = DTLS_SUITES[0]
        rec = self.seal(suite, "--data", "01", seq="10")
        self.assertIn("discarded, stale: sequence number 10 is left of the 64-record replay window, whose highest is 99",
                      self.discarded(suite, [rec], "--seq", "100"))
        # --seq 11: 10 was received; --seq 10: it was not.
        self.assertIn("discarded, replayed", self.discarded(suite, [rec], "--seq", "11"))
        self.ok(*self.open_args(suite, [rec], "--seq", "10"))

    def test_partial_and_misversioned_records_are_reported_with_what_they_consumed(self):
        suite = DTLS_SUITES[2]
        good = self.seal(suite, "--alert", "close_notify", seq="1")
        out = self.discarded(suite, [good[:-2], good + good[:20]], "--json")
        lines = [json.loads(line) for line in out.splitlines()]
        self.assertEqual([(l["datagram"], l.get("discarded"), l.get("consumed")) for l in lines],
                         [(1, "partial_record", len(good) // 2 - 1), (2, None, None), (2, "partial_header", 10)])
        self.assertEqual(lines[2]["offset"], len(good) // 2)
        # A non-alert record of another version: only its header is skipped (docs/dtls.md).
        tls_version = self.seal(suite, "--data", "01", "--record-version", "0303", seq="2")
        out = self.discarded(suite, [tls_version])
        self.assertTrue(out.startswith("epoch 1 seq 2: discarded, unexpected version: version 0303 is not DTLS "
                                       "1.2's fefd (only an alert's may differ): only its 13-byte header is "
                                       "skipped; the next record is read from its body\n"), out)


class bad_values(dtls_case):
    suite = DTLS_SUITES[0]

    def seal_fails(self, *args, message=None, contains=None):
        return self.fails(2, "seal", "--suite", self.suite, *keys(), *args, "--alert", "close_notify",
                          message=message, contains=contains)

    def test_epoch_is_0_to_65535(self):
        for epoch in ("x", "-1", "65536", "", "1.0", "0x1"):
            with self.subTest(epoch=epoch):
                self.seal_fails("--epoch", epoch, "--seq", "0", message="--epoch: not an epoch 0..65535: '%s'" % epoch)
                self.fails(2, "open", "--suite", self.suite, *keys(), "--epoch", epoch, "15fefd",
                           message="--epoch: not an epoch 0..65535: '%s'" % epoch)
        self.assertTrue(self.seal(self.suite, "--alert", "close_notify", epoch="65535").startswith("15fefdffff"))
        self.assertTrue(self.seal(self.suite, "--alert", "close_notify", epoch="0").startswith("15fefd0000"))

    def test_seq_over_48_bits_is_one_line_and_exit_2(self):
        message = "--seq: %d does not fit DTLS's 48-bit sequence number (at most %d)" % (MAX_SEQ + 1, MAX_SEQ)
        self.seal_fails("--epoch", "1", "--seq", str(MAX_SEQ + 1), message=message)
        self.fails(2, "open", "--suite", self.suite, *keys(), "--epoch", "1", "--seq", str(MAX_SEQ + 1), "15fefd",
                   message=message)
        self.seal_fails("--epoch", "1", "--seq", "18446744073709551616",
                        message="--seq: not a sequence number: '18446744073709551616'")
        # 2^48-1 fits the field but is never sealed: the record after it would wrap.
        self.seal_fails("--epoch", "1", "--seq", str(MAX_SEQ),
                        message="cannot seal: sequence number exhausted (--seq %d is DTLS's last sequence number: "
                                "a record after it would wrap)" % MAX_SEQ)
        # TLS has no 48-bit field: the same --seq without --epoch seals.
        self.assertTrue(self.ok("seal", "--suite", self.suite, *keys(), "--seq", str(MAX_SEQ + 1),
                                "--alert", "close_notify").startswith("1503030"))

    def test_epoch_needs_a_dtls_suite_and_tls12_keys(self):
        for suite in ("TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"):
            with self.subTest(suite=suite):
                self.fails(2, "seal", "--suite", suite, *keys(), "--epoch", "1", "--seq", "0", "--alert",
                           "close_notify",
                           message="--epoch is for DTLS 1.2 records, and '%s' is not a DTLS 1.2 suite (DTLS 1.2: %s)"
                                   % (suite, ", ".join(DTLS_SUITES)))
        self.fails(2, "seal", "--suite", "RC4", *keys(), "--epoch", "1", "--seq", "0", "--alert", "close_notify",
                   message="unknown DTLS 1.2 cipher suite 'RC4' (DTLS 1.2: %s)" % ", ".join(DTLS_SUITES))
        self.fails(2, "seal", "--suite", self.suite, "--secret", SECRET48[:64], "--epoch", "1", "--seq", "0",
                   "--alert", "close_notify", contains="is DTLS 1.2 (use --master-secret")
        self.fails(2, "seal", "--suite", self.suite, *keys(), "--epoch", "1", "--alert", "close_notify",
                   contains="missing --seq")

    def test_open_needs_hex_datagrams(self):
        self.fails(2, "open", "--suite", self.suite, *keys(), "--epoch", "1", "15fefd,zz",
                   contains="DATAGRAM_HEX 2: ")
        self.fails(1, "open", "--suite", self.suite, *keys(), "--epoch", "1", "",
                   message="no DTLS record: the datagram is empty")

    def test_help_explains_epoch_and_the_48_bit_seq(self):
        for command in ("seal", "open"):
            out = self.ok(command, "--help")
            self.assertIn("--epoch", out)
            self.assertIn("2^48-1", out)
            self.assertIn("DTLS", out)
        self.assertIn("discarded, replayed", self.ok("open", "--help"))


def openssl_sessions():
    """tests/unit/data/dtls12-openssl-3.0.records: per suite the randoms and four datagrams
    (sender, content type, datagram hex, plaintext hex), as test_dtls_record.cpp reads them."""
    sessions = []
    with open(os.path.join(DATA, "dtls12-openssl-3.0.records")) as f:
        for line in f:
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            if fields[0] == "suite":
                sessions.append({"suite": fields[1], "records": []})
            elif fields[0] in ("client_random", "server_random"):
                sessions[-1][fields[0]] = fields[1]
            elif fields[0] in ("client", "server"):
                sessions[-1]["records"].append(tuple(fields))
    return sessions


class openssl_records(dtls_case):
    """Records a live OpenSSL 3.0 wrote (tests/unit/data/dtls12_openssl_records.c), opened
    with the CLIENT_RANDOM line of its key log."""

    def key_args(self, session, role):
        return ["--keylog", os.path.join(DATA, "dtls12-openssl-3.0.keys"), "--client-random",
                session["client_random"], "--server-random", session["server_random"], "--role", role]

    def test_every_datagram_opens_and_a_second_copy_is_replayed(self):
        sessions = openssl_sessions()
        self.assertEqual([s["suite"] for s in sessions], list(DTLS_SUITES))
        for session in sessions:
            for role in ("client", "server"):
                with self.subTest(suite=session["suite"], role=role):
                    mine = [r for r in session["records"] if r[0] == role]
                    self.assertEqual([r[1] for r in mine], ["application_data", "alert"])
                    args = ["open", "--suite", session["suite"], *self.key_args(session, role), "--epoch", "1",
                            "--json", ",".join(r[2] for r in mine)]
                    got = [json.loads(line) for line in self.ok(*args).splitlines()]
                    self.assertEqual([(g["seq"], g["type"], g["hex"]) for g in got],
                                     [(1, "application_data", mine[0][3]), (2, "alert", mine[1][3])])
                    # The close_notify again, as a duplicated datagram would bring it.
                    args[-1] += "," + mine[1][2]
                    out = self.fails(1, *args)
                    self.assertEqual(json.loads(out.splitlines()[-1])["discarded"], "replayed")

    def test_closenotify_reseals_openssls_chacha20_close_notify_byte_for_byte(self):
        # RFC 7905's nonce is fixed by epoch and sequence number; OpenSSL's GCM nonce_explicit
        # is random (docs/dtls.md), so only ChaCha20-Poly1305 can match.
        session = openssl_sessions()[2]
        self.assertEqual(session["suite"], "ECDHE-ECDSA-CHACHA20-POLY1305")
        for sender, content_type, datagram, _ in session["records"]:
            if content_type != "alert":
                continue
            with self.subTest(sender=sender):
                out = self.ok("seal", "--suite", session["suite"], *self.key_args(session, sender), "--epoch", "1",
                              "--seq", "2", "--alert", "close_notify")
                self.assertEqual(out.strip(), datagram)


def main():
    global BINARY
    if len(sys.argv) != 2:
        print("usage: test_dtls.py PATH_TO_CLOSENOTIFY", file=sys.stderr)
        return 2
    BINARY = os.path.abspath(sys.argv[1])
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
