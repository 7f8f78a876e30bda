// seed_corpus.cpp — closenotify-seeds: writes every fuzz target's seed corpus, built from
// real records: what closenotify's record layer seals under the fixed keys for each of
// the six suites (the same bytes the differential matrix checks against OpenSSL 3.0), the
// alerts of RFC 8446 §6 / RFC 5246 §7.2, key logs in the format OpenSSL's callback writes,
// and event scripts for the teardown flows of the scenario catalogue.
//
//   closenotify-seeds OUTDIR      writes OUTDIR/<target>/<name> for each target
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "closenotify/alert.hpp"
#include "closenotify/cipher_suite.hpp"
#include "closenotify/keylog.hpp"
#include "closenotify/post_handshake.hpp"
#include "dtls_script.hpp"
#include "event_script.hpp"
#include "fixed_keys.hpp"

using namespace closenotify;
using namespace closenotify::fuzz;
namespace fs = std::filesystem;

namespace {

using bytes = std::vector<std::uint8_t>;

struct writer {
  fs::path dir;
  std::size_t count = 0;
  void put(const std::string& name, const bytes& b) {
    std::ofstream(dir / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    ++count;
  }
};

bytes text(std::string_view s) { return bytes(s.begin(), s.end()); }

bytes seal(record_protection& p, std::uint8_t type, const bytes& plaintext, std::size_t padding = 0) {
  bytes out(max_record_size);
  auto r = p.seal_hostile(type, plaintext, out, padding);
  if (!std::holds_alternative<std::size_t>(r)) return {};
  out.resize(std::get<std::size_t>(r));
  return out;
}

std::string suite_tag(const cipher_suite& s) { return std::string(s.name); }

void alert_seeds(writer& w) {
  for (std::uint8_t v = 0; v < 2; ++v) {
    for (auto d : known_alert_descriptions()) {
      for (std::uint8_t level : {1, 2}) {
        w.put(std::string(v ? "tls12-" : "tls13-") + (level == 1 ? "warning-" : "fatal-") +
                  std::string(to_string(d)),
              {v, level, static_cast<std::uint8_t>(d)});
      }
    }
    w.put(std::string(v ? "tls12" : "tls13") + "-unknown-level", {v, 3, 0});
    w.put(std::string(v ? "tls12" : "tls13") + "-one-byte", {v, 1});
    w.put(std::string(v ? "tls12" : "tls13") + "-three-bytes", {v, 1, 0, 0});
    w.put(std::string(v ? "tls12" : "tls13") + "-empty", {v});
  }
}

// A stream of real records: data, a KeyUpdate (TLS 1.3), an empty record, close_notify.
bytes record_stream(const cipher_suite& s) {
  auto p = protection_for(s, role::server);
  bytes stream;
  auto add = [&](const bytes& r) { stream.insert(stream.end(), r.begin(), r.end()); };
  add(seal(p, 23, text("GET / HTTP/1.0\r\n\r\n")));
  add(seal(p, 23, {}));
  if (s.version == protocol_version::tls13) {
    auto ku = encode_key_update(key_update_request::update_not_requested);
    add(seal(p, 22, bytes(ku.begin(), ku.end())));
    (void)p.key_update();
  }
  add(seal(p, 21, {1, 0}));
  return stream;
}

void framing_seeds(writer& w) {
  for (const auto* s : matrix_cipher_suites()) {
    const std::uint8_t v = s->version == protocol_version::tls12 ? 1 : 0;
    auto stream = record_stream(*s);
    for (std::uint8_t pattern : {0, 2, 3, 40}) {
      bytes b{static_cast<std::uint8_t>(v | (pattern << 1))};
      b.insert(b.end(), stream.begin(), stream.end());
      w.put(suite_tag(*s) + "-stream-split" + std::to_string(pattern), b);
    }
    // A header claiming one byte over the limit, and a header alone.
    const std::size_t over = max_ciphertext_length(s->version) + 1;
    w.put(suite_tag(*s) + "-oversized", {v, 23, 3, 3, static_cast<std::uint8_t>(over >> 8),
                                         static_cast<std::uint8_t>(over)});
    w.put(suite_tag(*s) + "-header-only", {v, 23, 3, 3, 0, 32});
  }
}

void open_seeds(writer& w) {
  for (const auto* s : matrix_cipher_suites()) {
    const std::uint8_t idx = suite_index(*s);
    const bool tls13 = s->version == protocol_version::tls13;
    struct rec { const char* name; std::uint8_t type; bytes plaintext; std::uint8_t pad; };
    const rec recs[] = {
        {"close-notify", 21, {1, 0}, 0},
        {"fatal-close-notify", 21, {2, 0}, 0},
        {"data", 23, text("hello"), 0},
        {"empty-data", 23, {}, 0},
        {"padded-close-notify", 21, {1, 0}, 32},
        {"padding-only", 0, {}, 16},
        {"key-update", 22, {24, 0, 0, 1, 1}, 0},
        {"ccs", 20, {1}, 0},
        {"unknown-type", 25, {1, 2}, 0},
        {"max-data", 23, bytes(16384, 0x61), 0},
        {"overflow-data", 23, bytes(16385, 0x62), 0},
    };
    for (const auto& r : recs) {
      if (r.pad && !tls13) continue;
      // sealed mode: the harness seals; corrupt=0 and one with a flipped tag byte.
      bytes b{idx, r.type, r.pad, 0, 0, 0};
      b.insert(b.end(), r.plaintext.begin(), r.plaintext.end());
      w.put(suite_tag(*s) + "-sealed-" + r.name, b);
      b[3] = 0xff; b[4] = 0xff; b[5] = 0x01;
      w.put(suite_tag(*s) + "-sealed-" + r.name + "-flipped", b);
      // raw mode: the real record bytes.
      auto p = protection_for(*s, role::server);
      auto sealed = seal(p, r.type, r.plaintext, r.pad);
      if (sealed.empty()) continue;
      bytes raw{static_cast<std::uint8_t>(idx | 8)};
      raw.insert(raw.end(), sealed.begin(), sealed.end());
      w.put(suite_tag(*s) + "-raw-" + r.name, raw);
    }
    bytes stream{static_cast<std::uint8_t>(idx | 8)};
    auto rs = record_stream(*s);
    stream.insert(stream.end(), rs.begin(), rs.end());
    w.put(suite_tag(*s) + "-raw-stream", stream);
  }
}

// DTLS 1.2: sealed-mode inputs, and datagrams of real records (several per datagram, a
// replay, a truncated tail, a record hidden in the body of one with the wrong version).
void dtls_record_seeds(writer& w) {
  const auto suites = dtls12_cipher_suites();
  for (std::uint8_t idx = 0; idx < suites.size(); ++idx) {
    const cipher_suite& s = suites[idx];
    struct rec { const char* name; std::uint8_t type; bytes plaintext; };
    const rec recs[] = {
        {"close-notify", 21, {1, 0}},
        {"data", 23, text("hello")},
        {"empty-data", 23, {}},
        {"handshake", 22, {0, 0, 0, 0}},
        {"max-data", 23, bytes(16384, 0x61)},
        {"overflow-data", 23, bytes(16385, 0x62)},
    };
    for (const auto& r : recs) {
      bytes b{idx, r.type, 1, 0, 0, 0};
      b.insert(b.end(), r.plaintext.begin(), r.plaintext.end());
      w.put(suite_tag(s) + "-sealed-" + r.name, b);
      b[3] = 0; b[4] = 2; b[5] = 0x01;  // the alert's minor version byte
      w.put(suite_tag(s) + "-sealed-" + r.name + "-version-flipped", b);
      b[3] = 0xff; b[4] = 0xff;  // a tag byte
      w.put(suite_tag(s) + "-sealed-" + r.name + "-flipped", b);
    }
    auto p = protection_for(s, role::server, 1);
    const bytes data = seal(p, 23, text("GET / HTTP/1.0\r\n\r\n"));
    const bytes close_notify = seal(p, 21, {1, 0});
    const std::uint8_t raw = static_cast<std::uint8_t>(idx | 4);
    auto datagram = [&](std::initializer_list<const bytes*> parts, std::size_t drop_tail = 0) {
      bytes d{raw};
      for (const bytes* part : parts) d.insert(d.end(), part->begin(), part->end());
      d.resize(d.size() - drop_tail);
      return d;
    };
    w.put(suite_tag(s) + "-raw-data-and-close-notify", datagram({&data, &close_notify}));
    w.put(suite_tag(s) + "-raw-replayed", datagram({&close_notify, &close_notify}));
    w.put(suite_tag(s) + "-raw-truncated", datagram({&data, &close_notify}, 5));
    bytes wrapper{23, 0x03, 0x03, 0, 1, 0, 0, 0, 0, 0, 9, 0, static_cast<std::uint8_t>(close_notify.size())};
    wrapper.insert(wrapper.end(), close_notify.begin(), close_notify.end());
    w.put(suite_tag(s) + "-raw-hidden-in-bad-version", datagram({&wrapper}));
    bytes epoch2 = close_notify;
    epoch2[4] = 2;
    w.put(suite_tag(s) + "-raw-next-epoch", datagram({&epoch2, &data}));
  }
}

void keylog_seeds(writer& w) {
  bytes cr(32), secret48(48), secret32(32);
  for (std::size_t i = 0; i < 48; ++i) secret48[i] = static_cast<std::uint8_t>(i * 5 + 1);
  for (std::size_t i = 0; i < 32; ++i) cr[i] = static_cast<std::uint8_t>(i * 3 + 2), secret32[i] = static_cast<std::uint8_t>(i);
  std::string tls13;
  for (const char* label : {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                            "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"})
    tls13 += format_keylog_line(label, cr, secret32) + "\n";
  w.put("tls13-session", text(tls13));
  w.put("tls12-session", text("# SSL/TLS secrets log file, generated by OpenSSL\n" +
                              format_keylog_line("CLIENT_RANDOM", cr, secret48) + "\n"));
  w.put("two-sessions", text(tls13 + format_keylog_line("CLIENT_RANDOM", secret32, secret48) + "\n"));
  w.put("bad-hex", text("CLIENT_RANDOM zz 00\n"));
  w.put("crlf", text(format_keylog_line("CLIENT_RANDOM", cr, secret48) + "\r\n"));
}

// Event scripts: the teardown flows, each for every suite and both roles.
void endpoint_seeds(writer& w) {
  auto ev = [](event_kind k, std::uint32_t n = 0, std::uint8_t type = 0, bytes data = {}) {
    return event{k, type, n, std::move(data)};
  };
  const event data = ev(event_kind::peer_record, 0, 23, text("hello"));
  const event close_notify = ev(event_kind::peer_alert, 1, 0);
  const event read = ev(event_kind::call_read, 200), shutdown = ev(event_kind::call_shutdown);
  const event write = ev(event_kind::call_write, 100);
  struct flow { const char* name; std::vector<event> events; std::uint8_t flags; };
  const flow flows[] = {
      {"bidirectional-we-close-first", {write, shutdown, data, close_notify, read, shutdown}, 0},
      {"bidirectional-peer-closes-first", {data, close_notify, read, read, shutdown}, 0},
      {"fast-shutdown", {write, shutdown}, 0},
      {"quiet", {shutdown, read}, 0x20},
      {"truncation-eof", {data, ev(event_kind::peer_eof), read, read, shutdown}, 0},
      {"truncation-ignored", {data, ev(event_kind::peer_eof), read, read, shutdown}, 0x10},
      {"reset-during-shutdown", {shutdown, ev(event_kind::peer_reset), shutdown}, 0},
      {"eagain-everywhere", {ev(event_kind::write_would_block), shutdown, shutdown,
                             ev(event_kind::read_would_block), close_notify, shutdown, shutdown}, 0},
      {"one-byte-writes", {ev(event_kind::write_limit, 1), write, write, shutdown, shutdown, shutdown}, 0},
      {"fatal-alert", {ev(event_kind::peer_alert, 2, 40), read, shutdown}, 0},
      {"warnings", {ev(event_kind::peer_alert, 1, 90), ev(event_kind::peer_alert, 1, 90),
                    ev(event_kind::peer_alert, 1, 90), ev(event_kind::peer_alert, 1, 90),
                    ev(event_kind::peer_alert, 1, 90), read}, 0},
      {"key-update-then-close", {ev(event_kind::peer_record, 0, 22, {24, 0, 0, 1, 1}), read, write,
                                 close_notify, read, shutdown}, 0},
      {"peek-then-read", {data, ev(event_kind::call_peek, 3), read, close_notify, read}, 0},
      {"write-after-peer-gone", {ev(event_kind::peer_stops_reading), write, shutdown}, 0},
      {"local-key-update", {ev(event_kind::call_key_update, 1), ev(event_kind::call_do_handshake),
                            shutdown, close_notify, shutdown}, 0},
      {"padding-only", {ev(event_kind::peer_record, 16, 0), read}, 0},
      {"raw-garbage", {ev(event_kind::peer_raw, 0, 0, {23, 3, 3, 0, 20, 1, 2, 3}), read}, 0},
  };
  for (const auto* s : matrix_cipher_suites()) {
    for (bool server : {false, true}) {
      for (const auto& f : flows) {
        script sc;
        sc.config.suite = suite_index(*s);
        sc.config.server = server;
        sc.config.ignore_unexpected_eof = f.flags & 0x10;
        sc.config.quiet_shutdown = f.flags & 0x20;
        sc.events = f.events;
        w.put(suite_tag(*s) + (server ? "-server-" : "-client-") + f.name, encode_script(sc));
      }
    }
  }
}

// DTLS 1.2 event scripts (testkit/dtls_script.hpp): the teardown flows over datagrams, with
// the faults a datagram network makes, for every DTLS suite and both roles.
void dtls_endpoint_seeds(writer& w) {
  using namespace closenotify::fuzz::dtls;
  auto ev = [](event_kind k, std::uint32_t n = 0, std::uint8_t type = 0, bytes data = {}) {
    return event{k, type, n, std::move(data)};
  };
  auto rec = [&](std::uint8_t type, bytes data, seq_mode m = seq_mode::next, std::uint8_t k = 0,
                 bool same = false) {
    return ev(event_kind::peer_record, encode_record_choice({m, k, same}), type, std::move(data));
  };
  auto fault_ev = [&](fault f, std::uint8_t n = 0) { return ev(event_kind::write_limit, encode_fault({f, n})); };
  const event data = rec(23, text("hello")), data2 = rec(23, text("world"));
  const event close_notify = ev(event_kind::peer_alert, 1, 0);
  const event cn_record = rec(21, {1, 0});
  const event read = ev(event_kind::call_read, 200), shutdown = ev(event_kind::call_shutdown);
  const event write = ev(event_kind::call_write, 100);
  struct flow { const char* name; std::vector<event> events; std::uint8_t flags; };
  std::vector<flow> flows = {
      {"bidirectional-we-close-first", {write, shutdown, data, close_notify, read, shutdown}, 0},
      {"bidirectional-peer-closes-first", {data, close_notify, read, read, shutdown}, 0},
      {"fast-shutdown", {write, shutdown}, 0},
      {"quiet", {shutdown, read}, 0x20},
      {"several-records-per-datagram",
       {data, rec(23, text("more"), seq_mode::next, 0, true), rec(21, {1, 0}, seq_mode::next, 0, true), read, read,
        read, shutdown}, 0},
      {"replayed-data-and-close-notify",
       {data, fault_ev(fault::duplicate), close_notify, fault_ev(fault::duplicate), read, read, read, read, shutdown}, 0},
      {"lost-close-notify", {shutdown, close_notify, fault_ev(fault::drop), shutdown, shutdown}, 0},
      {"reordered-data", {rec(23, text("second"), seq_mode::next, 1), rec(23, text("first"), seq_mode::old, 1),
                          read, read, close_notify, read}, 0},
      {"data-behind-close-notify", {rec(21, {1, 0}, seq_mode::next, 1), rec(23, text("late"), seq_mode::old, 1), read,
                                    read, shutdown}, 0},
      {"reorder-fault", {data, data2, fault_ev(fault::reorder), read, read, close_notify, read}, 0},
      {"truncated-datagram", {data, rec(21, {1, 0}, seq_mode::next, 0, true), fault_ev(fault::truncate, 4), read,
                              read, close_notify, read}, 0},
      {"bad-tag-close-notify", {rec(21, {1, 0}, seq_mode::bad_tag), read, close_notify, read}, 0},
      {"tampered-header", {rec(23, text("x"), seq_mode::tampered, 1), rec(21, {1, 0}, seq_mode::tampered, 2), read,
                           rec(21, {1, 0}, seq_mode::tampered, 4), read, shutdown}, 0},
      {"old-and-next-epoch", {rec(21, {1, 0}, seq_mode::other_epoch, 0), rec(21, {1, 0}, seq_mode::other_epoch, 1),
                              data, read, read}, 0},
      {"beyond-window", {data, rec(23, text("far"), seq_mode::beyond_window, 1), rec(23, text("stale?"), seq_mode::old, 15),
                         read, read, read}, 0},
      {"top-then-stale", {rec(23, text("top"), seq_mode::top, 0), data, read, read, close_notify, read}, 0},
      {"reused-sequence-number", {data, rec(23, text("again"), seq_mode::old, 0), read, read}, 0},
      {"empty-datagram-eof", {data, ev(event_kind::peer_eof), read, read, shutdown}, 0},
      {"empty-datagram-ignored", {data, ev(event_kind::peer_eof), read, read, data2, read, shutdown}, 0x10},
      {"read-error", {ev(event_kind::peer_reset), read, data, read}, 0},
      {"eagain-everywhere", {ev(event_kind::write_would_block), shutdown, shutdown,
                             ev(event_kind::read_would_block), close_notify, shutdown, shutdown}, 0},
      {"write-dropped-then-retried", {ev(event_kind::write_would_block), write, write, shutdown}, 0},
      {"write-too-big", {ev(event_kind::call_write, 16385), ev(event_kind::call_write, 0), write}, 0},
      {"write-after-peer-gone", {ev(event_kind::peer_stops_reading), write, shutdown}, 0},
      {"fatal-alert", {ev(event_kind::peer_alert, 2, 40), read, shutdown}, 0},
      {"warnings", {ev(event_kind::peer_alert, 1, 90), ev(event_kind::peer_alert, 1, 90),
                    ev(event_kind::peer_alert, 1, 90), ev(event_kind::peer_alert, 1, 90),
                    ev(event_kind::peer_alert, 1, 90), read}, 0},
      {"empty-data-record", {rec(23, {}), read, data, read}, 0},
      {"ccs-dropped", {rec(20, {1}), data, read}, 0},
      {"finished-retransmit", {rec(22, {20, 0, 0, 12, 0, 5, 0, 0, 0, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}),
                               data, read}, 0},
      // A ClientHello at message_seq 1 where 0 is expected: kept, the endpoint waits in init,
      // and the data behind it is "unexpected record".
      {"renegotiation", {rec(22, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}), read, data, read, shutdown}, 0},
      // message_seq 0 and 1 in one record: both the message expected, both refused.
      {"renegotiation-in-sequence",
       {rec(22, {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}), data, read, shutdown}, 0},
      // A fragment leaves the endpoint in init; a change_cipher_spec there is dropped.
      {"fragment-then-ccs-in-init",
       {rec(22, {1, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 2, 0xff, 0xff}), read, rec(20, {1}), read, shutdown, data, read}, 0},
      {"short-handshake", {rec(22, {0, 0, 0, 0}), data, read}, 0},
      {"key-update-refused", {ev(event_kind::call_key_update, 1), ev(event_kind::call_do_handshake), shutdown}, 0},
      {"peek-then-read", {data, ev(event_kind::call_peek, 3), read, close_notify, read}, 0},
      {"partial-reads", {data, ev(event_kind::call_read, 2), ev(event_kind::call_read, 2), ev(event_kind::call_read, 2),
                         close_notify, read}, 0},
      {"handed-over", {data, rec(23, text("old"), seq_mode::old, 3), read, read, write, write, close_notify, shutdown,
                       shutdown}, 0x40},
      {"handed-over-write-exhaustion", {write, write, write, write, write, shutdown}, 0x40},
      {"raw-garbage", {ev(event_kind::peer_raw, 0, 0, {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 3, 1, 2, 3}), read}, 0},
      {"authenticated-overflow", {rec(23, bytes(16385, 0x62)), read, shutdown}, 0},
      {"max-record", {rec(23, bytes(16384, 0x61)), ev(event_kind::call_read, 255), read, ev(event_kind::call_write, 16384)}, 0},
      {"type-zero-during-shutdown", {shutdown, rec(0, {}), shutdown, rec(0, {1}), shutdown, close_notify, shutdown}, 0},
      {"renegotiation-after-our-close-notify", {shutdown, rec(22, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}), shutdown,
                                                 close_notify, shutdown}, 0},
  };
  const auto suites = dtls12_cipher_suites();
  for (std::uint8_t idx = 0; idx < suites.size(); ++idx) {
    const cipher_suite& s = suites[idx];
    for (bool server : {false, true}) {
      // A raw datagram of real records: data and close_notify at 1 and 2, as the peer seals.
      auto p = protection_for(s, server ? role::client : role::server, 1);
      bytes raw = seal(p, 23, text("GET / HTTP/1.0\r\n\r\n"));
      const bytes cn = seal(p, 21, {1, 0});
      raw.insert(raw.end(), cn.begin(), cn.end());
      std::vector<flow> all = flows;
      all.push_back({"raw-real-records", {ev(event_kind::peer_raw, 0, 0, raw), read, read, shutdown}, 0});
      for (const auto& f : all) {
        script sc;
        sc.config.suite = idx;
        sc.config.server = server;
        sc.config.ignore_unexpected_eof = f.flags & 0x10;
        sc.config.quiet_shutdown = f.flags & 0x20;
        sc.config.read_ahead = f.flags & 0x40;
        sc.events = f.events;
        w.put(suite_tag(s) + (server ? "-server-" : "-client-") + f.name, encode_script(sc));
      }
    }
  }
}

}  // namespace

int describe_file(const char* path, bool dtls) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "closenotify-seeds: cannot read %s\n", path);
    return 1;
  }
  bytes b((std::istreambuf_iterator<char>(in)), {});
  const script s = decode_script(b);
  if (dtls) {
    // fuzz_dtls_endpoint's reading of the same bytes (testkit/dtls_script.hpp).
    std::printf("suite %s, %s%s%s%s, profile %s\n", std::string(dtls::suite_of(s.config).name).c_str(),
                s.config.server ? "server" : "client",
                s.config.ignore_unexpected_eof ? ", IGNORE_UNEXPECTED_EOF" : "",
                s.config.quiet_shutdown ? ", quiet shutdown" : "", s.config.read_ahead ? ", handed over" : "",
                std::string(profile_for(s.config.profile).name).c_str());
    for (const auto& e : s.events) std::printf("  %s\n", dtls::describe(e).c_str());
    return 0;
  }
  std::printf("suite %s, %s%s%s%s, profile %s\n", std::string(matrix_cipher_suites()[s.config.suite]->name).c_str(),
              s.config.server ? "server" : "client",
              s.config.ignore_unexpected_eof ? ", IGNORE_UNEXPECTED_EOF" : "",
              s.config.quiet_shutdown ? ", quiet shutdown" : "", s.config.read_ahead ? ", read-ahead" : "",
              std::string(profile_for(s.config.profile).name).c_str());
  for (const auto& e : s.events) std::printf("  %s\n", describe(e).c_str());
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && std::string_view(argv[1]) == "--describe") return describe_file(argv[2], false);
  if (argc == 3 && std::string_view(argv[1]) == "--describe-dtls") return describe_file(argv[2], true);
  if (argc != 2 || std::string_view(argv[1]) == "--help") {
    std::fprintf(stderr,
                 "usage: closenotify-seeds OUTDIR           write every fuzz target's seed corpus to OUTDIR/<target>/\n"
                 "       closenotify-seeds --describe FILE  print an endpoint event script as events\n"
                 "       closenotify-seeds --describe-dtls FILE  the same, as fuzz_dtls_endpoint reads it\n");
    return argc == 2 ? 0 : 2;
  }
  const fs::path out = argv[1];
  struct target { const char* name; void (*make)(writer&); };
  const target targets[] = {{"alert", alert_seeds}, {"record_framing", framing_seeds},
                            {"record_open", open_seeds}, {"endpoint", endpoint_seeds},
                            {"keylog", keylog_seeds}, {"dtls_record", dtls_record_seeds},
                            {"dtls_endpoint", dtls_endpoint_seeds}};
  for (const auto& t : targets) {
    writer w{out / t.name};
    std::error_code ec;
    fs::create_directories(w.dir, ec);
    if (ec) {
      std::fprintf(stderr, "closenotify-seeds: cannot create %s: %s\n", w.dir.c_str(), ec.message().c_str());
      return 1;
    }
    t.make(w);
    std::printf("%-15s %4zu seeds in %s\n", t.name, w.count, w.dir.c_str());
  }
  return 0;
}
