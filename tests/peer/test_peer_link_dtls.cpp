// test_peer_link_dtls.cpp — a DTLS 1.2 hand-off from a live OpenSSL peer to closenotify's
// endpoint, through tools/peer_link exactly as the runner does it: two pooled peers
// (spawn_peer) handshake over an AF_UNIX SOCK_DGRAM socketpair, side A hands off
// (keys_from_message), closenotify's endpoint takes A's socket (make_endpoint_side), and
// the OpenSSL peer B and the endpoint exchange records: application data both ways (the
// endpoint opens what OpenSSL sealed, OpenSSL opens what the endpoint sealed at the
// hand-off's epoch and wseq), a replay of a record OpenSSL had read before the hand-off
// (discarded by the window the hand-off carried, rwindow=), and both close_notify alerts.
//
// Run: test_peer_link_dtls PEER [PEER...]   (a PEER of `-` is a release not built: skipped)
// Exit 0 when every check passed, 77 when no peer was given, 1 otherwise.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "closenotify/cipher_suite.hpp"
#include "closenotify/hex.hpp"
#include "session_keys.hpp"
#include "side.hpp"

using namespace closenotify;
using namespace closenotify::diff;

namespace {

int passed = 0;
int failed = 0;

bool check(const std::string& name, bool ok, const std::string& detail = "") {
  std::printf("%s %s%s\n", ok ? "ok  " : "FAIL", name.c_str(), ok || detail.empty() ? "" : (": " + detail).c_str());
  (ok ? passed : failed) += 1;
  return ok;
}

// answer: the next message that is not `blocked`, or an error message after 20 s (a hang
// fails the check, not the test run).
message answer(side& s) {
  for (;;) {
    auto m = s.next(std::chrono::seconds(20));
    if (!m) {
      message timeout;
      timeout.text = "no answer within 20 s";
      return timeout;
    }
    if (m->kind != message_kind::blocked) return *m;
  }
}

message run(side& s, const std::string& command) {
  if (!s.send(command)) {
    message gone;
    gone.text = "side gone";
    return gone;
  }
  return answer(s);
}

std::string show(const message& m) { return format_message(m); }

std::string pattern_hex(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i % 251);
  return to_hex(v);
}

// epoch_one_records: each DTLS record of epoch 1 in `hs_wire` (RX:HEX/RX:HEX..., the
// handshake's writes; DTLS records delimit themselves: 13-byte header, length last).
std::vector<std::string> epoch_one_records(const std::string& hs_wire) {
  std::vector<std::string> out;
  std::string all;
  for (std::size_t i = 0; i < hs_wire.size();) {
    std::size_t colon = hs_wire.find(':', i);
    std::size_t slash = hs_wire.find('/', i);
    if (colon == std::string::npos) break;
    if (slash == std::string::npos) slash = hs_wire.size();
    all += hs_wire.substr(colon + 1, slash - colon - 1);
    i = slash + 1;
  }
  auto bytes = from_hex(all);
  if (!std::holds_alternative<std::vector<std::uint8_t>>(bytes)) return out;
  const auto& b = std::get<std::vector<std::uint8_t>>(bytes);
  for (std::size_t at = 0; at + 13 <= b.size();) {
    const std::size_t len = std::size_t{b[at + 11]} << 8 | b[at + 12];
    if (at + 13 + len > b.size()) break;
    const unsigned epoch = unsigned{b[at + 3]} << 8 | b[at + 4];
    if (epoch == 1) out.push_back(to_hex(bytes_view(b).subspan(at, 13 + len)));
    at += 13 + len;
  }
  return out;
}

void one_case(const std::string& peer, const std::string& suite, bool a_client) {
  const std::string t = "[" + peer.substr(peer.rfind('/') + 1) + " " + suite + " A=" + (a_client ? "client" : "server") + "]";
  int fds[2];
  if (!check(t + " SOCK_DGRAM socketpair", ::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) == 0)) return;
  auto pa = spawn_peer(peer, fds[0]);
  auto pb = spawn_peer(peer, fds[1]);
  ::close(fds[1]);  // B's peer holds its own copy
  if (!check(t + " both peers start", std::holds_alternative<std::unique_ptr<side>>(pa) &&
                                          std::holds_alternative<std::unique_ptr<side>>(pb))) {
    ::close(fds[0]);
    return;
  }
  side& a = *std::get<std::unique_ptr<side>>(pa);
  side& b = *std::get<std::unique_ptr<side>>(pb);
  const std::string common = " version=dtls1.2 suite=" + suite;
  a.send(std::string("handshake role=") + (a_client ? "client" : "server") + common);
  b.send(std::string("handshake role=") + (a_client ? "server" : "client") + common);
  const message ha = answer(a);
  const message hb = answer(b);
  if (!check(t + " both handshakes ok", ha.kind == message_kind::ok && hb.kind == message_kind::ok,
             show(ha) + " / " + show(hb))) {
    a.terminate(), b.terminate();
    ::close(fds[0]);
    return;
  }
  // One application record read by A's OpenSSL before the hand-off: A's window then holds
  // the Finished (0) and this record (1), and the record is kept to be replayed later.
  message m = run(b, "write 5");
  const std::string before_handoff = m.field("wire");
  m = run(a, "read 100");
  check(t + " A's OpenSSL reads a record before the hand-off", m.field("data") == pattern_hex(5), show(m));
  const message ho = run(a, "handoff");
  a.terminate();
  check(t + " A hands off: rwindow=1:0000000000000003 rseq=2 (the Finished and the record)",
        ho.kind == message_kind::ok && ho.field("version") == "dtls1.2" && ho.field("rwindow") == "1:0000000000000003" &&
            ho.field("rseq") == "2",
        show(ho));

  const role a_role = a_client ? role::client : role::server;
  auto ka = keys_from_message(ho, a_role);
  auto kb = keys_from_message(hb, a_client ? role::server : role::client);
  if (!check(t + " keys_from_message takes both hand-offs",
             std::holds_alternative<session_keys>(ka) && std::holds_alternative<session_keys>(kb),
             std::holds_alternative<config_error>(ka) ? std::get<config_error>(ka).message : "")) {
    b.terminate();
    ::close(fds[0]);
    return;
  }
  const session_keys& keys_a = std::get<session_keys>(ka);
  const session_keys& keys_b = std::get<session_keys>(kb);
  check(t + " the suite is the DTLS table's", keys_a.dtls && keys_a.suite == find_dtls12_cipher_suite(suite) &&
                                                   keys_a.suite->version == protocol_version::dtls12);
  check(t + " epoch 1 on both sides", keys_a.epoch == 1 && keys_b.epoch == 1);
  // At the handshake, each side's window holds exactly the records the other wrote in the
  // epoch (0 .. wseq - 1); A's has one more now, B's record 1 (B's handshake wseq).
  check(t + " A's rwindow: B's records 0..wseq",
        keys_a.read_window.max_sequence_number() == keys_b.write_sequence &&
            keys_a.read_window.map() == (std::uint64_t{1} << (keys_b.write_sequence + 1)) - 1 &&
            keys_a.read_sequence == keys_b.write_sequence + 1,
        show(ho) + " / " + show(hb));
  check(t + " B's rwindow: A's records 0..wseq-1",
        keys_b.read_window.max_sequence_number() + 1 == keys_a.write_sequence &&
            keys_b.read_window.map() == (std::uint64_t{1} << keys_a.write_sequence) - 1);

  auto ep = make_endpoint_side(fds[0], keys_a, mutation::none);
  if (!check(t + " make_endpoint_side", std::holds_alternative<std::unique_ptr<side>>(ep),
             std::holds_alternative<tools::error>(ep) ? std::get<tools::error>(ep).message : "")) {
    ::close(fds[0]);
    b.terminate();
    return;
  }
  side& e = *std::get<std::unique_ptr<side>>(ep);

  // A record A's OpenSSL read before the hand-off, again: a replay, silently discarded
  // because the window came with the hand-off (a fresh window would take it: sequence
  // number 1 is ahead of its 0); the next datagram is read.
  m = run(b, "raw " + before_handoff);
  check(t + " B re-sends the record A read before the hand-off, as one datagram", m.field("ret") == "0", show(m));
  // OpenSSL seals, closenotify opens.
  m = run(b, "write 6");
  check(t + " B write 6", m.field("ret") == "6", show(m));
  m = run(e, "read 100");
  check(t + " the endpoint discards the replay and reads B's next record",
        m.field("ret") == "6" && m.field("data") == pattern_hex(6) && m.field("recv") == "-", show(m));

  // closenotify seals at the hand-off's epoch and wseq, OpenSSL opens.
  m = run(e, "write 7");
  const std::string wire = m.field("wire");
  check(t + " the endpoint writes epoch 1, sequence number wseq",
        m.field("ret") == "7" && wire.size() > 26 && wire.substr(0, 6) == "17fefd" && wire.substr(6, 4) == "0001" &&
            std::stoull(wire.substr(10, 12), nullptr, 16) == keys_a.write_sequence,
        show(m));
  m = run(b, "read 100");
  check(t + " B opens the endpoint's record", m.field("ret") == "7" && m.field("data") == pattern_hex(7), show(m));

  // B's Finished (epoch 1, sequence number 0), which A's OpenSSL read in the handshake:
  // as old as the window's left edge allows, and received: discarded too.
  const auto finished = epoch_one_records(hb.field("hs_wire"));
  if (check(t + " B's handshake wrote a record of epoch 1", !finished.empty(), hb.field("hs_wire"))) {
    m = run(b, "raw " + finished.back());
    check(t + " B re-sends it as one datagram", m.field("ret") == "0", show(m));
    m = run(b, "write 3");
    m = run(e, "read 100");
    check(t + " the endpoint discards the replayed Finished and reads the next datagram",
          m.field("ret") == "3" && m.field("data") == pattern_hex(3) && m.field("recv") == "-", show(m));
  }

  // Both close_notify alerts.
  m = run(b, "shutdown");
  check(t + " B shutdown: ret=0", m.field("ret") == "0" && m.field("flags") == "1", show(m));
  m = run(e, "read 100");
  check(t + " the endpoint reads B's close_notify: ZERO_RETURN recv=0100",
        m.field("ret") == "0" && m.field("err") == "ZERO_RETURN" && m.field("recv") == "0100", show(m));
  m = run(e, "shutdown");
  check(t + " the endpoint's shutdown: ret=1", m.field("ret") == "1" && m.field("flags") == "3", show(m));
  m = run(b, "read 100");
  check(t + " B reads the endpoint's close_notify: ZERO_RETURN recv=0100",
        m.field("ret") == "0" && m.field("err") == "ZERO_RETURN" && m.field("recv") == "0100", show(m));
  e.terminate();
  b.terminate();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> peers;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "-") {
      std::printf("skip a peer that is not built (tools/peer/meson.build says how to build it)\n");
      continue;
    }
    peers.emplace_back(argv[i]);
  }
  if (peers.empty()) {
    std::printf("SKIP no peer given\n");
    return 77;
  }
  for (const auto& peer : peers) {
    for (const auto& s : dtls12_cipher_suites()) {
      one_case(peer, std::string(s.name), true);
      one_case(peer, std::string(s.name), false);
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
