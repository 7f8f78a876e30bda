// dtls_message_buffer.cpp — OpenSSL's DTLS handshake message buffering and reassembly
// (ssl/statem/statem_dtls.c; the same in 1.1.1, 3.0 and 3.5), for what closenotify keeps
// of a message: its type, its length and which bytes have arrived.
#include "closenotify/dtls_message_buffer.hpp"

#include <algorithm>

namespace closenotify {

namespace {

std::size_t u24(const std::uint8_t* p) noexcept { return std::size_t{p[0]} << 16 | std::size_t{p[1]} << 8 | p[2]; }

}  // namespace

dtls_handshake_header read_dtls_handshake_header(std::span<const std::uint8_t, 12> b) noexcept {
  return {static_cast<handshake_type>(b[0]), u24(&b[1]), static_cast<std::uint16_t>(b[4] << 8 | b[5]), u24(&b[6]),
          u24(&b[9])};
}

dtls_message_buffer::entry* dtls_message_buffer::find(std::uint16_t seq) noexcept {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.seq == seq; });
  return it == entries_.end() ? nullptr : &*it;
}

void dtls_message_buffer::insert(entry e) {
  auto at = std::lower_bound(entries_.begin(), entries_.end(), e.seq,
                             [](const entry& x, std::uint16_t seq) { return x.seq < seq; });
  entries_.insert(at, std::move(e));
}

dtls_message_buffer::outcome dtls_message_buffer::out_of_sequence(const dtls_handshake_header& h,
                                                                   std::uint16_t read_seq) {
  if (h.fragment_offset + h.fragment_length > h.length) return outcome::refused;
  const entry* existing = find(h.message_seq);
  // "If we already have an entry and this one is a fragment, don't discard it and rather
  // try to reassemble it."
  const bool duplicate = existing != nullptr && h.fragment_length == h.length;
  // "Discard the message if sequence number was already there, is too far in the future,
  // already in the queue or if we received a FINISHED before the SERVER_HELLO, which then
  // must be a stale retransmit." (handshake_read_seq is 0 after the handshake.)
  if (h.message_seq <= read_seq || int{h.message_seq} > int{read_seq} + 10 || duplicate ||
      (read_seq == 0 && h.type == handshake_type::finished)) {
    return outcome::taken;
  }
  if (h.fragment_length != h.length) return reassemble(h);
  if (h.fragment_length > dtls_max_handshake_message) return outcome::refused;
  insert({h.message_seq, h.type, h.length, {}});
  return outcome::taken;
}

dtls_message_buffer::outcome dtls_message_buffer::reassemble(const dtls_handshake_header& h) {
  if (h.fragment_offset + h.fragment_length > h.length || h.length > dtls_max_handshake_message) {
    return outcome::refused;
  }
  if (h.fragment_length == 0) return outcome::taken;
  entry* e = find(h.message_seq);
  if (e == nullptr) {
    insert({h.message_seq, h.type, h.length, std::vector<bool>(h.length, false)});
    e = find(h.message_seq);
  } else if (e->length != h.length) {
    return outcome::refused;
  }
  // "If message is already reassembled, this must be a retransmit and can be dropped."
  if (e->arrived.empty()) return outcome::taken;
  std::fill_n(e->arrived.begin() + static_cast<std::ptrdiff_t>(h.fragment_offset), h.fragment_length, true);
  if (std::all_of(e->arrived.begin(), e->arrived.end(), [](bool b) { return b; })) e->arrived = {};
  return outcome::taken;
}

std::optional<dtls_message_buffer::message> dtls_message_buffer::retrieve(std::uint16_t read_seq) {
  // "This is a stale message that has been buffered so clear it."
  while (!entries_.empty() && entries_.front().seq < read_seq) entries_.erase(entries_.begin());
  if (entries_.empty()) return std::nullopt;
  const entry& first = entries_.front();
  // "Don't return if reassembly still in progress"
  if (!first.arrived.empty() || first.seq != read_seq) return std::nullopt;
  const message m{first.type, first.length};
  entries_.erase(entries_.begin());
  return m;
}

}  // namespace closenotify
