// fault_injection.cpp — every shutdown exchange of the scenario catalogue, again with a
// transport fault at every byte offset of each direction's stream.
//
// Each scenario (tests/scenarios/*.scn) is interpreted in-process with two closenotify
// endpoints, A (client) and B (server), on a nonblocking memory pipe, single-threaded.
// A call that returns WANT_READ / WANT_WRITE is pending: it is retried before every later
// step (until no side makes progress) and at the end; if it is still pending when its
// side's next step comes, its last result is final (docs/scenarios.md, "Blocking calls").
//
// A clean run records each direction's byte stream and every step's result. Then, for
// every offset k at which a fault can fire, the scenario runs again with one fault at k:
// on the receiving side EOF, a reset or one EAGAIN; on the sending side one EAGAIN, a
// reset or 1-byte writes from k on. Invariants, checked in every run:
//   1. no crash (run it under ASan + UBSan);
//   2. what a side read() is a prefix of what the other side's write()s reported (plus
//      the write still in flight) — nothing duplicated, nothing invented; after an
//      authenticated close_notify and ZERO_RETURN, nothing the peer wrote before its
//      close_notify is missing;
//   3. RECEIVED_SHUTDOWN (or shutdown() == 1) only after an authenticated close_notify
//      (or fatal alert, which OpenSSL 3.0 also lets set it: divergences.md C),
//      quiet_shutdown, or IGNORE_UNEXPECTED_EOF and an EOF;
//   4. the call that meets a read EOF or reset returns <= 0 with SSL_ERROR_SYSCALL or
//      SSL_ERROR_SSL (ZERO_RETURN only for an EOF under IGNORE_UNEXPECTED_EOF); the call
//      that meets a write reset in write / shutdown / do_handshake returns <= 0;
//   5. EAGAIN-once and 1-byte writes change no step's final result — except where a write
//      EAGAIN meets an alert a call writes on the side and the call returns no WANT_*
//      (a fatal alert while failing, a TLS 1.2 no_renegotiation warning while reading):
//      OpenSSL 3.0 leaves such an alert queued or loses it too (ssl3_send_alert,
//      ssl3_dispatch_alert), so those runs are counted and listed, not failed.
//
// Offsets: every offset of every record up to 512 bytes (the shutdown exchanges); the
// bulk 16 KiB application-data records of nonblocking-io.scn are sampled (offsets_for);
// --exhaustive tries every offset. Not modelled: TLS 1.3 session tickets (`tickets N`;
// no handshake happens here, so none are sent), renegotiation (those scenarios skip).
// --trace DIR:KIND:OFFSET prints one run next to the clean run, to reproduce a report.
//
// --dtls runs the scenarios that apply to DTLS 1.2 over a memory datagram pipe instead,
// with the faults a datagram network makes (datagram_fault_transport.hpp): every datagram
// each side writes is, in its own run, dropped, duplicated, delivered after the next one,
// or cut in half. A datagram transport has no EOF and a DTLS write is one whole datagram,
// so the byte-offset faults do not apply. Invariants 1 and 3 hold as they are; invariant 2
// becomes: what a side read is made of whole records the peer wrote (a read may split
// one), each at most once, in any order — nothing duplicated, nothing invented — and,
// without a fault and before its own close_notify, nothing the peer wrote before its
// close_notify is missing after ZERO_RETURN.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "closenotify/alert.hpp"
#include "closenotify/cipher_suite.hpp"
#include "closenotify/endpoint.hpp"
#include "closenotify/hex.hpp"
#include "closenotify/key_schedule.hpp"
#include "closenotify/record_protection.hpp"
#include "closenotify/transport.hpp"
#include "endpoint_verbs.hpp"
#include "datagram_fault_transport.hpp"
#include "fault_transport.hpp"
#include "fixed_keys.hpp"
#include "scenario.hpp"

#ifndef CLOSENOTIFY_SOURCE_ROOT
#define CLOSENOTIFY_SOURCE_ROOT "."
#endif

namespace {

using namespace closenotify;
using closenotify::diff::call_hooks;
using closenotify::diff::call_outcome;
using closenotify::diff::command;
using closenotify::diff::command_verb;
using closenotify::diff::endpoint_call;
using closenotify::diff::scenario;
using closenotify::diff::side_id;
using closenotify::fault::fault_kind;
using closenotify::fault::fault_plan;
using closenotify::fault::fault_transport;
using closenotify::fault::datagram_fault;
using closenotify::fault::datagram_fault_transport;
using closenotify::fault::datagram_plan;

// ---- keys: the fixed keys of the fuzz targets (testkit/fixed_keys.hpp) ----------------------

struct suite_keys {
  const cipher_suite* suite;

  explicit suite_keys(const cipher_suite& s) : suite(&s) {}
  bool tls13() const { return suite->version == protocol_version::tls13; }
  /// at: `sender`'s direction, TLS 1.3 under `secret` (empty: the first one), at `sequence`.
  record_protection at(role sender, bytes_view secret = {}, std::uint64_t sequence = 0) const {
    if (!tls13() || secret.empty()) return fuzz::protection_for(*suite, sender, sequence);
    auto p = record_protection::tls13(*suite, secret, sequence);
    if (auto* e = std::get_if<config_error>(&p)) {
      std::fprintf(stderr, "fault_injection: key set-up failed: %s\n", e->message.c_str());
      std::exit(2);
    }
    return std::move(std::get<record_protection>(p));
  }
};

// ---- what one run observes ---------------------------------------------------------------

/// outcome: a step's final observable result.
struct outcome {
  int ret = 0;
  ssl_error err = ssl_error::none;
  int flags = 0;
  std::string data;  // the bytes read (read, peek, read_all): hex, or length and hash
  std::string note;  // for steps that are not endpoint calls, or were not run
  std::string reason;  // error_reason(), for --trace only: not compared
  bool operator==(const outcome& o) const {
    return ret == o.ret && err == o.err && flags == o.flags && data == o.data && note == o.note;
  }
};

std::string describe(const outcome& o) {
  std::string s = "ret=" + std::to_string(o.ret) + " err=" + std::string(diff::error_name(o.err)) +
                  " flags=" + std::to_string(o.flags);
  if (!o.data.empty()) s += " data=" + o.data;
  if (!o.note.empty()) s += " (" + o.note + ")";
  if (!o.reason.empty()) s += " \"" + o.reason + "\"";
  return s;
}

struct violation {
  int invariant;
  std::string what;
};

/// data_stream: the bytes a side's `write N` / `write_all N` send, N at a time: a
/// long-period sequence per side, so a duplicated or misplaced chunk cannot look like the
/// expected bytes. Computed once; grown only by reserve_data_stream before a run starts,
/// so the views a run holds into it stay valid (bulk scenarios write megabytes, and
/// copying them per run was most of the run time).
std::vector<std::uint8_t>& data_stream(char side) {
  static std::vector<std::uint8_t> streams[2];
  return streams[side == 'A' ? 0 : 1];
}

void reserve_data_stream(char side, std::size_t n) {
  auto& v = data_stream(side);
  for (std::uint64_t i = v.size(); i < n; ++i) {
    std::uint64_t x = i * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(side);
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    v.push_back(static_cast<std::uint8_t>(x >> 32));
  }
}

/// summary: bytes read as a step's observable: hex when short, else length and a hash.
std::string summary(bytes_view b) {
  if (b.size() <= 32) return to_hex(b);
  std::uint64_t h = 0xcbf29ce484222325ull;  // 8 bytes at a time: bulk reads are megabytes
  std::size_t i = 0;
  for (; i + 8 <= b.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, b.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 31;
  }
  for (; i < b.size(); ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  char out[48];
  std::snprintf(out, sizeof out, "%zuB#%016llx", b.size(), static_cast<unsigned long long>(h));
  return out;
}

// ---- one run of one scenario -------------------------------------------------------------

class run {
 public:
  /// The fault goes to `faulty`'s transport (A or B), or nowhere for a clean run. A DTLS
  /// suite runs over a datagram pipe, and `dgram` is the fault of `faulty`'s writes.
  run(const scenario& s, const suite_keys& k, side_id faulty, fault_plan plan, bool capture,
      datagram_plan dgram = {})
      : s_(s),
        keys_(k),
        datagram_(k.suite->version == protocol_version::dtls12),
        pipes_(datagram_, kPipeCapacity),
        a_('A', role::client, pipes_.a(), k, faulty == side_id::a ? plan : fault_plan{},
           faulty == side_id::a ? dgram : datagram_plan{}),
        b_('B', role::server, pipes_.b(), k, faulty == side_id::b ? plan : fault_plan{},
           faulty == side_id::b ? dgram : datagram_plan{}) {
    a_.peer = &b_;
    b_.peer = &a_;
    for (side* x : {&a_, &b_}) {
      x->ep.set_record_observer([this, x](const record_event& e) { observe(*x, e); });
      x->io.capture_writes(capture);
    }
    outcomes_.resize(s.steps.size());
    for (side* x : {&a_, &b_}) {
      std::size_t total = 0;
      for (const auto& st : s.steps) {
        const command c = diff::parse_command(st.command);
        if (st.side == (x == &a_ ? side_id::a : side_id::b) &&
            (c.verb == command_verb::write || c.verb == command_verb::write_all)) {
          total += c.size;
        }
      }
      reserve_data_stream(x->letter, total);
    }
  }

  void execute() {
    for (std::size_t i = 0; i < s_.steps.size(); ++i) perform(i);
    settle();
    give_up(a_);
    give_up(b_);
    for (side* x : {&a_, &b_}) check_data(*x);
  }

  const std::vector<outcome>& outcomes() const { return outcomes_; }
  const std::vector<violation>& violations() const { return violations_; }
  const fault_transport& io(side_id s) const { return s == side_id::a ? a_.io : b_.io; }
  const datagram_fault_transport& datagrams(side_id s) const { return s == side_id::a ? a_.dg : b_.dg; }
  /// absorbed: a write EAGAIN was met by a call that sealed an alert and did not return
  /// WANT_* (the alert was written on the side of a read, or of a failure); names that
  /// call, or is empty.
  const std::string& absorbed() const { return absorbed_; }
  const std::string& absorbed_class() const { return absorbed_class_; }  // "read returned > 0, ..."

 private:
  // 64 KiB per direction: a `write 1000000` fills it and gets WANT_WRITE, as the
  // differential runner's SO_SNDBUF does.
  static constexpr std::size_t kPipeCapacity = 65536;
  // A datagram pipe holds 10 datagrams per direction, as an AF_UNIX SOCK_DGRAM socket
  // does by default (net.unix.max_dgram_qlen), the transport the matrix's DTLS cells use.
  static constexpr std::size_t kDatagramCapacity = 10;

  /// pipes: the stream pipe of TLS runs or the datagram pipe of DTLS runs, nonblocking.
  struct pipes {
    std::unique_ptr<memory_pipe> stream;
    std::unique_ptr<memory_datagram_pipe> datagrams;
    pipes(bool datagram, std::size_t capacity) {
      if (datagram) {
        datagrams = std::make_unique<memory_datagram_pipe>(kDatagramCapacity);
        datagrams->a().set_nonblocking(true);
        datagrams->b().set_nonblocking(true);
      } else {
        stream = std::make_unique<memory_pipe>(capacity);
        stream->a().set_nonblocking(true);
        stream->b().set_nonblocking(true);
      }
    }
    transport& a() { return stream ? static_cast<transport&>(stream->a()) : datagrams->a(); }
    transport& b() { return stream ? static_cast<transport&>(stream->b()) : datagrams->b(); }
    // close: a stream end closes as close(2) over unread bytes (a reset); a datagram end
    // as a SOCK_DGRAM socket's.
    void close(transport& end) {
      if (auto* e = dynamic_cast<memory_pipe::end*>(&end)) e->close(/*reset_on_unread=*/true);
      if (auto* e = dynamic_cast<memory_datagram_pipe::end*>(&end)) e->close();
    }
  };

  /// pending_call: the endpoint call of one step (endpoint_verbs), kept while it is
  /// pending. A write's bytes are in data_stream or hex_buffers_.
  struct pending_call {
    std::size_t step;
    std::string word;  // the verb, for the reports
    endpoint_call call;
  };

  struct side {
    char letter;
    transport& end;
    datagram_fault_transport dg;  // passes everything through unless planned (DTLS)
    fault_transport io;
    endpoint ep;
    side* peer = nullptr;
    bool closed = false;
    std::optional<pending_call> pending;
    // Invariant 2: application bytes read(), bytes the write()s reported (plus injected
    // application data), the write still in flight, and how much was reported before
    // the first close_notify this side put on the wire.
    std::vector<std::uint8_t> received;
    std::vector<std::uint8_t> sent;
    // DTLS: each record's application bytes in `sent` ({offset, size}): the units a read
    // may deliver in any order, or not at all.
    std::vector<std::pair<std::size_t, std::size_t>> records_sent;
    bytes_view inflight;
    std::optional<std::size_t> sent_before_close_notify;
    std::uint64_t generated = 0;  // data_stream index of the next fresh write
    // Invariant 3: authenticated alerts that end the read direction.
    bool opened_close_notify = false;
    bool opened_ending_alert = false;
    bool zero_return = false;
    bool transport_failure_seen = false;
    bool write_failure_seen = false;
    bool sealed_alert = false;  // the current call sealed an alert record
    // inject: a sealer with this side's write keys and its own sequence counter.
    std::optional<record_protection> injector;
    std::uint64_t injector_from = 0;
    std::vector<std::uint8_t> injector_secret;

    side(char l, role r, transport& e, const suite_keys& k, fault_plan plan, datagram_plan dgram)
        : letter(l),
          end(e),
          dg(e, dgram),
          io(dg, plan),
          ep(io, r, k.at(r == role::client ? role::server : role::client), k.at(r)) {}
  };

  side& of(side_id id) { return id == side_id::a ? a_ : b_; }

  void flag(int invariant, const side& x, std::size_t step, const std::string& what) {
    for (const auto& v : violations_)
      if (v.invariant == invariant) return;  // the first of each kind per run is enough
    violations_.push_back({invariant, std::string(1, x.letter) + " step " + std::to_string(step + 1) + " (" +
                                          s_.steps[step].command.substr(0, 40) + "): " + what});
  }

  void observe(side& x, const record_event& e) {
    if (e.type != content_type::alert || e.plaintext.size() != 2) return;
    const alert a{static_cast<alert_level>(e.plaintext[0]), static_cast<alert_description>(e.plaintext[1])};
    if (e.sent) {
      x.sealed_alert = true;
      if (a.description == alert_description::close_notify && !x.sent_before_close_notify) {
        x.sent_before_close_notify = x.sent.size();
      }
      return;
    }
    const auto effect = classify_received_alert(a, x.ep.read_protection().version()).effect;
    if (effect == alert_effect::close_notify) x.opened_close_notify = true;
    if (effect == alert_effect::close_notify || effect == alert_effect::peer_fatal) x.opened_ending_alert = true;
  }

  // ---- endpoint calls and the invariants checked after each ----

  // call_snapshot: the side as a call found it, for the checks after it.
  struct call_snapshot {
    std::uint64_t eofs = 0, read_errors = 0, write_errors = 0, fired = 0;
    bool received_before = false;
  };

  call_snapshot before_call(side& x) {
    x.sealed_alert = false;
    return {x.io.eofs_returned(), x.io.read_errors_returned(), x.io.write_errors_returned(), x.io.fired(),
            (x.ep.get_shutdown() & shutdown_received) != 0};
  }

  void after_call(side& x, const pending_call& c, const call_snapshot& before, int ret) {
    const command_verb verb = c.call.verb;
    const ssl_error err = x.ep.get_error(ret);
    const int flags = x.ep.get_shutdown();
    const auto& opt = x.ep.options();
    const std::string seen = "ret=" + std::to_string(ret) + " " + std::string(to_string(err)) +
                             " flags=" + std::to_string(flags);
    const bool got_eof = x.io.eofs_returned() > before.eofs;
    if (!x.transport_failure_seen && (got_eof || x.io.read_errors_returned() > before.read_errors)) {
      x.transport_failure_seen = true;
      // A reset met by a call made after the peer's close_notify (a write or a handshake
      // step still reading a post-handshake message's body: scenario
      // post-message-body-pending-close-notify-found-by-write) leaves nothing in the error
      // queue, and SSL_get_error checks RECEIVED before it falls back to SYSCALL: OpenSSL
      // 3.0 says ZERO_RETURN too. The call still fails (ret <= 0).
      const bool reported = ret <= 0 && (err == ssl_error::ssl || err == ssl_error::syscall ||
                                         (got_eof && opt.ignore_unexpected_eof && err == ssl_error::zero_return) ||
                                         (before.received_before && err == ssl_error::zero_return));
      if (!reported) flag(4, x, c.step, std::string(got_eof ? "EOF" : "reset") + " not reported: " + seen);
    }
    if (!x.write_failure_seen && x.io.write_errors_returned() > before.write_errors) {
      x.write_failure_seen = true;
      const bool writes = verb == command_verb::write || verb == command_verb::write_hex ||
                          verb == command_verb::write_all || verb == command_verb::shutdown ||
                          verb == command_verb::do_handshake;
      if (writes && ret > 0) flag(4, x, c.step, "write failure not reported: " + seen);
    }
    if ((flags & shutdown_received) || (verb == command_verb::shutdown && ret == 1)) {
      const bool allowed = x.opened_ending_alert || opt.quiet_shutdown ||
                           (opt.ignore_unexpected_eof && x.io.eofs_returned() > 0);
      if (!allowed) flag(3, x, c.step, "shutdown complete without an authenticated close_notify: " + seen);
    }
    const auto kind = x.io.plan().kind;
    const bool wants = ret <= 0 && (err == ssl_error::want_read || err == ssl_error::want_write);
    if (x.io.fired() > before.fired && kind == fault_kind::write_eagain && !wants && x.sealed_alert &&
        absorbed_.empty()) {
      absorbed_ = std::string(1, x.letter) + " step " + std::to_string(c.step + 1) + " (" +
                  s_.steps[c.step].command.substr(0, 40) + "): " + seen;
      absorbed_class_ = c.word + " returned " + (ret > 0 ? std::string("> 0") : std::to_string(ret)) + ", " +
                        std::string(to_string(err));
    }
    if (err == ssl_error::zero_return &&
        (verb == command_verb::read || verb == command_verb::peek || verb == command_verb::read_all)) {
      x.zero_return = true;
    }
  }

  /// checked_calls: the checks above around every endpoint call a step makes (a read_all
  /// makes several). It waits for nothing: a WANT_* leaves the call pending, and settle
  /// tries it again once the other side has made room or sent bytes, so read_all and
  /// write_all need no loop of their own here.
  class checked_calls final : public call_hooks {
   public:
    checked_calls(run& r, side& x, const pending_call& c) : r_(r), x_(x), c_(c) {}
    void before_call() override { before_ = r_.before_call(x_); }
    void after_call(int ret) override { r_.after_call(x_, c_, before_, ret); }

   private:
    run& r_;
    side& x_;
    const pending_call& c_;
    call_snapshot before_;
  };

  void wrote(side& x, bytes_view data, int ret) {
    if (ret > 0) {
      x.records_sent.emplace_back(x.sent.size(), static_cast<std::size_t>(ret));
      x.sent.insert(x.sent.end(), data.begin(), data.begin() + ret);
      x.inflight = {};
    } else if (data.size() > x.inflight.size()) {
      x.inflight = data;
    }
  }

  bytes_view fresh(side& x, std::size_t n) {
    // A write of the same size as the one still in flight is its retry (docs/scenarios.md).
    if (!x.inflight.empty() && x.inflight.size() == n) return x.inflight;
    const auto v = bytes_view{data_stream(x.letter)}.subspan(x.generated, n);
    x.generated += n;
    return v;
  }

  /// attempt: one try of a call; false if it is pending (WANT_READ / WANT_WRITE).
  bool attempt(side& x, pending_call& c) {
    outcome& o = outcomes_[c.step];
    o = {};
    endpoint_call& call = c.call;
    const std::size_t had = call.got.size();  // a read_all's bytes of earlier tries
    checked_calls checks(*this, x, c);
    const call_outcome r = diff::perform(x.ep, call, checks);
    switch (call.verb) {
      case command_verb::read:
      case command_verb::read_all:
        x.received.insert(x.received.end(), call.got.begin() + static_cast<std::ptrdiff_t>(had), call.got.end());
        break;
      case command_verb::write:
      case command_verb::write_hex:
      case command_verb::write_all: wrote(x, call.data, r.ret); break;
      default: break;
    }
    o.ret = r.ret;
    o.err = r.err;
    o.flags = r.flags;
    o.reason = std::string(r.reason);
    // A read_all's bytes are summarised when it ends or is given up, not at every retry.
    if (call.verb == command_verb::read || call.verb == command_verb::peek ||
        (!r.pending() && call.verb == command_verb::read_all)) {
      o.data = summary(call.got);
    }
    return !r.pending();
  }

  /// give_up: a call still pending when its side's next step comes (or at the end): its
  /// last result is final.
  void give_up(side& x) {
    if (x.pending && x.pending->call.verb == command_verb::read_all) {
      outcomes_[x.pending->step].data = summary(x.pending->call.got);
    }
    x.pending.reset();
  }

  // progressed: whether any byte moved or a fault fired since the last time it was asked.
  bool progressed() {
    const std::uint64_t now = a_.io.read_offset() + a_.io.write_offset() + b_.io.read_offset() +
                              b_.io.write_offset() + a_.io.fired() + b_.io.fired() + a_.dg.written() +
                              b_.dg.written();
    const bool moved = now != progress_mark_;
    progress_mark_ = now;
    return moved;
  }

  /// settle: retry the pending calls until none completes and no byte moves.
  void settle() {
    progressed();
    for (int round = 0; round < 100000; ++round) {
      bool completed = false;
      for (side* x : {&a_, &b_}) {
        if (x->pending && attempt(*x, *x->pending)) {
          x->pending.reset();
          completed = true;
        }
      }
      if (!progressed() && !completed) return;
    }
    violations_.push_back({1, "the pending calls still make progress after 100000 rounds (a livelock)"});
  }

  // ---- steps ----

  void perform(std::size_t i) {
    const auto& st = s_.steps[i];
    side& x = of(st.side);
    a_.dg.release();
    b_.dg.release();
    settle();
    outcome& o = outcomes_[i];
    if (st.is_wait()) {
      o.note = x.pending ? "still pending" : "returned";
      return;
    }
    give_up(x);
    if (x.closed) {
      o.note = "not run: closed";
      return;
    }
    if (st.verb() == "datagram") {
      o.note = datagram_step(x, st.command);
      return;
    }
    const command cmd = diff::parse_command(st.command);
    pending_call c{i, cmd.word, {}};
    switch (cmd.verb) {
      case command_verb::write:
      case command_verb::write_all: c.call = diff::call_for(cmd, fresh(x, cmd.size)); break;
      case command_verb::write_hex: {
        const auto& bytes = hex_buffers_.emplace_back(std::get<std::vector<std::uint8_t>>(from_hex(cmd.argument)));
        c.call = diff::call_for(cmd, bytes);
        break;
      }
      case command_verb::set:
        if (!diff::apply_option(x.ep, cmd.argument)) return unsupported(x, i);
        o.note = "set";
        return;
      case command_verb::shutdown_write:
        x.io.shutdown_write();
        o.note = "shutdown_write";
        return;
      case command_verb::close:
        pipes_.close(x.end);
        x.closed = true;
        o.note = "closed";
        return;
      case command_verb::raw:
        o.note = raw(x, cmd.argument == "-" ? std::vector<std::uint8_t>{}
                                            : std::get<std::vector<std::uint8_t>>(from_hex(cmd.argument)));
        return;
      case command_verb::inject: o.note = inject(x, st.command); return;
      default:
        if (!diff::calls_endpoint(cmd.verb)) return unsupported(x, i);
        c.call = diff::call_for(cmd);
    }
    if (!attempt(x, c)) x.pending = std::move(c);
  }

  // unsupported: a step this harness cannot run would leave the scenario silently
  // untested from there on; it is counted against the run, so a new verb is noticed.
  void unsupported(const side& x, std::size_t i) {
    outcomes_[i].note = "unsupported step";
    violations_.push_back({0, std::string(1, x.letter) + " step " + std::to_string(i + 1) + " (" +
                                  s_.steps[i].command.substr(0, 40) + "): the fault harness cannot run this step"});
  }

  /// raw: bytes straight onto the transport (through the fault), as a socket write loop
  /// would send them: a short write, or an EAGAIN or two in a row, is retried.
  std::string raw(side& x, bytes_view bytes) {
    // `raw -` in a DTLS scenario: one zero-length datagram (send_raw sends nothing for no bytes).
    if (datagram_ && bytes.empty()) return "raw: " + std::string(to_string(x.io.write(bytes).status));
    return "raw: " + std::string(to_string(diff::send_raw(x.io, bytes, [](int in_a_row) { return in_a_row < 3; })));
  }

  std::string inject(side& x, const std::string& command) {
    auto parsed = diff::parse_injection(command);
    if (auto* e = std::get_if<tools::error>(&parsed)) return e->message;
    const auto& in = std::get<diff::injection>(parsed);
    const auto t = in.type;
    const auto& plaintext = in.plaintext;
    const auto pad = in.padding;
    if (in.epoch || in.sequence_number) return inject_at(x, in);
    // The injector starts at the side's current write keys and sequence number and then
    // counts on its own; it starts again if the endpoint has written since.
    const auto& w = x.ep.write_protection();
    const auto secret = w.traffic_secret();
    if (!x.injector || x.injector_from != w.sequence_number() ||
        !std::equal(secret.begin(), secret.end(), x.injector_secret.begin(), x.injector_secret.end())) {
      x.injector = keys_.at(x.letter == 'A' ? role::client : role::server, secret, w.sequence_number());
      x.injector_from = w.sequence_number();
      x.injector_secret.assign(secret.begin(), secret.end());
    }
    std::vector<std::uint8_t> out(x.injector->sealed_size(plaintext.size(), pad));
    // seal_hostile: injected records are hostile input by design (docs/scenarios.md).
    auto sealed = x.injector->seal_hostile(t, plaintext, out, pad);
    if (auto* f = std::get_if<fatal>(&sealed)) return "inject: cannot seal: " + std::string(f->reason);
    out.resize(std::get<std::size_t>(sealed));
    const std::string sent = raw(x, out);
    if (sent != "raw: ok") return "inject " + sent;  // a record cut short never opens
    if (t == static_cast<std::uint8_t>(content_type::application_data)) {
      x.records_sent.emplace_back(x.sent.size(), plaintext.size());
      x.sent.insert(x.sent.end(), plaintext.begin(), plaintext.end());
    }
    if (t == static_cast<std::uint8_t>(content_type::alert) && plaintext.size() == 2 && plaintext[1] == 0 &&
        !x.sent_before_close_notify) {
      x.sent_before_close_notify = x.sent.size();
    }
    return "inject " + sent;
  }

  // inject_at (DTLS): a record at a chosen epoch and sequence number (`inject ... epoch N
  // seq N`), sealed apart from the side's own counter; an application record counts as sent.
  std::string inject_at(side& x, const diff::injection& in) {
    const role sender = x.letter == 'A' ? role::client : role::server;
    const auto& w = x.ep.write_protection();
    auto p = record_protection::dtls12(*keys_.suite, fuzz::fixed_traffic_keys(*keys_.suite, sender),
                                       in.epoch.value_or(w.epoch()), in.sequence_number.value_or(w.sequence_number()));
    if (auto* e = std::get_if<config_error>(&p)) return "inject: " + e->message;
    auto& prot = std::get<record_protection>(p);
    std::vector<std::uint8_t> out(prot.sealed_size(in.plaintext.size(), in.padding));
    auto sealed = prot.seal_hostile(in.type, in.plaintext, out, in.padding);
    if (auto* f = std::get_if<fatal>(&sealed)) return "inject: cannot seal: " + std::string(f->reason);
    out.resize(std::get<std::size_t>(sealed));
    const std::string sent = raw(x, out);
    if (in.type == static_cast<std::uint8_t>(content_type::application_data)) {
      x.records_sent.emplace_back(x.sent.size(), in.plaintext.size());
      x.sent.insert(x.sent.end(), in.plaintext.begin(), in.plaintext.end());
    }
    return "inject " + sent;
  }

  /// datagram_step (DTLS): a scenario's `datagram ...` step on the datagrams queued for x.
  std::string datagram_step(side& x, const std::string& command) {
    auto parsed = diff::parse_datagram_fault(command);
    if (auto* e = std::get_if<tools::error>(&parsed)) return e->message;
    const auto& f = std::get<diff::datagram_fault>(parsed);
    if (!pipes_.datagrams) return "datagram: not a datagram transport";
    auto& queue = x.letter == 'A' ? pipes_.datagrams->a() : pipes_.datagrams->b();
    const std::size_t i = f.index == 0 ? 0 : f.index - 1;
    bool done = false;
    switch (f.what) {
      case diff::datagram_fault::kind::drop: done = queue.drop(i); break;
      case diff::datagram_fault::kind::duplicate: done = queue.duplicate(i); break;
      case diff::datagram_fault::kind::reorder: done = queue.reorder(i); break;
      case diff::datagram_fault::kind::truncate: done = queue.truncate(i, f.length); break;
      case diff::datagram_fault::kind::replay: {
        const auto& history = x.peer->dg.sent();
        if (f.index >= 1 && f.index <= history.size()) {
          queue.inject(history[history.size() - f.index]);
          done = true;
        }
        break;
      }
    }
    return std::string("datagram ") + std::string(diff::to_string(f.what)) + (done ? "" : ": nothing there");
  }

  // ---- invariant 2, at the end ----

  void check_data(side& x) {
    if (datagram_) return check_records(x);
    const side& y = *x.peer;
    const std::size_t n = x.received.size();
    const bool prefix = n <= y.sent.size() + y.inflight.size();
    if (prefix) {
      const std::size_t head = std::min(n, y.sent.size());
      const bool same = std::equal(x.received.begin(), x.received.begin() + head, y.sent.begin()) &&
                        std::equal(x.received.begin() + head, x.received.end(), y.inflight.begin());
      if (!same) {
        violations_.push_back({2, std::string(1, x.letter) + " read " + std::to_string(n) +
                                      " bytes that are not what the peer wrote (a byte differs)"});
        return;
      }
    }
    if (!prefix) {
      violations_.push_back({2, std::string(1, x.letter) + " read " + std::to_string(n) + " bytes, the peer wrote " +
                                    std::to_string(y.sent.size()) + " (+" + std::to_string(y.inflight.size()) +
                                    " in flight)"});
      return;
    }
    if (x.zero_return && x.opened_close_notify && y.sent_before_close_notify && n < *y.sent_before_close_notify) {
      violations_.push_back({2, std::string(1, x.letter) + " saw ZERO_RETURN after reading " + std::to_string(n) +
                                    " bytes; the peer wrote " + std::to_string(*y.sent_before_close_notify) +
                                    " before its close_notify"});
    }
  }

  // check_records (DTLS): `x` read whole records of the peer's, each at most once, in
  // any order; only the last may have been read in part.
  void check_records(side& x) {
    const side& y = *x.peer;
    std::vector<bool> used(y.records_sent.size(), false);
    std::size_t pos = 0;
    const auto& got = x.received;
    while (pos < got.size()) {
      bool matched = false;
      for (std::size_t r = 0; r < y.records_sent.size() && !matched; ++r) {
        if (used[r]) continue;
        const auto [off, size] = y.records_sent[r];
        const std::size_t n = std::min(size, got.size() - pos);
        if (!std::equal(got.begin() + static_cast<std::ptrdiff_t>(pos), got.begin() + static_cast<std::ptrdiff_t>(pos + n),
                        y.sent.begin() + static_cast<std::ptrdiff_t>(off))) {
          continue;
        }
        used[r] = matched = true;
        pos += n;
      }
      if (!matched) {
        violations_.push_back({2, std::string(1, x.letter) + " read bytes at offset " + std::to_string(pos) +
                                      " that are no record the peer wrote, or one read twice"});
        return;
      }
    }
    // Data may be missing after ZERO_RETURN for two good reasons: a datagram was lost, or
    // `x` had sent its own close_notify, after which dtls1_read_bytes throws away every
    // record that is not an alert ("If we get here, then type != rr->type" ... SENT).
    const bool faulted = a_.dg.fired() || b_.dg.fired();
    if (!faulted && !x.sent_before_close_notify && x.zero_return && x.opened_close_notify && y.sent_before_close_notify &&
        got.size() < *y.sent_before_close_notify) {
      violations_.push_back({2, std::string(1, x.letter) + " saw ZERO_RETURN after reading " +
                                    std::to_string(got.size()) + " bytes; the peer wrote " +
                                    std::to_string(*y.sent_before_close_notify) +
                                    " before its close_notify, and no datagram was lost"});
    }
  }

  const scenario& s_;
  const suite_keys& keys_;
  bool datagram_;
  pipes pipes_;
  side a_;
  side b_;
  std::vector<outcome> outcomes_;
  std::vector<violation> violations_;
  std::deque<std::vector<std::uint8_t>> hex_buffers_;  // write_hex bytes, at stable addresses
  std::string absorbed_;
  std::string absorbed_class_;
  std::uint64_t progress_mark_ = 0;
};

// ---- the driver ----------------------------------------------------------------------

struct options {
  std::string scenario;
  bool all_suites = false;
  bool quiet = false;
  bool dtls = false;  // the DTLS 1.2 suites over a datagram pipe, with datagram faults
  std::string directory = CLOSENOTIFY_SOURCE_ROOT "/tests/scenarios";
  bool exhaustive = false;  // every offset, also inside bulk records (see offsets_for)
  // --trace A->B:read-eof:17: only that run, printed step by step next to the clean run.
  std::optional<std::tuple<std::string, fault_kind, std::uint64_t>> trace;
};

constexpr fault_kind kReadKinds[] = {fault_kind::read_eof, fault_kind::read_reset, fault_kind::read_eagain};
constexpr fault_kind kWriteKinds[] = {fault_kind::write_eagain, fault_kind::write_reset, fault_kind::write_one_byte};

bool transparent(fault_kind k) {
  return k == fault_kind::read_eagain || k == fault_kind::write_eagain || k == fault_kind::write_one_byte;
}

/// segments: the captured stream cut into records ({start, size}), best effort: bytes
/// that do not frame (a `raw` step's) end the walk as one segment.
std::vector<std::pair<std::uint64_t, std::uint64_t>> segments(const std::vector<std::uint8_t>& wire) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  std::size_t pos = 0;
  while (pos + 5 <= wire.size()) {
    const std::size_t size = 5 + (static_cast<std::size_t>(wire[pos + 3]) << 8 | wire[pos + 4]);
    out.emplace_back(pos, std::min(size, wire.size() - pos));
    pos += size;
  }
  if (pos < wire.size()) out.emplace_back(pos, wire.size() - pos);
  return out;
}

/// offsets_for: the offsets below `limit` (the range where the fault can fire at all) to
/// put the fault at. Every offset of every record up to kSmallRecord bytes: alerts,
/// KeyUpdates, tickets, short application data, raw bytes — the shutdown exchanges. The
/// bulk application-data records of nonblocking-io.scn (runs of 16 KiB records, up to
/// 1 MB, every fault run paying for the whole transfer) are sampled: the header bytes and
/// the first and last body bytes of the first two and last two large records, and
/// kLargeSamples offsets spread evenly over all large records' bytes. `exhaustive` takes
/// every offset (slow: hours for the catalogue).
constexpr std::uint64_t kSmallRecord = 512;
constexpr std::uint64_t kLargeSamples = 32;

std::vector<std::uint64_t> offsets_for(std::uint64_t limit, const std::vector<std::uint8_t>& wire, bool exhaustive,
                                       std::uint64_t& skipped) {
  std::set<std::uint64_t> set;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> large;
  std::uint64_t large_bytes = 0;
  for (auto [start, size] : segments(wire)) {
    if (exhaustive || size <= kSmallRecord) {
      for (std::uint64_t k = start; k < start + size; ++k) set.insert(k);
    } else {
      large.emplace_back(start, size);
      large_bytes += size;
    }
  }
  for (std::uint64_t k = wire.size(); k < limit; ++k) set.insert(k);  // past the last byte written
  for (std::size_t i = 0; i < large.size(); ++i) {
    if (i >= 2 && i + 2 < large.size()) continue;  // the records in between are alike
    const auto [start, size] = large[i];
    for (std::uint64_t k = start; k < start + 6; ++k) set.insert(k);
    set.insert(start + size - 1);
  }
  if (large_bytes > 0) {
    const std::uint64_t stride = std::max<std::uint64_t>(1, large_bytes / kLargeSamples);
    std::uint64_t seen = 0;
    for (auto [start, size] : large) {
      for (std::uint64_t k = (stride - seen % stride) % stride; k < size; k += stride) set.insert(start + k);
      seen += size;
    }
  }
  std::vector<std::uint64_t> out;
  for (std::uint64_t k : set)
    if (k < limit) out.push_back(k);
  skipped += limit - out.size();
  return out;
}

struct totals {
  std::size_t scenarios_run = 0;
  std::map<std::string, std::size_t> skipped;  // reason -> scenarios
  std::size_t cells = 0;
  std::uint64_t offsets_tried = 0;
  std::uint64_t offsets_sampled_out = 0;  // inside bulk records, not tried
  std::map<fault_kind, std::uint64_t> runs;
  std::map<datagram_fault, std::uint64_t> datagram_runs;
  // unfired: runs whose fault never fired (the run ended before reaching its offset, as
  // when an earlier failure stopped the traffic): they check no more than the clean run.
  std::map<fault_kind, std::uint64_t> unfired;
  std::map<std::string, std::pair<std::uint64_t, std::string>> absorbed;  // class -> runs, first example
  std::uint64_t total_runs = 0;
  std::vector<std::string> violations;
};

/// run_cell: one scenario with one suite: the clean run, then every fault at every
/// offset. Returns the number of fault runs.
std::uint64_t run_cell(const scenario& s, const suite_keys& keys, const options& opt, totals& t) {
  const std::string where = s.name + " " + std::string(keys.suite->name);
  auto report = [&](const std::string& direction, fault_kind kind, const std::string& offset,
                    const std::vector<violation>& vs) {
    for (const auto& v : vs) {
      t.violations.push_back("VIOLATION " + where + " " + direction + " " + std::string(fault::to_string(kind)) +
                             " @" + offset + " invariant " + std::to_string(v.invariant) + ": " + v.what);
    }
  };
  run clean(s, keys, side_id::a, {}, true);
  clean.execute();
  report("-", fault_kind::none, "-", clean.violations());
  ++t.total_runs;
  std::uint64_t runs = 0;
  for (side_id sender : {side_id::a, side_id::b}) {
    const side_id receiver = sender == side_id::a ? side_id::b : side_id::a;
    const std::string direction = sender == side_id::a ? "A->B" : "B->A";
    const auto& tx = clean.io(sender);
    const auto& rx = clean.io(receiver);
    const std::uint64_t read_limit = std::max(rx.read_offset(), rx.furthest_read_attempt() + 1);
    const std::uint64_t write_limit = std::max(tx.write_offset(), tx.furthest_write_attempt() + 1);
    const auto read_offsets = offsets_for(read_limit, tx.captured(), opt.exhaustive, t.offsets_sampled_out);
    const auto write_offsets = offsets_for(write_limit, tx.captured(), opt.exhaustive, t.offsets_sampled_out);
    t.offsets_tried += read_offsets.size() + write_offsets.size();
    for (fault_kind kind : {kReadKinds[0], kReadKinds[1], kReadKinds[2], kWriteKinds[0], kWriteKinds[1], kWriteKinds[2]}) {
      const bool read_side = fault::on_read_side(kind);
      for (std::uint64_t k : read_side ? read_offsets : write_offsets) {
        if (opt.trace && *opt.trace != std::tuple{direction, kind, k}) continue;
        run r(s, keys, read_side ? receiver : sender, fault_plan{kind, k}, false);
        r.execute();
        if (opt.trace) {
          std::printf("%s %s %s @%llu (fired %llu times)\n", where.c_str(), direction.c_str(),
                      std::string(fault::to_string(kind)).c_str(), static_cast<unsigned long long>(k),
                      static_cast<unsigned long long>(r.io(read_side ? receiver : sender).fired()));
          for (std::size_t i = 0; i < s.steps.size(); ++i) {
            std::printf("  %2zu %c %-28s %s\n       %-30s clean: %s\n", i + 1, diff::side_letter(s.steps[i].side),
                        s.steps[i].command.substr(0, 28).c_str(), describe(r.outcomes()[i]).c_str(), "",
                        describe(clean.outcomes()[i]).c_str());
          }
          if (!r.absorbed().empty()) std::printf("  absorbed: %s\n", r.absorbed().c_str());
        }
        auto vs = r.violations();
        if (transparent(kind) && !r.absorbed().empty()) {
          // Not a WANT_* the interpreter can retry: the EAGAIN hit an alert a call writes
          // on the side (a fatal alert while failing, a no_renegotiation warning while
          // reading), and that alert is left queued or dropped exactly as OpenSSL 3.0's
          // ssl3_send_alert / ssl3_dispatch_alert leave it. Invariants 2-4 still hold.
          auto& [n, example] = t.absorbed[r.absorbed_class()];
          if (n++ == 0) {
            example = s.name + " " + std::string(keys.suite->name) + " " + direction + " " +
                      std::string(fault::to_string(kind)) + " @" + std::to_string(k) + ": " + r.absorbed();
          }
        } else if (transparent(kind)) {
          for (std::size_t i = 0; i < s.steps.size(); ++i) {
            if (r.outcomes()[i] == clean.outcomes()[i]) continue;
            vs.push_back({5, std::string(1, diff::side_letter(s.steps[i].side)) + " step " + std::to_string(i + 1) +
                                 " (" + s.steps[i].command.substr(0, 40) + "): " + describe(r.outcomes()[i]) +
                                 ", clean run: " + describe(clean.outcomes()[i])});
            break;
          }
        }
        report(direction, kind, std::to_string(k), vs);
        ++t.runs[kind];
        if (r.io(read_side ? receiver : sender).fired() == 0) ++t.unfired[kind];
        ++runs;
      }
    }
  }
  t.total_runs += runs;
  return runs;
}

/// run_datagram_cell (DTLS): the clean run, then each fault on each datagram either side
/// wrote in it. Returns the number of fault runs.
std::uint64_t run_datagram_cell(const scenario& s, const suite_keys& keys, totals& t) {
  const std::string where = s.name + " " + std::string(keys.suite->name);
  auto report = [&](const std::string& what, const std::vector<violation>& vs) {
    for (const auto& v : vs) {
      t.violations.push_back("VIOLATION " + where + " " + what + " invariant " + std::to_string(v.invariant) + ": " +
                             v.what);
    }
  };
  run clean(s, keys, side_id::a, {}, false);
  clean.execute();
  report("-", clean.violations());
  ++t.total_runs;
  std::uint64_t runs = 0;
  for (side_id sender : {side_id::a, side_id::b}) {
    const std::string direction = sender == side_id::a ? "A->B" : "B->A";
    for (std::uint64_t k = 0; k < clean.datagrams(sender).written(); ++k) {
      for (datagram_fault kind : fault::kDatagramFaults) {
        run r(s, keys, sender, {}, false, datagram_plan{kind, k});
        r.execute();
        report(direction + " " + std::string(fault::to_string(kind)) + " datagram " + std::to_string(k),
               r.violations());
        ++t.datagram_runs[kind];
        ++runs;
      }
    }
  }
  t.total_runs += runs;
  return runs;
}

int usage() {
  std::fprintf(stderr,
               "usage: fault_injection [--scenario NAME] [--all-suites] [--quiet] [--scenarios DIR]\n"
               "                       [--exhaustive] [--trace DIR:KIND:OFFSET] [--dtls]\n"
               "  --dtls: the DTLS 1.2 suites over a datagram pipe, each datagram dropped, duplicated,\n"
               "          reordered or truncated in turn\n"
               "  KIND: read-eof read-reset read-eagain write-eagain write-reset write-1byte; DIR: A->B or B->A\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--scenario" && i + 1 < argc) opt.scenario = argv[++i];
    else if (a == "--scenarios" && i + 1 < argc) opt.directory = argv[++i];
    else if (a == "--exhaustive") opt.exhaustive = true;
    else if (a == "--all-suites") opt.all_suites = true;
    else if (a == "--dtls") opt.dtls = true;
    else if (a == "--trace" && i + 1 < argc) {
      // DIR:KIND:OFFSET, e.g. A->B:write-eagain:0
      const std::string v = argv[++i];
      const auto c1 = v.find(':'), c2 = v.rfind(':');
      if (c1 == std::string::npos || c1 == c2) return usage();
      fault_kind kind = fault_kind::none;
      for (fault_kind k : {kReadKinds[0], kReadKinds[1], kReadKinds[2], kWriteKinds[0], kWriteKinds[1], kWriteKinds[2]})
        if (fault::to_string(k) == v.substr(c1 + 1, c2 - c1 - 1)) kind = k;
      if (kind == fault_kind::none) return usage();
      opt.trace = std::tuple{v.substr(0, c1), kind, std::stoull(v.substr(c2 + 1))};
    }
    else if (a == "--quiet") opt.quiet = true;
    else return usage();
  }
  auto loaded = diff::load_scenarios(opt.directory);
  if (auto* e = std::get_if<tools::error>(&loaded)) {
    std::fprintf(stderr, "fault_injection: %s\n", e->message.c_str());
    return 2;
  }
  const auto& catalogue = std::get<std::vector<scenario>>(loaded);

  // One TLS 1.3 and one TLS 1.2 suite of the matrix, or all six; with --dtls, one DTLS
  // 1.2 suite (AES-128-GCM), or all three.
  std::vector<suite_keys> suites;
  bool have13 = false, have12 = false;
  if (opt.dtls) {
    for (const cipher_suite& c : dtls12_cipher_suites()) {
      if (opt.all_suites || suites.empty()) suites.emplace_back(c);
    }
  } else {
    for (const cipher_suite* c : matrix_cipher_suites()) {
      bool& have = c->version == protocol_version::tls13 ? have13 : have12;
      if (opt.all_suites || !have) suites.emplace_back(*c);
      have = true;
    }
  }

  const auto start = std::chrono::steady_clock::now();
  totals t;
  bool found = opt.scenario.empty();
  for (const scenario& s : catalogue) {
    if (!opt.scenario.empty() && s.name != opt.scenario) continue;
    found = true;
    const auto began = std::chrono::steady_clock::now();
    std::string skip;
    for (const auto& st : s.steps) {
      if (st.verb() == "renegotiate") skip = "renegotiate: closenotify never renegotiates";
    }
    std::uint64_t runs = 0;
    std::size_t cells = 0;
    const std::size_t violations_before = t.violations.size();
    std::vector<std::string> cell_skips;
    if (skip.empty()) {
      for (const auto& keys : suites) {
        diff::cell c{std::string(keys.suite->name), keys.tls13(), /*a_is_client=*/true, /*blocking=*/false};
        c.datagram = opt.dtls;
        if (auto why = diff::skip_reason(s, c)) {
          cell_skips.push_back(*why);
          continue;
        }
        runs += opt.dtls ? run_datagram_cell(s, keys, t) : run_cell(s, keys, opt, t);
        ++cells;
      }
      if (cells == 0) skip = cell_skips.front();
    }
    if (!skip.empty()) {
      ++t.skipped[skip];
      if (!opt.quiet) std::printf("skip %-55s %s\n", s.name.c_str(), skip.c_str());
      continue;
    }
    ++t.scenarios_run;
    t.cells += cells;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
    if (!opt.quiet) {
      std::printf("ok   %-55s %zu suite(s), %7llu runs, %zu violation(s), %lld ms\n", s.name.c_str(), cells,
                  static_cast<unsigned long long>(runs), t.violations.size() - violations_before,
                  static_cast<long long>(ms.count()));
      std::fflush(stdout);
    }
  }
  if (!found) {
    std::fprintf(stderr, "fault_injection: no scenario named '%s'\n", opt.scenario.c_str());
    return 2;
  }

  for (const auto& v : t.violations) std::printf("%s\n", v.c_str());
  std::size_t skipped = 0;
  for (const auto& [why, n] : t.skipped) skipped += n;
  std::printf("skipped scenarios:\n");
  for (const auto& [why, n] : t.skipped) std::printf("  %3zu  %s\n", n, why.c_str());
  std::printf("runs per fault:");
  for (const auto& [kind, n] : t.runs) std::printf(" %s %llu", std::string(fault::to_string(kind)).c_str(),
                                                   static_cast<unsigned long long>(n));
  for (const auto& [kind, n] : t.datagram_runs) {
    std::printf(" %s %llu", std::string(fault::to_string(kind)).c_str(), static_cast<unsigned long long>(n));
  }
  std::printf("\n");
  if (!opt.dtls) {  // a datagram fault always fires: it is planned on a datagram the clean run wrote
    std::printf("of which the fault never fired (the run stopped short of its offset):");
    for (const auto& [kind, n] : t.runs) {
      std::printf(" %s %llu", std::string(fault::to_string(kind)).c_str(),
                  static_cast<unsigned long long>(t.unfired[kind]));
    }
    std::printf("\n");
  }
  if (!t.absorbed.empty()) {
    std::printf("write-eagain runs where the EAGAIN hit an alert written on the side of a call that returned no\n"
                "WANT_* (the alert is left queued or lost, as in OpenSSL 3.0; invariant 5 not applied, 2-4 checked):\n");
    for (const auto& [cls, v] : t.absorbed) {
      std::printf("  %6llu  %s\n          e.g. %s\n", static_cast<unsigned long long>(v.first), cls.c_str(),
                  v.second.c_str());
    }
  }
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!opt.dtls) {
    std::printf("offsets: %llu faulted (read and write ranges of both directions), %llu inside bulk records not "
                "tried%s\n",
                static_cast<unsigned long long>(t.offsets_tried), static_cast<unsigned long long>(t.offsets_sampled_out),
                opt.exhaustive ? "" : " (--exhaustive tries them)");
  }
  std::printf("fault_injection: %zu scenarios run, %zu skipped; %zu scenario x suite cells; %llu runs; "
              "%zu violations; %.1f s\n",
              t.scenarios_run, skipped, t.cells, static_cast<unsigned long long>(t.total_runs), t.violations.size(),
              secs);
  return t.violations.empty() ? 0 : 1;
}
