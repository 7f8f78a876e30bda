// endpoint_dtls.cpp — where a DTLS 1.2 endpoint differs from a TLS one: OpenSSL 3.0's
// dtls1_read_bytes (record/rec_layer_d1.c), dtls1_get_record (record/ssl3_record.c) and
// dtls1_write_app_data_bytes (d1_msg.c) with do_dtls1_write. Everything else — SSL_shutdown,
// sending and dispatching alerts, the error queue, the shutdown flags — is the TLS code of
// endpoint.cpp, because in OpenSSL too it is one function for both (dtls1_shutdown is
// ssl3_shutdown; dtls1_dispatch_alert differs from ssl3_dispatch_alert only in the write
// it calls). docs/dtls.md has the whole comparison.
#include <algorithm>
#include <cstring>
#include <limits>

#include "closenotify/dtls_message_buffer.hpp"
#include "closenotify/dtls_record_open.hpp"
#include "closenotify/endpoint.hpp"
#include "closenotify/post_handshake.hpp"

namespace closenotify {

namespace {

// kDtlsReadCapacity: the most OpenSSL 3.0 takes of one datagram. ssl3_setup_read_buffer
// makes SSL3_RT_MAX_PLAIN_LENGTH + SSL3_RT_MAX_ENCRYPTED_OVERHEAD + DTLS1_RT_HEADER_LENGTH
// + 3 (alignment) = 16720 bytes and ssl3_read_n starts 3 bytes in (SSL3_ALIGN_PAYLOAD), so
// BIO_read is offered 16717; the kernel drops the rest of a longer datagram. 3.5's
// tls_setup_read_buffer aligns by 7 and offers 16721: only a datagram of 16718 to 16721
// bytes would tell them apart, and no record closenotify or OpenSSL writes is one.
constexpr std::size_t kDtlsReadCapacity = 16384 + 320 + dtls_record_header_size;

constexpr int kDtlsTimeoutAlertCount = 12;  // DTLS1_TMO_ALERT_COUNT

}  // namespace

// dtls1_get_record: the next record that opens, from the datagram being read or the next
// one. Every invalid record is dropped without a word (RFC 6347 §4.1.2.7: "invalid
// records SHOULD be silently discarded, thus preserving the association").
endpoint::step endpoint::get_dtls_record() noexcept {
  for (;;) {
    if (!datagram_reader_) {
      if (const step s = read_datagram(); s != step::proceed) return s;
    }
    dtls_read_result r = read_dtls_record(*datagram_reader_, read_, window_);
    if (std::holds_alternative<end_of_datagram>(r)) {
      datagram_reader_.reset();
      continue;
    }
    if (const auto* d = std::get_if<dtls_discard>(&r)) {
      if (d->reason == dtls_discard_reason::too_short && profile_.dtls_short_record) {
        fail(profile_.dtls_short_record->send, profile_.dtls_short_record->reason);
        return step::error;
      }
      continue;
    }
    if (fail_on_fatal(r)) return step::error;
    const dtls_plaintext& pt = std::get<dtls_plaintext>(r);
    // Opened (and marked in the window) whatever happens to it next.
    if (observer_) observer_(record_event{false, pt.type, pt.fragment});
    // OpenSSL 3.5 (dtls_get_more_records): "No payload data in this record. Dump it"
    // (profile row dtls_empty_record). 1.1.1 and 3.0 hand it to dtls1_read_bytes.
    if (pt.fragment.empty() && profile_.dtls_empty == dtls_empty_record::dropped) continue;
    record_ = current_record{pt.type, pt.fragment, pt.fragment};
    return step::proceed;
  }
}

// ssl3_read_n for DTLS: "reads should not span multiple packets because the read operation
// returns the whole packet at once".
endpoint::step endpoint::read_datagram() noexcept {
  if (datagram_.size() != kDtlsReadCapacity) datagram_.resize(kDtlsReadCapacity);
  want_ = want::reading;
  io_result io = transport_.read(datagram_);
  switch (io.status) {
    case io_status::ok:
      want_ = want::nothing;
      datagram_reader_.emplace(mutable_bytes{datagram_.data(), io.bytes}, profile_.dtls_max_record_length);
      return step::proceed;
    case io_status::would_block:
      return step::retry_read;
    case io_status::eof:
      // A zero-length datagram, not an end of stream: a datagram socket has none, and
      // OpenSSL's datagram BIO answers BIO_eof with 0, so neither the unexpected-EOF error
      // nor IGNORE_UNEXPECTED_EOF applies. Nothing is queued; the next read goes on.
      want_ = want::nothing;
      return profile_.dtls_empty_datagram_read == dtls_empty_datagram::returns_0 ? step::closed : step::error;
    case io_status::error:
      want_ = want::nothing;
      os_error_ = io.error_number;
      return step::error;
  }
  return step::error;
}

// dtls1_read_bytes, after the in-init check read_bytes made: the checks in its order.
endpoint::step endpoint::dtls_read_bytes(read_for purpose, mutable_bytes out, bool peek,
                                         std::size_t& copied) noexcept {
  for (;;) {
    want_ = want::nothing;
    // "get new packet if necessary": a record emptied by a read is released in DTLS.
    if (record_ && record_->data.empty()) consume_record();
    if (!record_) {
      if (const step s = get_record(); s != step::proceed) return s;
    }
    if (record_->type != content_type::alert && !record_->data.empty()) {
      warning_alerts_in_a_row_ = 0;
    }
    // "If the other end has shut down, throw anything we read away (even in 'peek'
    // mode)": the record is emptied and released (SSL3_RECORD_set_read), unlike TLS.
    if (shutdown_ & shutdown_received) {
      consume_record();
      return step::closed;
    }
    if (purpose == read_for::application_data && record_->type == content_type::application_data) {
      // No loop over empty records as in TLS: an empty one is "read" with 0 bytes, and
      // SSL_read returns 0 with nothing queued (SSL_ERROR_SYSCALL).
      copied = std::min(out.size(), record_->data.size());
      std::memcpy(out.data(), record_->data.data(), copied);
      if (!peek || record_->data.empty()) record_->data = record_->data.subspan(copied);
      if (record_->data.empty()) consume_record();
      return step::proceed;
    }
    // SSL_shutdown reads with type 0: an authenticated record of content type 0 "is" what
    // it asked for, and a zero-length read of it returns 0.
    if (purpose == read_for::shutdown && record_->type == content_type::invalid) {
      if (record_->data.empty()) consume_record();
      return step::closed;
    }
    // The state machine reading a message (back in init) takes the handshake records.
    if (purpose == read_for::message_body && record_->type == content_type::handshake) {
      if (const step s = dtls_handle_handshake(); s != step::proceed) return s;
      if (!reading_message_) return step::proceed;  // the message is in
      continue;
    }
    if (record_->type == content_type::alert) {
      if (const step s = dtls_handle_alert(); s != step::proceed) return s;
      continue;
    }
    // "If we get here, then type != rr->type": after our close_notify, anything else is
    // thrown away and the read returns 0 — the second SSL_shutdown fails without a reason.
    if (shutdown_ & shutdown_sent) {
      consume_record();
      return step::closed;
    }
    if (purpose == read_for::message_body) {
      // dtls_get_reassembled_message reads a header with ssl_read_bytes(SSL3_RT_HANDSHAKE,
      // &recvd_type, ...), which hands it a change_cipher_spec too. Its first byte must be
      // 1 ("bad change cipher spec"); then no transition from TLS_ST_OK takes it, and "CCS
      // messages don't have a message sequence number so this is probably because of an
      // out-of-order CCS. We'll just drop it.": the call returns with a retry read set,
      // WANT_READ even on a blocking socket. Application data is "unexpected record".
      // The header read takes at most 12 bytes of it; the rest is read as another one.
      // (An empty one leaves OpenSSL comparing bytes it never wrote, 1.1.1 and 3.0 only:
      // 3.5 drops empty records before. Called bad here.)
      const bool ccs = record_->type == content_type::change_cipher_spec;
      const bool bad_ccs = ccs && (record_->data.empty() || record_->data[0] != 1);
      if (ccs && record_->data.size() > dtls_handshake_header_size) {
        record_->data = record_->data.subspan(dtls_handshake_header_size);
      } else {
        consume_record();
      }
      if (ccs && !bad_ccs) {
        want_ = want::reading;
        return step::retry_read;
      }
      fail(alert_description::unexpected_message, bad_ccs ? "bad change cipher spec" : "unexpected record");
      return step::error;
    }
    if (record_->type == content_type::change_cipher_spec) {
      // "We can't process a CCS now, because previous handshake messages are still
      // missing, so just drop it."
      consume_record();
      continue;
    }
    if (record_->type == content_type::handshake) {
      // "This may just be a stale retransmit. Also sanity check that we have at least
      // enough record bytes for a message header" — dropped. (Records of another epoch
      // never get here: open_dtls_record discards them.)
      if (record_->data.size() < dtls_handshake_header_size) {
        consume_record();
        continue;
      }
      // dtls1_get_message_header(rr->data, ...): the type of the message at the record's
      // start, whatever part of it an earlier message has used.
      if (static_cast<handshake_type>(record_->opened[0]) == handshake_type::finished) {
        // dtls1_check_timeout_num: "fail the connection, enough alerts have been sent"
        // once more than DTLS1_TMO_ALERT_COUNT (12) — no alert, the record left unread.
        if (++dtls_timeouts_ > kDtlsTimeoutAlertCount) {
          fail(std::nullopt, "read timeout expired");
          return step::error;
        }
        // "If we are server, we may have a repeated FINISHED of the client here, then
        // retransmit our CCS and FINISHED." closenotify holds no flight to retransmit, so
        // the Finished is only dropped (docs/divergences.md H).
        consume_record();
        continue;
      }
      // "We found handshake data, so we're going back into init": the state machine
      // takes the record from here (dtls_handle_handshake) until it has a whole message.
      reading_message_ = true;
      if (const step s = read_message_body(); s != step::proceed) return s;
      continue;
    }
    consume_record();
    fail(alert_description::unexpected_message, "unexpected record");
    return step::error;
  }
}

// dtls1_read_bytes' alert branch. It differs from ssl3_read_bytes' in two ways the profile
// rows carry: what happens to a warning's record (1.1.1 and 3.0 read it again), and whether a
// no_renegotiation warning is fatal (not in 1.1.1). The levels are judged in OpenSSL's order:
// warning, fatal, anything else "unknown alert type" — so an unknown level is unknown even
// with no_renegotiation's description, where TLS 1.2 calls it a refused renegotiation.
endpoint::step endpoint::dtls_handle_alert() noexcept {
  const std::optional<alert> received = receive_alert();
  if (!received) return step::error;
  const alert a = *received;
  if (a.level == alert_level::warning) {
    warn_alert_ = a.description;
    // "SSL3_RECORD_set_read(rr)" marks the record read but leaves its length: the next
    // pass of `goto start` finds it still there and processes the same alert again, until
    // the warning count ends the connection (1.1.1, 3.0; 3.5 releases it).
    const bool read_again = profile_.dtls_warning == dtls_warning_alert::read_again &&
                            a.description != alert_description::close_notify;
    if (!read_again) consume_record();
    if (++warning_alerts_in_a_row_ == kMaxWarningAlerts) {
      fail(alert_description::unexpected_message, "too many warn alerts");
      return step::error;
    }
    if (a.description == alert_description::close_notify) {
      shutdown_ |= shutdown_received;
      return step::closed;
    }
    if (a.description == alert_description::no_renegotiation_RESERVED && profile_.dtls_no_renegotiation_fatal) {
      fail(alert_description::handshake_failure, "no renegotiation");
      return step::error;
    }
    return step::proceed;
  }
  consume_record();
  if (a.level == alert_level::fatal) {
    return peer_ended(
        classify_received_alert(a, protocol_version::tls12, profile_.tls13_warnings, profile_.alert_names).reason);
  }
  fail(alert_description::illegal_parameter, "unknown alert type");
  return step::error;
}

// The DTLS state machine's read of one message after the handshake
// (dtls_get_reassembled_message, dtls1_preprocess_fragment, then read_state_machine's
// checks): the message at the expected message_seq from the buffer if it is whole there,
// else the current handshake record's 12-byte headers and fragments in turn. proceed
// with reading_message_ cleared once a whole message has been taken and answered (the
// rest of the record is left for the next read), or with it still set when the record is
// used up and the state machine waits for the message it expects.
endpoint::step endpoint::dtls_handle_handshake() noexcept {
  for (bool first = true;; first = false) {
    // "see if we have the required fragment already"
    if (const auto m = dtls_messages_.retrieve(dtls_handshake_read_seq_)) return dtls_take_message(m->type, m->length);
    // A record this loop has used up: the state machine reads on. A record that came
    // empty hands the header read 0 bytes (1.1.1 and 3.0; 3.5 drops empty records before).
    if (record_->data.empty() && !first) {
      consume_record();
      return step::proceed;
    }
    // "Handshake fails if message header is incomplete".
    if (record_->data.size() < dtls_handshake_header_size) {
      consume_record();
      fail(alert_description::unexpected_message, "unexpected message");
      return step::error;
    }
    const dtls_handshake_header h = read_dtls_handshake_header(record_->data.first<dtls_handshake_header_size>());
    record_->data = record_->data.subspan(dtls_handshake_header_size);
    // "We must have at least frag_len bytes left in the record to be read. Fragments must
    // not span records."
    if (h.fragment_length > record_->data.size()) {
      consume_record();
      fail(alert_description::illegal_parameter, "bad length");
      return step::error;
    }
    // "if this is a future (or stale) message it gets buffered (or dropped)--no further
    // processing at this time", and a fragment of a longer message goes to reassembly;
    // then the state machine reads on. Where OpenSSL's buffering refuses a fragment it
    // does not read it, and the state machine stops without a word: -1, nothing queued.
    const bool expected = h.message_seq == dtls_handshake_read_seq_;
    if (!expected || (h.fragment_length != 0 && h.fragment_length < h.length)) {
      const auto taken =
          expected ? dtls_messages_.reassemble(h) : dtls_messages_.out_of_sequence(h, dtls_handshake_read_seq_);
      if (taken == dtls_message_buffer::outcome::refused) return step::error;
      record_->data = record_->data.subspan(h.fragment_length);
      continue;
    }
    // dtls1_preprocess_fragment: "if ((frag_off + frag_len) > msg_len || msg_len >
    // dtls1_max_handshake_message_len(s))".
    if (h.fragment_offset + h.fragment_length > h.length || h.length > dtls_max_handshake_message) {
      consume_record();
      fail(alert_description::illegal_parameter, "excessive message size");
      return step::error;
    }
    record_->data = record_->data.subspan(h.fragment_length);
    return dtls_take_message(h.type, h.length);
  }
}

// A whole message taken at the expected message_seq ("handshake_read_seq++"), judged by
// the state machine's transition and size checks as in TLS 1.2; a request they let
// through is refused as under SSL_OP_NO_RENEGOTIATION (tls_process_hello_req,
// tls_process_client_hello: a no_renegotiation warning), and the state machine is done.
endpoint::step endpoint::dtls_take_message(handshake_type type, std::size_t length) noexcept {
  ++dtls_handshake_read_seq_;
  reading_message_ = false;
  if (auto f = check_post_handshake_header(protocol_version::tls12, role_, type, length)) {
    const fatal seen = profile_.as_seen(*f);
    fail(seen.send, seen.reason);
    return step::error;
  }
  if (record_ && record_->data.empty()) consume_record();
  // The warning's own fate is not this read's: unwritten, it waits for the next write.
  (void)send_alert(alert_level::warning, alert_description::no_renegotiation_RESERVED);
  return step::proceed;
}

// dtls1_write_app_data_bytes, then do_dtls1_write: one record per call, one datagram per
// record. There is no partial write to resume: a datagram that could not be written is
// dropped (flush), and the retry is a new record.
int endpoint::dtls_write(bytes_view data) noexcept {
  if (in_init()) {
    if (const step s = continue_handshake(); s != step::proceed) return openssl_return(s);
  }
  // RFC 6347 §4.1.1: "Each DTLS record MUST fit within a single datagram." OpenSSL: "if
  // (len > SSL3_RT_MAX_PLAIN_LENGTH) { ERR_raise(ERR_LIB_SSL, SSL_R_DTLS_MESSAGE_TOO_BIG);"
  // — refused, not fatal, nothing sent.
  if (data.size() > max_plaintext_length) {
    raise("dtls message too big");
    return -1;
  }
  want_ = want::nothing;
  // do_dtls1_write: "If we have an alert to send, lets send it".
  if (pending_alert_) {
    if (const step s = dispatch_alert(); s != step::proceed) return openssl_return(s);
  }
  if (data.empty()) return 0;
  if (const step s = seal_record(content_type::application_data, data); s != step::proceed) {
    return openssl_return(s);
  }
  if (const step s = flush(); s != step::proceed) return openssl_return(s);
  return static_cast<int>(data.size());
}

}  // namespace closenotify
