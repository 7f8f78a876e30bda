// fuzz_endpoint.cpp — an endpoint driven by an event script (event_script.hpp): the peer's
// records sealed under the fixed keys, raw bytes, EOF, resets, EAGAIN and short writes,
// interleaved with local calls. Beyond "no crash", it checks what a teardown layer must
// never do:
//   - return an application byte twice, out of order, or one the peer never sent;
//   - lose one: a read that reports ZERO_RETURN has returned every byte opened before it
//     (when no shutdown() call was allowed to discard data);
//   - return data after ZERO_RETURN;
//   - set RECEIVED_SHUTDOWN without an authenticated alert (or quiet shutdown, or EOF
//     under IGNORE_UNEXPECTED_EOF); report shutdown complete (1) without an authenticated
//     close_notify (same exceptions, and a fatal alert, as OpenSSL 3.0: divergence C);
//   - write a record that does not open under its own keys, or anything after its
//     close_notify or after a fatal alert; put a byte of application data on the wire that
//     no write() was given, or report a write done before all of it is on the wire.
#include <deque>
#include <vector>

#include "closenotify/endpoint.hpp"
#include "closenotify/post_handshake.hpp"
#include "event_script.hpp"
#include "fixed_keys.hpp"
#include "invariant.hpp"

using namespace closenotify;
using namespace closenotify::fuzz;

namespace {

constexpr const char* kTarget = "fuzz_endpoint";

std::uint8_t stream_byte(std::size_t pos) {
  return static_cast<std::uint8_t>(pos * 131 + (pos >> 8) + 7);
}

// scripted_transport: the peer's bytes as the script delivers them; faults on demand.
class scripted_transport final : public transport {
 public:
  std::deque<std::uint8_t> inbound;
  bool peer_finished = false;  // EOF or reset queued: nothing more arrives after it
  bool reset = false;
  bool eof_seen = false;       // a read returned EOF
  int read_blocks = 0, write_blocks = 0;
  std::size_t write_limit = 0;
  bool peer_gone = false;
  std::vector<std::uint8_t> outbound;

  io_result read(mutable_bytes out) noexcept override {
    ++stats_.reads;
    if (read_blocks > 0) { --read_blocks; return {io_status::would_block}; }
    if (!inbound.empty()) {
      std::size_t n = std::min(out.size(), inbound.size());
      for (std::size_t i = 0; i < n; ++i) { out[i] = inbound.front(); inbound.pop_front(); }
      stats_.bytes_read += n;
      return {io_status::ok, n};
    }
    if (peer_finished && reset) return {io_status::error, 0, ECONNRESET};
    if (peer_finished) { eof_seen = true; return {io_status::eof}; }
    return {io_status::would_block};
  }
  io_result write(bytes_view in) noexcept override {
    ++stats_.writes;
    if (peer_gone) return {io_status::error, 0, EPIPE};
    if (write_blocks > 0) { --write_blocks; return {io_status::would_block}; }
    std::size_t n = write_limit ? std::min(write_limit, in.size()) : in.size();
    outbound.insert(outbound.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(n));
    stats_.bytes_written += n;
    return {io_status::ok, n};
  }
  void shutdown_write() noexcept override {}
};

// wire_checker: opens everything the endpoint wrote, as its peer would.
class wire_checker {
 public:
  wire_checker(const cipher_suite& s, role sender) : open_(protection_for(s, sender)) {}

  // sent_cleared: under IGNORE_UNEXPECTED_EOF an EOF assigns the flags
  // (SSL_set_shutdown(s, SSL_RECEIVED_SHUTDOWN)), clearing SENT, after which OpenSSL 3.0
  // writes data and a second close_notify (scenario eof-ignore-clears-sent-then-write). A
  // close_notify still queued behind a pending record when SENT is cleared goes out later,
  // ahead of the next write's data (do_ssl3_write dispatches the alert first: scenario
  // eof-ignore-clears-sent-pending-close-notify-then-data).
  void consume(const std::vector<std::uint8_t>& wire, bool sent_cleared) {
    if (sent_cleared) closed_ = false;
    while (true) {
      bytes_view rest{wire.data() + pos_, wire.size() - pos_};
      auto framed = parse_record(rest, open_.version());
      if (std::holds_alternative<need_more>(framed)) return;
      CHECK(!std::holds_alternative<fatal>(framed), "the endpoint wrote a record that does not frame");
      auto rec = std::get<tls_ciphertext>(framed);
      CHECK(!fatal_sent_, "the endpoint wrote a record after a fatal alert");
      std::vector<std::uint8_t> body(rec.fragment.begin(), rec.fragment.end());
      auto opened = open_.open(rec.header, body);
      CHECK(std::holds_alternative<tls_plaintext>(opened), "the endpoint wrote a record that does not open under its keys");
      auto pt = std::get<tls_plaintext>(opened);
      pos_ += rec.size();
      // RFC 8446 §6.1: close_notify says "the sender will not send any more messages on
      // this connection". OpenSSL 3.0 still writes a KeyUpdate the application asked for
      // with SSL_key_update after it (scenario post-key-update-after-own-close-notify), so
      // a KeyUpdate alone is allowed.
      // A KeyUpdate the peer asked for also goes out after it when the peer's next
      // post-handshake message arrives (OpenSSL's state machine writes first).
      if (closed_)
        CHECK(pt.type == content_type::handshake, "the endpoint wrote a record after its close_notify");
      if (pt.type == content_type::application_data) {
        app_.insert(app_.end(), pt.fragment.begin(), pt.fragment.end());
      } else if (pt.type == content_type::alert) {
        CHECK(pt.fragment.size() == 2, "the endpoint wrote a malformed alert");
        if (pt.fragment[1] == 0 && !sent_cleared) closed_ = true;
        if (pt.fragment[0] == 2) fatal_sent_ = true;
      } else if (pt.type == content_type::handshake) {
        // RFC 8446 §4.6.3: everything after our KeyUpdate is under the next key.
        CHECK(!pt.fragment.empty() && pt.fragment[0] == static_cast<std::uint8_t>(handshake_type::key_update),
              "the endpoint wrote a handshake message other than KeyUpdate");
        CHECK(open_.key_update(), "KeyUpdate on a TLS 1.2 connection");
      } else {
        invariant_violated(kTarget, "the endpoint wrote a record of an unexpected type");
      }
    }
  }
  const std::vector<std::uint8_t>& application_data() const { return app_; }

 private:
  record_protection open_;
  std::size_t pos_ = 0;
  bool closed_ = false, fatal_sent_ = false;
  std::vector<std::uint8_t> app_;
};

bool is_key_update(std::uint8_t type, const std::vector<std::uint8_t>& d) {
  return type == static_cast<std::uint8_t>(content_type::handshake) && d.size() == 5 &&
         d[0] == static_cast<std::uint8_t>(handshake_type::key_update) && d[1] == 0 &&
         d[2] == 0 && d[3] == 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const script s = decode_script(bytes_view{data, size});
  if (s.events.size() > 256) return 0;  // long scripts add time, not paths
  const cipher_suite& suite = *matrix_cipher_suites()[s.config.suite];
  const role me = s.config.server ? role::server : role::client;
  const role peer = s.config.server ? role::client : role::server;

  scripted_transport t;
  endpoint_options options;
  options.ignore_unexpected_eof = s.config.ignore_unexpected_eof;
  options.quiet_shutdown = s.config.quiet_shutdown;
  options.read_ahead = s.config.read_ahead;
  options.profile = s.config.profile;
  endpoint ep(t, me, protection_for(suite, peer), protection_for(suite, me), options);
  record_protection peer_seal = protection_for(suite, peer);
  wire_checker wire(suite, me);

  std::vector<std::uint8_t> opened;  // application data the endpoint opened, in order
  // opened_ending_alert: an authenticated alert that ends the peer's direction: its
  // close_notify, or a fatal alert (which OpenSSL 3.0 also lets complete a waiting
  // SSL_shutdown: docs/divergences.md, entry C).
  bool opened_alert = false, opened_ending_alert = false;
  bool inside_shutdown = false;  // a shutdown() call is running
  ep.set_record_observer([&](const record_event& r) {
    if (r.sent) return;
    // Data opened after the peer's close_notify (or fatal alert) was processed is
    // discarded unread, as RFC 8446 §6.1 requires ("Any data received after a closure
    // alert has been received MUST be ignored"): a read in init still opens such records.
    // Data opened by shutdown()'s own read never reaches the application either: it ends
    // the connection (3.x, 1.1.1: "application data after close notify") or is thrown away
    // (the openssl-1.0 and libressl profiles).
    if (r.type == content_type::application_data && !(ep.get_shutdown() & shutdown_received) &&
        !inside_shutdown)
      opened.insert(opened.end(), r.plaintext.begin(), r.plaintext.end());
    if (r.type == content_type::alert) {
      opened_alert = true;
      if (r.plaintext.size() == 2) {
        const auto m = classify_received_alert(
            alert{static_cast<alert_level>(r.plaintext[0]), static_cast<alert_description>(r.plaintext[1])},
            suite.version);
        if (m.effect == alert_effect::close_notify || m.effect == alert_effect::peer_fatal)
          opened_ending_alert = true;
      }
    }
  });

  std::vector<std::uint8_t> returned;    // what read() gave the application
  // discarded: opened bytes a waiting shutdown() threw away unread: silently under the
  // profiles whose unread_data is `discard` (1.0.2's ssl3_read_bytes: "rr->length = 0;
  // return 0"), with a failure under the others.
  std::size_t discarded = 0;
  bool zero_return = false;
  bool eof_as_close = false;  // an EOF was read while IGNORE_UNEXPECTED_EOF was set
  bool shutdown_called = false, quiet_shutdown_called = false;
  std::size_t attempted = 0;             // application bytes handed to write(), retries once
  std::size_t written = 0;               // of which write() reported done
  std::vector<std::uint8_t> pending_write;
  std::vector<std::uint8_t> buf(max_event_length);
  std::vector<std::uint8_t> record(max_record_size);
  std::size_t app_checked = 0;

  // seal_hostile: the peer may send any type and any length a receiver frames.
  auto seal_to_peer = [&](std::uint8_t type, bytes_view plaintext, std::size_t padding) {
    if (t.peer_finished) return;  // nothing arrives after a FIN or a reset
    auto sealed = peer_seal.seal_hostile(type, plaintext, record, padding);
    if (!std::holds_alternative<std::size_t>(sealed)) return;  // the peer could not send it
    t.inbound.insert(t.inbound.end(), record.begin(),
                     record.begin() + static_cast<std::ptrdiff_t>(std::get<std::size_t>(sealed)));
  };

  for (const event& e : s.events) {
    int ret = 1;
    bool called = true;
    bool is_read = false;
    switch (e.kind) {
      case event_kind::peer_record: {
        const std::size_t padding = suite.version == protocol_version::tls13 ? e.number : 0;
        seal_to_peer(e.type, e.data, padding);
        if (is_key_update(e.type, e.data) && suite.version == protocol_version::tls13)
          (void)peer_seal.key_update();
        called = false;
        break;
      }
      case event_kind::peer_alert: {
        const std::uint8_t a[2] = {static_cast<std::uint8_t>(e.number), e.type};
        seal_to_peer(static_cast<std::uint8_t>(content_type::alert), a, 0);
        called = false;
        break;
      }
      case event_kind::peer_raw:
        if (!t.peer_finished) t.inbound.insert(t.inbound.end(), e.data.begin(), e.data.end());
        called = false;
        break;
      case event_kind::peer_eof: t.peer_finished = true; called = false; break;
      case event_kind::peer_reset: t.peer_finished = t.reset = true; called = false; break;
      case event_kind::read_would_block: ++t.read_blocks; called = false; break;
      case event_kind::write_would_block: ++t.write_blocks; called = false; break;
      case event_kind::write_limit: t.write_limit = e.number; called = false; break;
      case event_kind::peer_stops_reading: t.peer_gone = true; called = false; break;
      case event_kind::call_read:
      case event_kind::call_peek: {
        const bool peek = e.kind == event_kind::call_peek;
        mutable_bytes out{buf.data(), e.number};
        ret = peek ? ep.peek(out) : ep.read(out);
        is_read = true;
        if (ret > 0) {
          CHECK(!zero_return, "application data returned after ZERO_RETURN");
          CHECK(static_cast<std::size_t>(ret) <= e.number, "read returned more than the buffer");
          const std::size_t at = returned.size() + discarded;
          CHECK(at + static_cast<std::size_t>(ret) <= opened.size(),
                "read returned bytes that no authenticated record carried");
          CHECK(std::equal(out.begin(), out.begin() + ret, opened.begin() + static_cast<std::ptrdiff_t>(at)),
                "read returned bytes out of order or twice");
          if (!peek) returned.insert(returned.end(), out.begin(), out.begin() + ret);
        }
        break;
      }
      case event_kind::call_write: {
        if (pending_write.empty()) {
          // Every attempt carries the next bytes of one numbered stream, so a byte put on
          // the wire twice, or one never given, shows as a mismatch.
          pending_write.resize(std::max<std::uint32_t>(e.number, 1));
          for (std::size_t i = 0; i < pending_write.size(); ++i) pending_write[i] = stream_byte(attempted + i);
          attempted += pending_write.size();
        }
        ret = ep.write(pending_write);
        if (ret > 0) {
          CHECK(static_cast<std::size_t>(ret) == pending_write.size(), "write reported a partial count");
          written += pending_write.size();
          pending_write.clear();
        }
        break;
      }
      case event_kind::call_shutdown:
        shutdown_called = true;
        if (ep.options().quiet_shutdown) quiet_shutdown_called = true;
        inside_shutdown = true;
        {
          const std::size_t unread = ep.pending();
          ret = ep.shutdown();
          if (unread > 0 && ep.pending() == 0) {
            // Thrown away silently only where the profile says so; elsewhere the call
            // fails (004: "will fail if it is called when the application has not read
            // all pending application data").
            CHECK(ep.profile().unread_data == unread_data_at_shutdown::discard || ret < 0,
                  "shutdown threw away unread application data and did not fail");
            discarded += unread;
          }
        }
        inside_shutdown = false;
        if (ep.options().ignore_unexpected_eof && ep.profile().has_ignore_unexpected_eof && t.eof_seen)
          eof_as_close = true;
        // 004 RETURN VALUES: 1 means "a close_notify alert was sent and the peer's
        // close_notify alert was received" — it must have been received, and authentic.
        if (ret == 1) {
          CHECK(opened_ending_alert || quiet_shutdown_called ||
                    eof_as_close,
                "shutdown returned 1 without an authenticated close_notify");
          CHECK(ep.get_shutdown() == (shutdown_sent | shutdown_received), "shutdown returned 1 without both flags");
        }
        break;
      case event_kind::call_key_update:
        ret = ep.key_update(e.number & 1 ? key_update_request::update_requested
                                         : key_update_request::update_not_requested);
        break;
      case event_kind::call_do_handshake: ret = ep.do_handshake(); break;
      case event_kind::call_set:
        ep.set_quiet_shutdown(e.number & 1);
        ep.set_ignore_unexpected_eof(e.number & 2);
        called = false;
        break;
    }
    if (called) {
      if (ep.options().ignore_unexpected_eof && ep.profile().has_ignore_unexpected_eof && t.eof_seen)
          eof_as_close = true;
      const ssl_error err = ep.get_error(ret);
      if (err == ssl_error::zero_return) {
        CHECK(ep.get_shutdown() & shutdown_received, "ZERO_RETURN without RECEIVED_SHUTDOWN");
        if (is_read) {
          zero_return = true;
          // Nothing lost: without a shutdown() call (which may discard data by design),
          // everything the endpoint opened has reached the application.
          if (!shutdown_called) CHECK(returned.size() + discarded == opened.size(), "ZERO_RETURN with opened data never returned");
        }
      }
      if (ep.get_shutdown() & shutdown_received) {
        CHECK(opened_alert || quiet_shutdown_called || eof_as_close,
              "RECEIVED_SHUTDOWN without an authenticated alert");
      }
    }
    wire.consume(t.outbound, eof_as_close && !(ep.get_shutdown() & shutdown_sent));
    const auto& app = wire.application_data();
    CHECK(app.size() <= attempted, "application data on the wire that no write() was given");
    for (; app_checked < app.size(); ++app_checked)
      CHECK(app[app_checked] == stream_byte(app_checked), "application data on the wire out of order or twice");
    CHECK(app.size() >= written, "write() reported bytes done that are not on the wire");
  }
  return 0;
}
