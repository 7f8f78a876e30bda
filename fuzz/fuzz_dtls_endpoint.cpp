// fuzz_dtls_endpoint.cpp — a DTLS 1.2 endpoint (record_protection::dtls12, epoch 1, the
// fixed keys) driven by an event script over a scripted DATAGRAM transport
// (dtls_script.hpp says how the script's events read for DTLS): the peer's records with
// chosen sequence numbers (in order, lost, late, replayed, far ahead, at the top of the
// space), records of other epochs, bad tags, tampered headers, several records per
// datagram, raw datagrams, empty datagrams, read errors, truncated, duplicated, dropped and
// reordered datagrams, EAGAIN both ways, interleaved with local calls. Records may be lost
// or reordered, so "the stream arrives in order" is not an invariant; instead it checks:
//   - every record the endpoint opens is one the peer sealed (its sequence number, type
//     and plaintext), in epoch 1, and no sequence number opens twice (the replay window
//     must have marked it: nothing opens that leaves the window unchanged);
//   - every read or peek returns bytes of the one record being read, at the offset reads
//     have reached, so no byte twice and none the peer never sealed; a record opened while
//     another's data is unread loses that data, allowed only to a shutdown() call;
//   - nothing is returned after ZERO_RETURN, or out of a record opened after RECEIVED or by
//     shutdown()'s own read;
//   - RECEIVED_SHUTDOWN only after an authenticated close_notify or fatal alert (or quiet
//     shutdown, or an EOF under IGNORE_UNEXPECTED_EOF); shutdown() == 1 only then too
//     (a fatal alert as in OpenSSL 3.0: docs/divergences.md, entry C);
//   - every datagram the endpoint writes is exactly one record, of epoch 1, with a sequence
//     number above every one before it, that opens under its own keys; application data
//     only inside write(), exactly the bytes of the call, and only when it returns them
//     done; nothing after its close_notify or a fatal alert.
#include <bit>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "closenotify/dtls_record_open.hpp"
#include "closenotify/endpoint.hpp"
#include "dtls_script.hpp"
#include "event_script.hpp"
#include "fixed_keys.hpp"
#include "invariant.hpp"

using namespace closenotify;
using namespace closenotify::fuzz;
using namespace closenotify::fuzz::dtls;

namespace {

constexpr const char* kTarget = "fuzz_dtls_endpoint";
constexpr std::uint16_t kEpoch = 1;
using bytes = std::vector<std::uint8_t>;

// datagram_transport: the datagrams the script queues for the endpoint, one per read
// (cut to the buffer, as recv(2)); each write is one whole datagram, or EAGAIN, or an error.
class datagram_transport final : public transport {
 public:
  struct datagram {
    bytes b;
    bool error = false;     // this read fails with ECONNREFUSED
    std::size_t sent = SIZE_MAX;  // index in the peer's history of sent datagrams
  };
  std::deque<datagram> inbound;
  int read_blocks = 0, write_blocks = 0;
  bool peer_gone = false;
  int eofs = 0;  // zero-length datagrams read
  std::vector<bytes> outbound;  // one entry per datagram written

  io_result read(mutable_bytes out) noexcept override {
    ++stats_.reads;
    if (read_blocks > 0) { --read_blocks; return {io_status::would_block}; }
    if (inbound.empty()) return {io_status::would_block};
    datagram d = std::move(inbound.front());
    inbound.pop_front();
    if (d.error) return {io_status::error, 0, ECONNREFUSED};
    if (d.b.empty()) { ++eofs; return {io_status::eof}; }
    const std::size_t n = std::min(out.size(), d.b.size());
    std::copy(d.b.begin(), d.b.begin() + static_cast<std::ptrdiff_t>(n), out.begin());
    stats_.bytes_read += n;
    return {io_status::ok, n};
  }
  io_result write(bytes_view in) noexcept override {
    ++stats_.writes;
    if (peer_gone) return {io_status::error, 0, ECONNREFUSED};
    if (write_blocks > 0) { --write_blocks; return {io_status::would_block}; }
    outbound.emplace_back(in.begin(), in.end());
    stats_.bytes_written += in.size();
    return {io_status::ok, in.size()};
  }
  void shutdown_write() noexcept override {}
};

// The sequence number a record opened under: the one bit the window gained.
std::optional<std::uint64_t> newly_received(const dtls_replay_window& before,
                                            const dtls_replay_window& after) {
  if (after.max_sequence_number() > before.max_sequence_number()) {
    if (!(after.map() & 1)) return std::nullopt;
    return after.max_sequence_number();
  }
  if (after.max_sequence_number() < before.max_sequence_number()) return std::nullopt;
  if (before.map() & ~after.map()) return std::nullopt;
  const std::uint64_t gained = after.map() & ~before.map();
  if (std::popcount(gained) != 1) return std::nullopt;
  return before.max_sequence_number() - static_cast<unsigned>(std::countr_zero(gained));
}

// wire_checker: every datagram the endpoint wrote, opened as its peer would.
class wire_checker {
 public:
  wire_checker(const cipher_suite& s, role sender, std::size_t max_length)
      : open_(protection_for(s, sender)), max_length_(max_length) {}

  // Checks the datagrams written since the last call; returns the application-data
  // records among them. sent_cleared: an EOF under IGNORE_UNEXPECTED_EOF cleared SENT
  // (fuzz_endpoint says why OpenSSL 3.0 may then write again, close_notify included).
  std::vector<bytes> consume(const std::vector<bytes>& out, bool sent_cleared) {
    std::vector<bytes> app;
    if (sent_cleared) closed_ = false;
    for (; seen_ < out.size(); ++seen_) {
      bytes d = out[seen_];
      auto framed = parse_dtls_record(d, max_length_);
      auto* rec = std::get_if<dtls_ciphertext>(&framed);
      CHECK(rec != nullptr, "the endpoint wrote a datagram that does not frame as a record");
      CHECK(rec->size() == d.size(), "the endpoint wrote a datagram that is not exactly one record");
      CHECK(!fatal_sent_, "the endpoint wrote a record after a fatal alert");
      CHECK(rec->header.epoch == kEpoch, "the endpoint wrote a record of another epoch");
      CHECK(rec->header.version == 0xfefd, "the endpoint wrote a record that is not DTLS 1.2");
      CHECK(!last_seq_ || rec->header.sequence_number > *last_seq_,
            "the endpoint reused a sequence number or wrote one below an earlier one");
      last_seq_ = rec->header.sequence_number;
      mutable_bytes body{d.data() + dtls_record_header_size, d.size() - dtls_record_header_size};
      auto opened = open_.open(rec->header, body);
      CHECK(std::holds_alternative<tls_plaintext>(opened), "the endpoint wrote a record that does not open under its keys");
      const auto pt = std::get<tls_plaintext>(opened);
      CHECK(!closed_, "the endpoint wrote a record after its close_notify");
      if (pt.type == content_type::application_data) {
        app.emplace_back(pt.fragment.begin(), pt.fragment.end());
      } else if (pt.type == content_type::alert) {
        CHECK(pt.fragment.size() == 2, "the endpoint wrote a malformed alert");
        // While SENT stays cleared, a close_notify queued before the EOF still goes out
        // ahead of the next write's data (fuzz_endpoint's scenario
        // eof-ignore-clears-sent-pending-close-notify-then-data; DTLS keeps an unwritten
        // alert queued the same way).
        if (pt.fragment[1] == 0 && !sent_cleared) closed_ = true;
        if (pt.fragment[0] == 2) fatal_sent_ = true;
      } else {
        invariant_violated(kTarget, "the endpoint wrote a record that is neither data nor an alert");
      }
    }
    return app;
  }

 private:
  record_protection open_;
  std::size_t max_length_;
  std::size_t seen_ = 0;
  std::optional<std::uint64_t> last_seq_;
  bool closed_ = false, fatal_sent_ = false;
};

std::uint8_t write_byte(std::size_t call, std::size_t i) {
  return static_cast<std::uint8_t>(call * 37 + i * 131 + (i >> 8) + 7);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const script s = decode_script(bytes_view{data, size});
  if (s.events.size() > 256) return 0;  // long scripts add time, not paths
  const cipher_suite& suite = suite_of(s.config);
  const role me = s.config.server ? role::server : role::client;
  const role peer = s.config.server ? role::client : role::server;
  const bool handover = s.config.read_ahead;

  datagram_transport t;
  endpoint_options options;
  options.ignore_unexpected_eof = s.config.ignore_unexpected_eof;
  options.quiet_shutdown = s.config.quiet_shutdown;
  options.profile = s.config.profile;
  endpoint ep(t, me, protection_for(suite, peer), protection_for(suite, me, handover ? kHandoverWriteStart : 0), options);
  CHECK(ep.is_dtls(), "a DTLS 1.2 endpoint is not in DTLS mode");
  const std::size_t max_length = ep.profile().dtls_max_record_length;

  // What the peer sealed in epoch 1: sequence number -> (type, plaintext) of each record
  // sealed under it (a fuzzer may seal several under one number). Records found
  // authentic inside raw datagrams join it.
  std::map<std::uint64_t, std::vector<std::pair<std::uint8_t, bytes>>> sealed;
  std::set<std::uint64_t> opened_seqs;
  std::uint64_t next_seq = 1;
  if (handover) {
    ep.set_replay_window(dtls_replay_window(kHandoverMax, kHandoverMap));
    next_seq = kHandoverMax + 1;
  }
  // received_before: a number the window says was received before the hand-off.
  auto received_before = [&](std::uint64_t seq) {
    if (!handover) return false;
    if (seq > kHandoverMax) return false;
    const std::uint64_t back = kHandoverMax - seq;
    return back >= 64 || ((kHandoverMap >> back) & 1);
  };
  dtls_replay_window window_seen = ep.replay_window();

  // The record being read: a copy of its plaintext and how far reads have taken it.
  struct current_record {
    bytes data;
    std::size_t off = 0;
    bool deliverable = true;        // opened by a read, before RECEIVED
    bool shutdown_since = false;    // a shutdown() call may have thrown its rest away
  };
  std::optional<current_record> cur;
  bool opened_ending_alert = false;  // an authenticated close_notify or fatal alert
  bool inside_shutdown = false;

  ep.set_record_observer([&](const record_event& r) {
    if (r.sent) return;
    const auto seq = newly_received(window_seen, ep.replay_window());
    CHECK(seq.has_value(), "a record opened that the replay window did not mark as received (replayed or stale?)");
    window_seen = ep.replay_window();
    CHECK(!received_before(*seq) && opened_seqs.insert(*seq).second, "a sequence number opened twice");
    const auto it = sealed.find(*seq);
    CHECK(it != sealed.end(), "a record opened under a sequence number the peer never sealed in epoch 1");
    bool match = false;
    for (const auto& [type, plaintext] : it->second)
      match = match || (type == static_cast<std::uint8_t>(r.type) &&
                        std::equal(plaintext.begin(), plaintext.end(), r.plaintext.begin(), r.plaintext.end()));
    CHECK(match, "a record opened with a type or plaintext the peer never sealed under its number");
    CHECK(!cur || !cur->deliverable || cur->off == cur->data.size() || cur->shutdown_since,
          "a record opened while the application data of the one before was unread (lost)");
    cur.reset();
    if (r.type == content_type::application_data) {
      cur = current_record{bytes(r.plaintext.begin(), r.plaintext.end()), 0,
                           !inside_shutdown && !(ep.get_shutdown() & shutdown_received), false};
    }
    if (r.type == content_type::alert && r.plaintext.size() == 2) {
      const auto m = classify_received_alert(
          alert{static_cast<alert_level>(r.plaintext[0]), static_cast<alert_description>(r.plaintext[1])},
          suite.version);
      if (m.effect == alert_effect::close_notify || m.effect == alert_effect::peer_fatal)
        opened_ending_alert = true;
    }
  });

  // The peer's side: what it has sent.
  std::vector<bytes> history;  // every datagram the peer sent, as sent
  bytes record(max_record_size);

  // queue: a datagram onto the endpoint's queue, or onto the last one.
  auto queue = [&](bytes b, bool same_datagram) {
    if (same_datagram && !t.inbound.empty() && !t.inbound.back().error && t.inbound.back().sent != SIZE_MAX) {
      auto& last = t.inbound.back();
      last.b.insert(last.b.end(), b.begin(), b.end());
      history[last.sent] = last.b;
      return;
    }
    history.push_back(b);
    t.inbound.push_back({std::move(b), false, history.size() - 1});
  };
  // register_authentic: records of a datagram that open under the peer's epoch-1 keys.
  auto register_authentic = [&](const bytes& datagram) {
    bytes copy = datagram;
    dtls_datagram_reader reader(copy, max_length);
    record_protection opener = protection_for(suite, peer);
    for (;;) {
      dtls_replay_window fresh;  // every record judged on its own: no replay here
      auto r = read_dtls_record(reader, opener, fresh);
      if (std::holds_alternative<end_of_datagram>(r) || std::holds_alternative<fatal>(r)) return;
      if (auto* pt = std::get_if<dtls_plaintext>(&r))
        sealed[pt->header.sequence_number].emplace_back(static_cast<std::uint8_t>(pt->type),
                                                        bytes(pt->fragment.begin(), pt->fragment.end()));
    }
  };
  // seal: one record of the peer's, as record_choice `c` says.
  auto seal = [&](std::uint8_t type, bytes_view plaintext, record_choice c) {
    const auto at = sealed_at(c, next_seq);
    if (!at) return;
    const std::uint64_t seq = at->seq;
    const std::uint16_t epoch = at->epoch;
    auto p = record_protection::dtls12(suite, fixed_traffic_keys(suite, peer), epoch, seq);
    if (!std::holds_alternative<record_protection>(p)) return;
    auto sealed_size = std::get<record_protection>(p).seal_hostile(type, plaintext, record);
    if (!std::holds_alternative<std::size_t>(sealed_size)) return;  // the peer could not send it
    bytes b(record.begin(), record.begin() + static_cast<std::ptrdiff_t>(std::get<std::size_t>(sealed_size)));
    bool authentic = epoch == kEpoch;
    if (c.mode == seq_mode::bad_tag) {
      b[b.size() - 1 - std::min<std::size_t>(c.k, 15)] ^= 0x01;
      authentic = false;
    } else if (c.mode == seq_mode::tampered) {
      b[c.k % b.size()] ^= 0x01;
      // An alert's minor version is not authenticated (docs/dtls.md): the only byte whose
      // change may still open.
      authentic = c.k == 2;
    }
    if (authentic) sealed[seq].emplace_back(type, bytes(plaintext.begin(), plaintext.end()));
    queue(std::move(b), c.same_datagram);
  };

  wire_checker wire(suite, me, max_length);
  bool zero_return = false;
  bool eof_as_close = false;
  bool quiet_shutdown_called = false;
  std::size_t write_calls = 0;
  bytes buf(max_event_length);
  // note_eof: after each call. A zero-length datagram is no end of stream for DTLS (the
  // datagram BIO has no BIO_CTRL_EOF; profile row dtls_empty_datagram): not even under
  // IGNORE_UNEXPECTED_EOF may it set RECEIVED or clear SENT, so eof_as_close stays false
  // and the checks below allow RECEIVED only after an authenticated alert.
  auto note_eof = [&] { t.eofs = 0; };

  for (const event& e : s.events) {
    int ret = 1;
    bool called = true;
    bool is_read = false;
    std::optional<bytes> write_data;  // the bytes of this event's write() call
    switch (e.kind) {
      case event_kind::peer_record:
        seal(e.type, e.data, decode_record_choice(e.number));
        called = false;
        break;
      case event_kind::peer_alert: {
        const std::uint8_t a[2] = {static_cast<std::uint8_t>(e.number), e.type};
        seal(static_cast<std::uint8_t>(content_type::alert), a, record_choice{});
        called = false;
        break;
      }
      case event_kind::peer_raw:
        register_authentic(e.data);
        queue(e.data, false);
        called = false;
        break;
      case event_kind::peer_eof: queue({}, false); called = false; break;
      case event_kind::peer_reset: t.inbound.push_back({{}, true}); called = false; break;
      case event_kind::read_would_block: ++t.read_blocks; called = false; break;
      case event_kind::write_would_block: ++t.write_blocks; called = false; break;
      case event_kind::peer_stops_reading: t.peer_gone = true; called = false; break;
      case event_kind::write_limit: {
        called = false;
        const fault_choice f = decode_fault(e.number);
        switch (f.what) {
          case fault::truncate:
            if (!t.inbound.empty() && !t.inbound.back().error) {
              auto& b = t.inbound.back().b;
              b.resize(b.size() - std::min<std::size_t>(b.size(), f.n + 1u));
              t.inbound.back().sent = SIZE_MAX;  // no longer what the peer sent
            }
            break;
          case fault::duplicate:
            if (!history.empty()) {
              const std::size_t i = history.size() - 1 - std::min<std::size_t>(f.n, history.size() - 1);
              t.inbound.push_back({history[i], false, SIZE_MAX});
            }
            break;
          case fault::drop:
            if (!t.inbound.empty())
              t.inbound.erase(t.inbound.end() - 1 - static_cast<std::ptrdiff_t>(f.n % t.inbound.size()));
            break;
          case fault::reorder:
            if (t.inbound.size() > 1) {
              auto d = std::move(t.inbound.back());
              t.inbound.pop_back();
              const std::size_t back = std::min<std::size_t>(f.n + 1u, t.inbound.size());
              d.sent = SIZE_MAX;
              t.inbound.insert(t.inbound.end() - static_cast<std::ptrdiff_t>(back), std::move(d));
            }
            break;
        }
        break;
      }
      case event_kind::call_read:
      case event_kind::call_peek: {
        const bool peek = e.kind == event_kind::call_peek;
        mutable_bytes out{buf.data(), e.number};
        ret = peek ? ep.peek(out) : ep.read(out);
        note_eof();
        is_read = true;
        if (ret > 0) {
          CHECK(!zero_return, "application data returned after ZERO_RETURN");
          CHECK(static_cast<std::size_t>(ret) <= e.number, "read returned more than the buffer");
          CHECK(cur && cur->deliverable, "read returned bytes of no record it may deliver");
          CHECK(cur->off + static_cast<std::size_t>(ret) <= cur->data.size(),
                "read returned more bytes than its record has left (bytes of two records, or twice)");
          CHECK(std::equal(out.begin(), out.begin() + ret, cur->data.begin() + static_cast<std::ptrdiff_t>(cur->off)),
                "read returned bytes other than the next ones of its record");
          if (!peek) cur->off += static_cast<std::size_t>(ret);
        }
        break;
      }
      case event_kind::call_write: {
        write_data.emplace(e.number);
        for (std::size_t i = 0; i < write_data->size(); ++i) (*write_data)[i] = write_byte(write_calls, i);
        ++write_calls;
        ret = ep.write(*write_data);
        note_eof();
        if (ret > 0) CHECK(static_cast<std::size_t>(ret) == write_data->size(), "write reported a partial count");
        break;
      }
      case event_kind::call_shutdown: {
        if (ep.options().quiet_shutdown) quiet_shutdown_called = true;
        if (cur) cur->shutdown_since = true;
        inside_shutdown = true;
        const std::size_t unread = ep.pending();
        ret = ep.shutdown();
        note_eof();
        inside_shutdown = false;
        if (unread > 0 && ep.pending() == 0) {
          CHECK(ep.profile().unread_data == unread_data_at_shutdown::discard || ret < 0 ||
                    ep.options().quiet_shutdown,
                "shutdown threw away unread application data and did not fail");
        }
        if (ep.pending() == 0 && cur) cur->deliverable = false;
        if (ret == 1) {
          CHECK(opened_ending_alert || quiet_shutdown_called || eof_as_close,
                "shutdown returned 1 without an authenticated close_notify");
          CHECK(ep.get_shutdown() == (shutdown_sent | shutdown_received), "shutdown returned 1 without both flags");
        }
        break;
      }
      case event_kind::call_key_update:
        ret = ep.key_update(e.number & 1 ? key_update_request::update_requested
                                         : key_update_request::update_not_requested);
        CHECK(ret == 0, "DTLS 1.2 accepted a KeyUpdate");
        break;
      case event_kind::call_do_handshake: ret = ep.do_handshake(); note_eof(); break;
      case event_kind::call_set:
        ep.set_quiet_shutdown(e.number & 1);
        ep.set_ignore_unexpected_eof(e.number & 2);
        called = false;
        break;
    }
    if (called) {
      const ssl_error err = ep.get_error(ret);
      if (err == ssl_error::zero_return) {
        CHECK(ep.get_shutdown() & shutdown_received, "ZERO_RETURN without RECEIVED_SHUTDOWN");
        if (is_read) zero_return = true;
      }
    }
    CHECK(ep.replay_window().max_sequence_number() == window_seen.max_sequence_number() &&
              ep.replay_window().map() == window_seen.map(),
          "the replay window moved without a record being opened");
    const auto app = wire.consume(t.outbound, eof_as_close && !(ep.get_shutdown() & shutdown_sent));
    if (write_data) {
      CHECK(app.size() <= 1, "one write() put more than one record of data on the wire");
      if (ret > 0) {
        CHECK(app.size() == 1 && app[0] == *write_data, "write() reported done without its bytes on the wire as one record");
      } else {
        CHECK(app.empty(), "write() failed but put data on the wire");
      }
    } else {
      CHECK(app.empty(), "application data on the wire outside a write() call");
    }
    if (ep.get_shutdown() & shutdown_received) {
      CHECK(opened_ending_alert || quiet_shutdown_called || eof_as_close,
            "RECEIVED_SHUTDOWN without an authenticated close_notify or fatal alert");
    }
  }
  return 0;
}
