// test_diff.cpp — the differential runner's own pieces: the peer protocol as parsed, the
// scenario grammar, which cells a scenario applies to, the wire decoder, and the
// comparison rules (including that a deliberately wrong observation is caught).
#include <doctest/doctest.h>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/hex.hpp"
#include "compare.hpp"
#include "version_comparison.hpp"
#include "dtls_script.hpp"
#include "protocol.hpp"
#include "replay.hpp"
#include "scenario.hpp"
#include "session_keys.hpp"
#include "wire.hpp"

using namespace closenotify;
using namespace closenotify::diff;

namespace {

scenario parse_one(std::string_view text) {
  auto r = parse_scenarios(text, "t.scn");
  if (auto* e = std::get_if<tools::error>(&r)) FAIL(e->message);
  auto v = std::get<std::vector<scenario>>(r);
  REQUIRE(v.size() == 1);
  return v[0];
}

std::string parse_failure(std::string_view text) {
  auto r = parse_scenarios(text, "t.scn");
  auto* e = std::get_if<tools::error>(&r);
  REQUIRE(e != nullptr);
  return e->message;
}

constexpr std::string_view kClean =
    "family clean: clean shutdown\n"
    "scenario first\n"
    "  cite 004 DESCRIPTION: \"returns 0\"\n"
    "  A shutdown\n"
    "  B read\n"
    "  B shutdown\n"
    "  A shutdown\n";

run_result run_with(std::vector<std::pair<std::string, std::string>> a_fields) {
  run_result r;
  observation o;
  o.step = 0;
  o.side = side_id::a;
  o.command = "shutdown";
  for (auto& [k, v] : a_fields) o.fields[k] = v;
  r.steps.push_back(o);
  return r;
}

}  // namespace

TEST_SUITE("protocol") {
  TEST_CASE("a done line: key=value fields, and reason takes the rest of the line") {
    auto m = parse_message("done call=read ret=-1 err=SSL flags=0 data=- wire=15 reason=unexpected eof while reading\n");
    CHECK(m.kind == message_kind::done);
    CHECK(m.field("call") == "read");
    CHECK(m.number("ret") == -1);
    CHECK(m.field("err") == "SSL");
    CHECK(m.reason == "unexpected eof while reading");
    CHECK(m.field("absent", "x") == "x");
  }

  TEST_CASE("an empty reason is empty, not missing") {
    auto m = parse_message("done call=shutdown ret=0 reason=");
    CHECK(m.kind == message_kind::done);
    CHECK(m.reason.empty());
    CHECK(m.number("ret", 7) == 0);
  }

  TEST_CASE("blocked notices carry the byte counts the stuck rule needs") {
    auto m = parse_message("blocked read rx=649 tx=309");
    CHECK(m.kind == message_kind::blocked);
    CHECK_FALSE(m.blocked_on_write());
    CHECK(m.number("rx") == 649);
    CHECK(m.number("tx") == 309);
    CHECK(parse_message("blocked write rx=1 tx=2").blocked_on_write());
  }

  TEST_CASE("a line that is not protocol becomes an error carrying the line") {
    auto m = parse_message("Segmentation fault");
    CHECK(m.kind == message_kind::error);
    CHECK(m.text.find("Segmentation fault") != std::string::npos);
    CHECK(parse_message("error fd closed").text == "fd closed");
  }

  TEST_CASE("a non-number field is not read as a number") {
    auto m = parse_message("ok rx=12x tx=");
    CHECK(m.number("rx", -1) == -1);
    CHECK(m.number("tx", -1) == -1);
  }
}

TEST_SUITE("scenario") {
  TEST_CASE("a scenario: family, cite and steps for both sides") {
    auto s = parse_one(kClean);
    CHECK(s.name == "first");
    CHECK(s.family == "clean");
    CHECK(s.family_title == "clean shutdown");
    REQUIRE(s.steps.size() == 4);
    CHECK(s.steps[0].side == side_id::a);
    CHECK(s.steps[1].command == "read 16384");  // a bare read gets OpenSSL's usual buffer
    CHECK(s.steps[2].side == side_id::b);
    CHECK(s.steps[3].line == 7);
    CHECK(s.cites.size() == 1);
  }

  TEST_CASE("a scenario must cite the sentence or clause it exercises") {
    CHECK(parse_failure("family f: t\nscenario s\n  A shutdown\n").find("cites nothing") != std::string::npos);
  }

  TEST_CASE("errors name the file and line") {
    auto e = parse_failure("family f: t\nscenario s\n  cite x\n  A shutdwn\n");
    CHECK(e.find("t.scn:4:") == 0);
    CHECK(e.find("unknown call 'shutdwn'") != std::string::npos);
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  A read 0\n").find("t.scn:4") == 0);
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  C shutdown\n").find("unknown keyword 'C'") !=
          std::string::npos);
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  only tls1.4: no\n  A shutdown\n")
              .find("unknown condition") != std::string::npos);
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  only tls1.3\n  A shutdown\n").find("reason") !=
          std::string::npos);
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  A inject alert 0g\n").find("not hex") !=
          std::string::npos);
  }

  TEST_CASE("only: kinds combine, alternatives of one kind do not") {
    auto s = parse_one("family f: t\nscenario s\n  cite x\n  only tls1.3, nonblocking: why\n  A shutdown\n");
    cell c{"TLS_AES_128_GCM_SHA256", true, true, false};
    CHECK_FALSE(skip_reason(s, c).has_value());
    c.blocking = true;
    REQUIRE(skip_reason(s, c).has_value());
    CHECK(*skip_reason(s, c) == "only tls1.3, nonblocking: why");
    c.blocking = false;
    c.tls13 = false;
    CHECK(skip_reason(s, c).has_value());
    auto both = parse_one("family f: t\nscenario s\n  cite x\n  only client, server: any role\n  A shutdown\n");
    c.a_is_client = false;
    CHECK_FALSE(skip_reason(both, c).has_value());
  }

  TEST_CASE("conditions: tls1.2 is not dtls1.2, and tls means both stream protocols") {
    cell tls12{"ECDHE-ECDSA-AES128-GCM-SHA256", false, true, true};
    cell dtls{"ECDHE-ECDSA-AES128-GCM-SHA256", false, true, true, true};
    cell tls13{"TLS_AES_128_GCM_SHA256", true, true, true};
    auto only12 = parse_one("family f: t\nscenario s\n  cite x\n  only tls1.2: why\n  A shutdown\n");
    CHECK_FALSE(skip_reason(only12, tls12).has_value());
    CHECK(skip_reason(only12, dtls).has_value());
    auto stream = parse_one("family f: t\nscenario s\n  cite x\n  only tls: why\n  A shutdown\n");
    CHECK_FALSE(skip_reason(stream, tls12).has_value());
    CHECK_FALSE(skip_reason(stream, tls13).has_value());
    CHECK(skip_reason(stream, dtls) == "only tls: why");
    auto datagrams = parse_one("family f: t\nscenario s\n  cite x\n  only dtls1.2: why\n  A shutdown\n");
    CHECK_FALSE(skip_reason(datagrams, dtls).has_value());
    CHECK(skip_reason(datagrams, tls12).has_value());
    CHECK(protocol_name(protocol_of(dtls)) == "dtls1.2");
    CHECK(suite_label(dtls) == "dtls1.2:ECDHE-ECDSA-AES128-GCM-SHA256");
    CHECK(suite_label(tls12) == "ECDHE-ECDSA-AES128-GCM-SHA256");
  }

  TEST_CASE("a DTLS cell skips a scenario with a stream's step, naming the step; one naming dtls1.2 keeps it") {
    cell dtls{"ECDHE-ECDSA-AES128-GCM-SHA256", false, true, true, true};
    for (const char* st : {"A close", "B shutdown_write", "A raw 1503030002", "A set ignore_unexpected_eof",
                           "B write 16385", "B write_all 1000000", "B inject handshake 00000000"}) {
      CAPTURE(st);
      auto s = parse_one(std::string("family f: t\nscenario s\n  cite x\n  ") + st + "\n");
      auto why = skip_reason(s, dtls);
      REQUIRE(why.has_value());
      CHECK(why->find("only tls (") == 0);
      CHECK_FALSE(skip_reason(s, cell{"ECDHE-ECDSA-AES128-GCM-SHA256", false, true, true}).has_value());
    }
    auto fits = parse_one("family f: t\nscenario s\n  cite x\n  B write 16384\n  A inject alert 0100\n");
    CHECK_FALSE(skip_reason(fits, dtls).has_value());
    auto chosen = parse_one("family f: t\nscenario s\n  cite x\n  only dtls1.2: why\n  B close\n");
    CHECK_FALSE(skip_reason(chosen, dtls).has_value());
  }

  TEST_CASE("datagram faults and DTLS header fields need only dtls1.2") {
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  B datagram drop\n").find("t.scn:4: ") == 0);
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  only tls1.2, dtls1.2: both\n  B datagram drop\n")
              .find("only dtls1.2") != std::string::npos);
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  B inject alert 0100 seq 3\n").find("only dtls1.2") !=
          std::string::npos);
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  only dtls1.2: y\n  B inject alert 0100 seq 281474976710656\n")
              .find("'seq' takes a number") != std::string::npos);
    auto s = parse_one("family f: t\nscenario s\n  cite x\n  only dtls1.2: y\n  A datagram truncate 13 2\n"
                       "  B datagram replay\n  A inject alert 0100 epoch 0 seq 9\n");
    auto t = std::get<datagram_fault>(parse_datagram_fault(s.steps[0].command));
    CHECK(t.what == datagram_fault::kind::truncate);
    CHECK(t.length == 13);
    CHECK(t.index == 2);
    auto r = std::get<datagram_fault>(parse_datagram_fault(s.steps[1].command));
    CHECK(r.what == datagram_fault::kind::replay);
    CHECK(r.index == 1);
    auto in = std::get<injection>(parse_injection(s.steps[2].command));
    CHECK(in.epoch == 0);
    CHECK(in.sequence_number == 9u);
    CHECK(in.sequence_offset == 0);
  }

  TEST_CASE("seq +K and seq -K are relative to the number a plain inject takes") {
    auto s = parse_one("family f: t\nscenario s\n  cite x\n  only dtls1.2: y\n  B inject alert 0100 seq +3\n"
                       "  B inject 23 00 epoch 2 seq -1\n");
    auto plus = std::get<injection>(parse_injection(s.steps[0].command));
    CHECK_FALSE(plus.sequence_number.has_value());
    CHECK(plus.sequence_offset == 3);
    auto minus = std::get<injection>(parse_injection(s.steps[1].command));
    CHECK(minus.sequence_offset == -1);
    CHECK(minus.epoch == 2);
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  only dtls1.2: y\n  B inject alert 0100 seq +x\n")
              .find("+K or -K") != std::string::npos);
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  only dtls1.2: y\n  B inject alert 0100 epoch +1\n")
              .find("'epoch' takes a number") != std::string::npos);
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  B inject alert 0100 seq -2\n").find("only dtls1.2") !=
          std::string::npos);
  }

  TEST_CASE("declared divergences name side.field") {
    auto s = parse_one("family f: t\nscenario s\n  cite x\n  divergence B: A.sent B.recv\n  A shutdown\n");
    REQUIRE(s.divergences.size() == 1);
    CHECK(s.divergences[0].id == "B");
    CHECK(s.divergences[0].fields == std::vector<std::string>{"A.sent", "B.recv"});
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  divergence B: sent\n  A shutdown\n")
              .find("A.ret or B.sent") != std::string::npos);
  }

  TEST_CASE("the catalogue in the source tree parses, names are unique, and it is large enough") {
    auto r = load_scenarios(CLOSENOTIFY_SOURCE_ROOT "/tests/scenarios");
    if (auto* e = std::get_if<tools::error>(&r)) FAIL(e->message);
    const auto& all = std::get<std::vector<scenario>>(r);
    // Issue 5: at least 60 scenarios, so at least 60 x 24 = 1440 cases.
    CHECK(all.size() >= 60);
    std::set<std::string> families;
    for (const auto& s : all) families.insert(s.family);
    CHECK(families.size() >= 10);
  }
}

TEST_SUITE("wire") {
  TEST_CASE("a record sealed as a side's next one decodes to its plaintext, and the decoder follows a KeyUpdate") {
    session_keys k;
    k.suite = find_cipher_suite("TLS_AES_128_GCM_SHA256");
    k.local_role = role::server;
    k.client_secret.assign(32, 0x11);
    k.server_secret.assign(32, 0x22);
    k.write_sequence = 2;
    auto d = wire_decoder::create(k, role::server);
    REQUIRE(std::holds_alternative<wire_decoder>(d));
    auto& dec = std::get<wire_decoder>(d);
    const std::uint8_t close_notify[] = {1, 0};
    auto sealed = dec.seal_next(21, close_notify, 0);
    REQUIRE(std::holds_alternative<std::vector<std::uint8_t>>(sealed));
    auto bytes = std::get<std::vector<std::uint8_t>>(sealed);
    // Fed in two pieces: a partial record is held back, not mis-decoded.
    auto first = dec.feed(bytes_view{bytes}.first(7));
    CHECK(first.empty());
    CHECK(dec.partial() == 7);
    auto rest = dec.feed(bytes_view{bytes}.subspan(7));
    REQUIRE(rest.size() == 1);
    CHECK(rest[0] == "alert(warning close_notify)");

    const std::uint8_t key_update[] = {24, 0, 0, 1, 0};
    auto ku = std::get<std::vector<std::uint8_t>>(dec.seal_next(22, key_update, 0));
    CHECK(dec.feed(ku) == std::vector<std::string>{"handshake(key_update update_not_requested)"});
    // The next record is under application_traffic_secret_1: sealing as the next one
    // and decoding agree only if both moved.
    const std::uint8_t hello[] = {'h', 'i'};
    auto after = std::get<std::vector<std::uint8_t>>(dec.seal_next(23, hello, 0));
    CHECK(dec.feed(after) == std::vector<std::string>{"application_data(2: 6869)"});
  }

  TEST_CASE("bytes that do not open are shown as such, and the decoder carries on") {
    session_keys k;
    k.suite = find_cipher_suite("ECDHE-ECDSA-AES128-GCM-SHA256");
    k.local_role = role::client;
    k.master.assign(48, 0x33);
    k.client_random.assign(32, 0x44);
    k.server_random.assign(32, 0x55);
    k.write_sequence = 1;
    auto dec = std::get<wire_decoder>(wire_decoder::create(k, role::client));
    const std::uint8_t plaintext_alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00};
    auto out = dec.feed(plaintext_alert);
    REQUIRE(out.size() == 1);
    CHECK(out[0].find("unopened(type 21, version 0303") == 0);
    const std::uint8_t data[] = {1, 2, 3};
    auto sealed = std::get<std::vector<std::uint8_t>>(dec.seal_next(23, data, 0));
    CHECK(dec.feed(sealed) == std::vector<std::string>{"application_data(3: 010203)"});
  }

  TEST_CASE("DTLS records open by their own epoch and sequence number; an injection takes the next unused one") {
    session_keys k;
    k.suite = find_dtls12_cipher_suite("ECDHE-ECDSA-CHACHA20-POLY1305");
    k.dtls = true;
    k.epoch = 1;
    k.local_role = role::client;
    k.master.assign(48, 0x33);
    k.client_random.assign(32, 0x44);
    k.server_random.assign(32, 0x55);
    k.write_sequence = 5;
    auto dec = std::get<wire_decoder>(wire_decoder::create(k, role::client));
    REQUIRE(dec.is_dtls());
    const std::uint8_t close_notify[] = {1, 0};
    auto first = std::get<std::vector<std::uint8_t>>(dec.seal_next(21, close_notify, 0));
    REQUIRE(first.size() == 13 + 2 + 16);
    CHECK(first[4] == 1);   // epoch 1
    CHECK(first[10] == 5);  // the hand-off's next sequence number
    CHECK(dec.feed(first) == std::vector<std::string>{"alert(warning close_notify)"});
    auto second = std::get<std::vector<std::uint8_t>>(dec.seal_next(21, close_notify, 0));
    CHECK(second[10] == 6);  // the fed record used 5
    // Another epoch's header no longer opens under epoch 1's additional data; epoch 0 is
    // the unprotected handshake epoch.
    auto other = std::get<std::vector<std::uint8_t>>(dec.seal_next(21, close_notify, 0, 2, std::uint64_t{9}));
    auto shown = dec.describe_datagram(other);
    CHECK(shown == "unopened(type 21, version fefd, epoch 2, seq 9, length 18)");
    auto plain = std::get<std::vector<std::uint8_t>>(dec.seal_next(21, close_notify, 0, 0, std::nullopt));
    CHECK(dec.describe_datagram(plain) == "epoch 0 alert(warning close_notify)");
    // seq +K / -K: from the number a plain inject takes (6), inside the 48-bit space only.
    auto ahead = std::get<std::vector<std::uint8_t>>(dec.seal_next(21, close_notify, 0, std::nullopt, std::nullopt, 3));
    CHECK(ahead[10] == 9);
    auto behind = std::get<std::vector<std::uint8_t>>(dec.seal_next(21, close_notify, 0, std::nullopt, std::nullopt, -6));
    CHECK(behind[10] == 0);
    CHECK(std::holds_alternative<tools::error>(dec.seal_next(21, close_notify, 0, std::nullopt, std::nullopt, -7)));
    // Two records in one datagram, and a cut one.
    std::vector<std::uint8_t> two(first);
    two.insert(two.end(), second.begin(), second.end());
    CHECK(dec.describe_datagram(two) == "alert(warning close_notify); alert(warning close_notify)");
    CHECK(dec.describe_datagram(bytes_view{first}.first(20)) == "(partial record, 20 bytes)");
  }

  TEST_CASE("DTLS handshake messages are read with DTLS's 12-byte header, message_seq and fragment shown") {
    session_keys k;
    k.suite = find_dtls12_cipher_suite("ECDHE-ECDSA-AES128-GCM-SHA256");
    k.dtls = true;
    k.epoch = 1;
    k.local_role = role::server;
    k.master.assign(48, 0x33);
    k.client_random.assign(32, 0x44);
    k.server_random.assign(32, 0x55);
    auto dec = std::get<wire_decoder>(wire_decoder::create(k, role::server));
    auto shown = [&](std::vector<std::uint8_t> plaintext) {
      auto sealed = std::get<std::vector<std::uint8_t>>(dec.seal_next(22, plaintext, 0));
      return dec.feed(sealed);
    };
    // Twelve zero bytes: one HelloRequest with message_seq 0 (TLS's 4-byte header would
    // have read three).
    CHECK(shown(std::vector<std::uint8_t>(12, 0)) == std::vector<std::string>{"handshake(hello_request seq 0)"});
    // A Finished fragment: 12 bytes of a message of 12, at offset 0, message_seq 5; then a
    // ClientHello's first 2 bytes of 40, at offset 0, message_seq 1.
    CHECK(shown({20, 0, 0, 12, 0, 5, 0, 0, 0, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 0, 0, 40, 0, 1, 0, 0, 0,
                 0, 0, 2, 0xaa, 0xbb}) ==
          std::vector<std::string>{"handshake(finished seq 5, client_hello seq 1 fragment 0+2 of 40)"});
    // Fewer bytes than a header.
    CHECK(shown({0, 0, 0, 0}) == std::vector<std::string>{"handshake(fragment 4: 00000000)"});
  }

  TEST_CASE("long application data compares as a length and a digest") {
    std::vector<std::uint8_t> a(1000, 7), b(1000, 7);
    CHECK(describe_bytes(a) == describe_bytes(b));
    b[999] = 8;
    CHECK(describe_bytes(a) != describe_bytes(b));
    CHECK(describe_bytes(a).find("1000: fnv ") == 0);
  }
}

TEST_SUITE("compare") {
  TEST_CASE("equal observations agree") {
    auto s = parse_one(kClean);
    auto r = run_with({{"ret", "0"}, {"err", "SYSCALL"}});
    auto c = compare(s, r, r, {"A"});
    CHECK(c.result == verdict::agree);
    CHECK(c.differences.empty());
  }

  TEST_CASE("a deliberately wrong closenotify (first SSL_shutdown returns 1) is an undocumented divergence") {
    auto s = parse_one(kClean);
    auto openssl = run_with({{"ret", "0"}, {"err", "SYSCALL"}, {"flags", "1"}});
    auto wrong = run_with({{"ret", "1"}, {"err", "NONE"}, {"flags", "1"}});
    auto c = compare(s, openssl, wrong, {"A", "B"});
    CHECK(c.result == verdict::diverge_undocumented);
    REQUIRE(c.differences.size() == 2);
    CHECK(c.differences[0].field == "ret");
    CHECK(c.differences[0].reference == "0");
    CHECK(c.differences[0].candidate == "1");
    CHECK_FALSE(c.differences[0].tolerated);
  }

  TEST_CASE("a difference in a declared, documented field is a documented divergence") {
    auto s = parse_one("family f: t\nscenario s\n  cite x\n  divergence B: A.ret A.err\n  A shutdown\n");
    auto c = compare(s, run_with({{"ret", "0"}, {"err", "SYSCALL"}}), run_with({{"ret", "1"}, {"err", "NONE"}}),
                     {"A", "B"});
    CHECK(c.result == verdict::diverge_documented);
    CHECK(c.divergences == std::vector<std::string>{"B"});
  }

  TEST_CASE("a divergence declared in some cells is documented there and undocumented elsewhere") {
    auto s = parse_one("family f: t\nscenario s\n  cite x\n  divergence B in dtls1.2: A.ret\n  A shutdown\n");
    REQUIRE(s.divergences.size() == 1);
    CHECK(s.divergences[0].conditions == std::vector<std::string>{"dtls1.2"});
    const cell dtls{"ECDHE-ECDSA-AES128-GCM-SHA256", false, true, true, true};
    const cell tls12{"ECDHE-ECDSA-AES128-GCM-SHA256", false, true, true};
    auto a = run_with({{"ret", "0"}}), b = run_with({{"ret", "1"}});
    CHECK(compare(s, a, b, {"B"}, &dtls).result == verdict::diverge_documented);
    CHECK(compare(s, a, b, {"B"}, &tls12).result == verdict::diverge_undocumented);
    CHECK(parse_failure("family f: t\nscenario s\n  cite x\n  divergence B in udp: A.ret\n  A shutdown\n")
              .find("unknown condition 'udp'") != std::string::npos);
  }

  TEST_CASE("a declared divergence does not excuse differences in other fields") {
    auto s = parse_one("family f: t\nscenario s\n  cite x\n  divergence B: A.ret\n  A shutdown\n");
    auto c = compare(s, run_with({{"ret", "0"}, {"flags", "1"}}), run_with({{"ret", "1"}, {"flags", "3"}}), {"B"});
    CHECK(c.result == verdict::diverge_undocumented);
  }

  TEST_CASE("a divergence the docs do not document is an error, whatever the runs saw") {
    auto s = parse_one("family f: t\nscenario s\n  cite x\n  divergence Z: A.ret\n  A shutdown\n");
    auto r = run_with({{"ret", "0"}});
    auto c = compare(s, r, r, {"A", "B"});
    CHECK(c.result == verdict::error);
    CHECK(c.note.find("Z") != std::string::npos);
  }

  TEST_CASE("a run that could not be carried out is an error, not an agreement") {
    auto s = parse_one(kClean);
    auto ok = run_with({{"ret", "0"}});
    auto broken = ok;
    broken.harness_error = "side A is gone";
    CHECK(compare(s, ok, broken, {}).result == verdict::error);
    CHECK(compare(s, broken, ok, {}).result == verdict::error);
  }

  TEST_CASE("the records a side put on the wire are compared as a whole too") {
    auto s = parse_one(kClean);
    auto a = run_with({{"ret", "0"}});
    auto b = a;
    a.wire_a = {"alert(warning close_notify)"};
    auto c = compare(s, a, b, {});
    CHECK(c.result == verdict::diverge_undocumented);
    REQUIRE(c.differences.size() == 1);
    CHECK(c.differences[0].field == "wire");
  }

  TEST_CASE("divergence ids are the first word of each line of the ids file") {
    auto ids = documented_divergences("# comment A\nA  One\n\n  B\tTwo\n#C not an entry\nH\n");
    CHECK(ids == std::set<std::string>{"A", "B", "H"});
  }
}

TEST_SUITE("compare_versions") {
  // steps_with: a run of kClean whose first steps observed these fields.
  run_result steps_with(const std::vector<std::map<std::string, std::string>>& fields) {
    run_result r;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      observation o;
      o.step = i;
      o.side = i == 0 ? side_id::a : side_id::b;
      o.fields = fields[i];
      r.steps.push_back(o);
    }
    return r;
  }

  TEST_CASE("a field is a difference when the releases that ran do not all agree on it") {
    auto s = parse_one(kClean);
    auto old = steps_with({{{"ret", "0"}, {"err", "SYSCALL"}}, {{"ret", "0"}}, {{"ret", "1"}}});
    auto mid = steps_with({{{"ret", "-1"}, {"err", "SSL"}}, {{"ret", "0"}}, {{"ret", "1"}}});
    auto d = version_differences(s, {&old, &mid, &mid});
    REQUIRE(d.size() == 2);
    CHECK(d[0].step == 0);
    CHECK(d[0].side == side_id::a);
    CHECK(d[0].command == "shutdown");
    CHECK(d[0].field == "ret");
    CHECK(d[0].values == std::vector<std::optional<std::string>>{"0", "-1", "-1"});
    CHECK(d[1].field == "err");
    CHECK(version_differences(s, {&mid, &mid, &mid}).empty());
    // A release that did not run the case has no value and is not compared.
    auto skipped = version_differences(s, {nullptr, &mid, &mid});
    CHECK(skipped.empty());
    auto one_ran = version_differences(s, {&old, nullptr, &mid});
    REQUIRE(one_ran.size() == 2);
    CHECK(one_ran[0].values == std::vector<std::optional<std::string>>{"0", std::nullopt, "-1"});
  }

  TEST_CASE("a side's record sequence is reported only where no step's sent shows the difference") {
    auto s = parse_one(kClean);
    auto a = steps_with({{{"sent", "-"}}, {}, {}});
    auto b = a;
    b.wire_a = {"alert(warning close_notify)"};
    auto d = version_differences(s, {&a, &b});
    REQUIRE(d.size() == 1);
    CHECK(d[0].step == std::string::npos);
    CHECK(d[0].field == "wire");
    b.steps[0].fields["sent"] = "alert(warning close_notify)";
    d = version_differences(s, {&a, &b});
    REQUIRE(d.size() == 1);
    CHECK(d[0].field == "sent");
  }

  TEST_CASE("cells are described by the groups they fill, relative to the cells a scenario ran in") {
    const std::vector<scenario> catalogue{parse_one(kClean)};
    auto all_cases = build_matrix(catalogue);
    std::vector<version_case> vcs(all_cases.size());
    std::vector<const version_case*> all, tls13, one_group, one;
    for (std::size_t i = 0; i < all_cases.size(); ++i) {
      vcs[i].def = all_cases[i];
      all.push_back(&vcs[i]);
      const auto& c = all_cases[i].c;
      if (c.tls13) tls13.push_back(&vcs[i]);
      if (!c.tls13 && !c.datagram && !c.a_is_client && !c.blocking) one_group.push_back(&vcs[i]);
    }
    one.push_back(all.front());
    CHECK(describe_cells(all, all) == "all 36 cells");
    CHECK(describe_cells(tls13, all) == "the TLS 1.3 cells (12)");
    CHECK(describe_cells(one_group, all) == "TLS 1.2 A=server nonblocking (3 suites)");
    CHECK(describe_cells(one, all) == "1 cell: TLS_AES_128_GCM_SHA256/client/blocking");
    CHECK(describe_cells(one, one) == "its one cell");
  }

  TEST_CASE("--cells keeps the cells asked for, else a scenario's first cell it applies to") {
    auto anywhere = parse_one(kClean);
    auto tls12_only = parse_one("family f: t\nscenario late\n  cite x\n  only tls1.2: why\n  A shutdown\n");
    std::vector<scenario> both{anywhere, tls12_only};
    auto picked = in_cells(build_matrix(both), {"TLS_AES_128_GCM_SHA256/client/nonblocking",
                                                "TLS_AES_128_GCM_SHA256/server/blocking"});
    REQUIRE(picked.size() == 3);
    CHECK(picked[0].id == "first/TLS_AES_128_GCM_SHA256/client/nonblocking");
    CHECK(picked[1].id == "first/TLS_AES_128_GCM_SHA256/server/blocking");
    CHECK(picked[2].id == "late/ECDHE-ECDSA-AES128-GCM-SHA256/client/blocking");
  }
}

TEST_SUITE("replay") {
  TEST_CASE("a fuzz_dtls_endpoint script becomes a DTLS case: harness numbers relative to B's, dropped modes named") {
    using namespace closenotify::fuzz;
    using namespace closenotify::fuzz::dtls;
    auto rec = [](std::uint8_t type, std::vector<std::uint8_t> data, seq_mode m, std::uint8_t k) {
      return event{event_kind::peer_record, type, encode_record_choice({m, k, false}), std::move(data)};
    };
    script sc;
    sc.config.suite = 0;
    sc.events = {
        rec(23, {0x68, 0x69}, seq_mode::next, 2),  // the harness's 3: two lost
        rec(21, {1, 0}, seq_mode::bad_tag, 0),     // 4, never sent: the runner's next stays 4
        event{event_kind::peer_alert, 0, 1, {}},   // 5
        rec(23, {0x78}, seq_mode::other_epoch, 1), // epoch 2 at 6, which moves neither
        rec(23, {0x6f}, seq_mode::old, 0),         // 5 again: a replay
        event{event_kind::peer_eof, 0, 0, {}},
        event{event_kind::call_read, 0, 100, {}},
        event{event_kind::peer_reset, 0, 0, {}},
        event{event_kind::call_key_update, 0, 1, {}},
    };
    const auto rc = dtls_script_to_case(sc, "in", profile_id::openssl_3_0);
    CHECK(rc.c.datagram);
    CHECK_FALSE(rc.c.blocking);
    CHECK(rc.c.a_is_client);
    CHECK(suite_label(rc.c) == "dtls1.2:" + std::string(suite_of(sc.config).name));
    std::vector<std::string> steps;
    for (const auto& st : rc.s.steps) steps.push_back(std::string(1, side_letter(st.side)) + " " + st.command);
    CHECK(steps == std::vector<std::string>{"A set no_renegotiation", "B inject 23 6869 seq +2",
                                            "B inject alert 0100 seq +1", "B inject 23 78 epoch 2",
                                            "B inject 23 6f seq -1", "B raw -", "A read 100",
                                            "A key_update requested"});
    REQUIRE(rc.dropped.size() == 2);
    CHECK(rc.dropped[0].find("seq bad_tag") != std::string::npos);
    CHECK(rc.dropped[1].find("read_error") == 0);
    CHECK_FALSE(skip_reason(rc.s, rc.c).has_value());

    // The catalogue text parses back to the same steps, in the one cell it ran in.
    const auto text = to_scn(rc, "test");
    CHECK(text.find("  only dtls1.2, nonblocking, client: ") != std::string::npos);
    auto back = parse_one(text);
    REQUIRE(back.steps.size() == rc.s.steps.size());
    for (std::size_t i = 0; i < back.steps.size(); ++i) CHECK(back.steps[i].command == rc.s.steps[i].command);
    CHECK_FALSE(skip_reason(back, rc.c).has_value());
  }

  TEST_CASE("a raw datagram's epoch-1 headers move B's next number, as the runner's decoder counts them") {
    using namespace closenotify::fuzz;
    script sc;
    sc.config.server = true;
    // One record header of epoch 1, sequence number 9, with its 3 bytes.
    const std::vector<std::uint8_t> raw = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 3, 1, 2, 3};
    sc.events = {event{event_kind::peer_raw, 0, 0, raw}, event{event_kind::peer_alert, 0, 1, {}}};
    sc.config.read_ahead = true;  // the hand-over bit: dropped
    const auto rc = dtls_script_to_case(sc, "in", profile_id::openssl_3_0);
    REQUIRE(rc.s.steps.size() == 3);
    CHECK(rc.s.steps[1].command == "raw " + to_hex(raw));
    CHECK(rc.s.steps[2].command == "inject alert 0100 seq -9");  // the harness's 1; the runner's 10
    REQUIRE(rc.dropped.size() == 1);
    CHECK(rc.dropped[0].find("handed over") != std::string::npos);
    CHECK_FALSE(rc.c.a_is_client);
  }
}
