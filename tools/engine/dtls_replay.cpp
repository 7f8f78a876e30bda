// dtls_replay.cpp — a fuzz_dtls_endpoint input (testkit/dtls_script.hpp) as a case of the
// DTLS 1.2 cells: B, the live OpenSSL peer, sends the script's records and datagrams, A
// makes its calls. See replay.hpp.
#include <algorithm>

#include "closenotify/dtls_record_framing.hpp"
#include "closenotify/hex.hpp"
#include "dtls_script.hpp"
#include "fixed_keys.hpp"
#include "replay.hpp"

namespace closenotify::diff {

using fuzz::event;
using fuzz::event_kind;
using namespace fuzz::dtls;

namespace {

// numbering: the two counters a peer record's sequence number is judged against. The fuzz
// harness's peer counts from 1 (the handshake's Finished took 0 of epoch 1), as B does after
// a live handshake. The runner numbers a plain `inject` after the highest number of epoch 1
// it has decoded in B's datagrams, so records from the future, lost records and raw bytes
// move the two apart; a record goes out as `seq +K` / `seq -K` from the runner's number.
class numbering {
 public:
  explicit numbering(const cipher_suite& suite) : sizer_(fuzz::protection_for(suite, role::server)) {}

  // harness: the number and epoch fuzz_dtls_endpoint's `seal` gives the record (and moves
  // its counter as it does), or nothing when it sends none.
  std::optional<record_number> harness(record_choice c) { return sealed_at(c, harness_next_); }

  // seq_words: " seq ..." for an inject the runner should number `seq`; top's numbers are
  // absolute by nature. After a top record the runner's number is 2^48 - 1 - k and a
  // relative number is the harness's absolute one: such records are stale either way.
  std::string seq_words(std::uint64_t seq, bool absolute) const {
    if (absolute) return " seq " + std::to_string(seq);
    if (seq == runner_next_) return "";
    return seq > runner_next_ ? " seq +" + std::to_string(seq - runner_next_)
                              : " seq -" + std::to_string(runner_next_ - seq);
  }

  // sent: B put these bytes on the wire as one datagram. The runner's decoder reads B's
  // datagrams as one byte stream (a partial record waits for the next datagram) and counts
  // every epoch-1 header it frames, authentic or not: so does this.
  void sent(std::span<const std::uint8_t> datagram) {
    wire_.insert(wire_.end(), datagram.begin(), datagram.end());
    std::size_t pos = 0;
    while (wire_.size() - pos >= dtls_record_header_size) {
      const std::uint8_t* h = wire_.data() + pos;
      const std::size_t length = (std::size_t{h[11]} << 8) | h[12];
      if (wire_.size() - pos < dtls_record_header_size + length) break;
      std::uint64_t seq = 0;
      for (std::size_t i = 5; i < 11; ++i) seq = (seq << 8) | h[i];
      if (((h[3] << 8) | h[4]) == 1) runner_next_ = std::max(runner_next_, seq + 1);
      pos += dtls_record_header_size + length;
    }
    wire_.erase(wire_.begin(), wire_.begin() + static_cast<std::ptrdiff_t>(pos));
  }

  // injected: the runner's sealed record of this plaintext; only its header and length
  // matter here (epoch 0 goes out in plaintext, docs/scenarios.md).
  void injected(std::size_t plaintext_length, std::uint16_t epoch, std::uint64_t seq) {
    const std::size_t size = epoch == 0 ? dtls_record_header_size + plaintext_length
                                        : sizer_.sealed_size(plaintext_length);
    std::vector<std::uint8_t> record(size);
    const auto header = encode_dtls_record_header(content_type::application_data, epoch, seq,
                                                  static_cast<std::uint16_t>(size - dtls_record_header_size));
    std::copy(header.begin(), header.end(), record.begin());
    sent(record);
  }

 private:
  record_protection sizer_;  // any keys of the suite: only the sizes matter
  std::uint64_t harness_next_ = 1;
  std::uint64_t runner_next_ = 1;
  std::vector<std::uint8_t> wire_;
};

const char* const kDroppedRecord[] = {
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
    "a record with a flipped tag byte (the runner seals only intact records)",
    "a record with a flipped byte (the runner seals only intact records)",
};

}  // namespace

replay_case dtls_script_to_case(const fuzz::script& script, const std::string& name, profile_id live) {
  replay_case rc;
  const cipher_suite& suite = suite_of(script.config);
  rc.c = make_cell(suite, !script.config.server, false);  // nonblocking: an idle call returns WANT_READ
  rc.s.name = name;
  rc.s.family = "replay";
  rc.s.family_title = "fuzz inputs replayed against OpenSSL";
  rc.s.file = name;
  rc.s.tickets = 0;
  rc.s.cites.push_back("replayed fuzz input");
  // The steps were chosen for datagrams: the stream-only rules do not apply.
  rc.s.requirements.push_back(
      {{"dtls1.2", "nonblocking", script.config.server ? "server" : "client"}, "the cell the fuzz input ran in"});

  auto a = [&](std::string cmd) { rc.s.steps.push_back(step{side_id::a, std::move(cmd)}); };
  auto b = [&](std::string cmd) { rc.s.steps.push_back(step{side_id::b, std::move(cmd)}); };
  auto drop = [&](const event& e, const std::string& why) {
    rc.dropped.push_back(fuzz::dtls::describe(e) + " (" + why + ")");
  };
  const bool has_ignore_eof = profile_for(live).has_ignore_unexpected_eof;
  bool quiet = false, ignore_eof = false;
  // closenotify refuses renegotiation as OpenSSL does with this option (divergences.md B).
  a("set no_renegotiation");
  auto set_ignore_eof = [&](const event* e) {
    if (ignore_eof) return;
    ignore_eof = true;
    // A zero-length datagram is no EOF with or without the option (profile row
    // dtls_empty_datagram), so leaving it out changes nothing a DTLS case shows.
    if (!has_ignore_eof) {
      rc.dropped.push_back((e ? fuzz::dtls::describe(*e) : std::string("config ignore_unexpected_eof")) +
                           " (the live OpenSSL has no SSL_OP_IGNORE_UNEXPECTED_EOF)");
      return;
    }
    a("set ignore_unexpected_eof");
  };
  if (script.config.quiet_shutdown) a("set quiet_shutdown"), quiet = true;
  if (script.config.ignore_unexpected_eof) set_ignore_eof(nullptr);
  if (script.config.read_ahead) {
    rc.dropped.push_back("config handed over mid-connection (the live hand-off has its own window and numbers)");
  }
  if (script.config.profile != live) {
    rc.dropped.push_back("profile " + std::string(profile_for(script.config.profile).name) + " (replayed as " +
                         std::string(profile_for(live).name) + ", the live peer's)");
  }

  numbering numbers(suite);
  for (const event& e : script.events) {
    switch (e.kind) {
      case event_kind::peer_record: {
        const record_choice c = decode_record_choice(e.number);
        const auto chosen = numbers.harness(c);
        if (!chosen) break;
        if (const char* why = kDroppedRecord[static_cast<int>(c.mode)]) {
          drop(e, why);
          break;
        }
        if (c.same_datagram) {
          drop(e, "joins the last queued datagram only if the endpoint has not read it, which the script cannot know; "
                  "an inject is a datagram of its own");
          break;
        }
        std::string cmd = "inject " + std::to_string(e.type) + " " + (e.data.empty() ? "-" : to_hex(e.data));
        if (chosen->epoch != 1) cmd += " epoch " + std::to_string(chosen->epoch);
        b(cmd + numbers.seq_words(chosen->seq, c.mode == seq_mode::top));
        numbers.injected(e.data.size(), chosen->epoch, chosen->seq);
        break;
      }
      case event_kind::peer_alert: {
        const auto chosen = numbers.harness(record_choice{});
        if (!chosen) break;
        const std::uint8_t bytes[2] = {static_cast<std::uint8_t>(e.number), e.type};
        b("inject alert " + to_hex(bytes) + numbers.seq_words(chosen->seq, false));
        numbers.injected(2, 1, chosen->seq);
        break;
      }
      case event_kind::peer_raw:
      case event_kind::peer_eof:
        // A datagram socket has no EOF: the harness's "EOF" is a zero-length datagram.
        b("raw " + (e.data.empty() || e.kind == event_kind::peer_eof ? std::string("-") : to_hex(e.data)));
        if (e.kind == event_kind::peer_raw) numbers.sent(e.data);
        break;
      case event_kind::peer_reset:
        drop(e, "an ICMP error on the next read: a live socketpair gives ECONNREFUSED only once B's end is closed, "
                "and then for good");
        break;
      case event_kind::peer_stops_reading:
        drop(e, "writes failing for good: closing B's end would also end what B sends later");
        break;
      case event_kind::write_limit:
        drop(e, "the harness counts from the back of its own queue, and how many datagrams A still has queued "
                "there depends on its calls' outcomes");
        break;
      case event_kind::read_would_block:
      case event_kind::write_would_block:
        drop(e, "a transport fault: the live socket says EAGAIN only when it has nothing");
        break;
      // Over 16384 bytes DTLS refuses the write, and DTLS 1.2 has no KeyUpdate: both sides
      // refuse them, comparable outcomes.
      case event_kind::call_read:
      case event_kind::call_peek:
      case event_kind::call_write:
      case event_kind::call_shutdown:
      case event_kind::call_key_update:
      case event_kind::call_do_handshake: a(call_command(e)); break;
      case event_kind::call_set:
        // The peer protocol can switch these on, not off.
        if ((e.number & 1) && !quiet) a("set quiet_shutdown"), quiet = true;
        if (e.number & 2) set_ignore_eof(&e);
        if ((!(e.number & 1) && quiet) || (!(e.number & 2) && ignore_eof)) drop(e, "turning an option off");
        break;
    }
  }
  int line = 0;
  for (auto& st : rc.s.steps) st.line = ++line;
  return rc;
}

}  // namespace closenotify::diff
