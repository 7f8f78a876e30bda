// dtls_message_buffer.hpp — the DTLS handshake messages a state machine cannot take yet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "closenotify/tls.hpp"

namespace closenotify {

/// dtls_handshake_header: RFC 6347 §4.2.2's 12 bytes (msg_type, length, message_seq,
/// fragment_offset, fragment_length); read_dtls_handshake_header reads them.
struct dtls_handshake_header {
  handshake_type type;
  std::size_t length;
  std::uint16_t message_seq;
  std::size_t fragment_offset;
  std::size_t fragment_length;
};
dtls_handshake_header read_dtls_handshake_header(std::span<const std::uint8_t, 12> bytes) noexcept;

/// dtls_max_handshake_message: OpenSSL's dtls1_max_handshake_message_len, the larger of
/// 12 + SSL3_RT_MAX_ENCRYPTED_LENGTH and max_cert_list (SSL_MAX_CERT_LIST_DEFAULT,
/// 100 KiB) in 1.1.1, 3.0 and 3.5.
inline constexpr std::size_t dtls_max_handshake_message = 100 * 1024;

/// dtls_message_buffer: OpenSSL's d1->buffered_messages after the handshake — messages
/// that arrive ahead of the message_seq expected (at most 10 ahead), and messages
/// arriving in fragments until every byte is in. A post-handshake message is judged from
/// its type and length alone, so what is kept of each is those and which of its bytes
/// have arrived: at most 11 messages of at most 100 KiB, a bit per byte.
///
/// The operations are OpenSSL's (statem_dtls.c), and so are their outcomes: `taken`
/// (DTLS1_HM_FRAGMENT_RETRY: the fragment was kept or dropped, the state machine reads
/// the next header) or `refused` (their `err` label: the fragment is not read, and the
/// state machine stops with no alert and no reason).
class dtls_message_buffer {
 public:
  enum class outcome { taken, refused };

  /// out_of_sequence: a fragment whose message_seq is not `read_seq`
  /// (dtls1_process_out_of_seq_message).
  outcome out_of_sequence(const dtls_handshake_header& h, std::uint16_t read_seq);
  /// reassemble: part of a longer message (dtls1_reassemble_fragment).
  outcome reassemble(const dtls_handshake_header& h);

  struct message {
    handshake_type type;
    std::size_t length;
  };
  /// retrieve: drops what is older than `read_seq`, then hands out the message at
  /// `read_seq` if it is whole (dtls1_retrieve_buffered_fragment).
  std::optional<message> retrieve(std::uint16_t read_seq);

  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct entry {
    std::uint16_t seq;
    handshake_type type;
    std::size_t length;
    std::vector<bool> arrived;  // empty once whole ("reassembly == NULL")
  };
  entry* find(std::uint16_t seq) noexcept;
  void insert(entry e);
  std::vector<entry> entries_;  // ordered by message_seq, as OpenSSL's pqueue
};

}  // namespace closenotify
