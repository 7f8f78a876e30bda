// dtls_record_open.cpp — see closenotify/dtls_record_open.hpp. The order is OpenSSL 3.0's
// dtls1_get_record after the body is read (ssl/record/ssl3_record.c), then
// dtls1_process_record; 1.1.1 and 3.5 (dtls_get_more_records) keep it.
#include "closenotify/dtls_record_open.hpp"

namespace closenotify {

dtls_open_result open_dtls_record(record_protection& protection, dtls_replay_window& window,
                                  const dtls_ciphertext& record, mutable_bytes fragment) noexcept {
  const dtls_record_header& h = record.header;
  const auto discard = [&](dtls_discard_reason r) { return dtls_discard{r, record.size()}; };

  // "match epochs.  NULL means the packet is dropped on the floor" (dtls1_get_bitmap: the
  // current epoch, or the next one, else NULL). RFC 6347 §4.1: "In general, implementations
  // SHOULD discard packets from earlier epochs".
  if (h.epoch != protection.epoch()) {
    // The next epoch passes OpenSSL's replay check against its own, fresh, window and then:
    // "If this record is from the next epoch (either HM or ALERT), and a handshake is
    // currently in progress, buffer it"; otherwise it is dropped. closenotify takes over after
    // the handshake and never starts one, so it always drops it (RFC 6347 §4.1:
    // "Implementations MAY either buffer or discard such packets").
    const bool next = h.epoch == static_cast<std::uint16_t>(protection.epoch() + 1) &&
                      protection.epoch() != 0xffff;
    return discard(next ? dtls_discard_reason::next_epoch : dtls_discard_reason::wrong_epoch);
  }

  // RFC 6347 §4.1.2.6: "This SHOULD be the first check applied to a packet after it has been
  // matched to a session, to speed rejection of duplicate records." `if
  // (!dtls1_record_replay_check(s, bitmap))`: "dump this record".
  if (auto replay = window.check(h.sequence_number)) return discard(*replay);

  // "just read a 0 length packet": dropped after the replay check, the window untouched.
  if (h.length == 0) return discard(dtls_discard_reason::empty_record);

  auto opened = protection.open(h, fragment);
  if (auto* f = std::get_if<fatal>(&opened)) {
    // dtls1_process_record: `enc_err == 0` (the AEAD refused it, or it is too short to hold
    // a nonce and a tag): "For DTLS we simply ignore bad packets." RFC 6347 §4.1.2.6: "If
    // the MAC validation fails, the receiver MUST discard the received record as invalid."
    // Where TLS sends bad_record_mac, DTLS discards: this is the one place they differ.
    // Too short to hold a nonce and a tag is a discard of its own: OpenSSL 3.0 drops it as
    // it drops a bad tag, 1.1.1 and 3.5 fail (EVP_CTRL_AEAD_TLS1_AAD), so the endpoint's
    // profile decides (dtls_short_record).
    if (f->check == fatal_check::tls12_aead_record_too_short)
      return discard(dtls_discard_reason::too_short);
    if (f->send == alert_description::bad_record_mac)
      return discard(dtls_discard_reason::bad_record_mac);
    // "send overflow if the plaintext is too long now it has passed MAC": SSLfatal(s,
    // SSL_AD_RECORD_OVERFLOW, SSL_R_DATA_LENGTH_TOO_LONG), fatal in DTLS too.
    return *f;
  }

  // "Mark receipt of record." dtls1_record_bitmap_update, only now that it authenticated.
  window.update(h.sequence_number);
  const auto& pt = std::get<tls_plaintext>(opened);
  return dtls_plaintext{h, pt.type, pt.fragment};
}

dtls_read_result read_dtls_record(dtls_datagram_reader& datagram, record_protection& protection,
                                  dtls_replay_window& window) noexcept {
  dtls_frame_result framed = datagram.next();
  if (std::holds_alternative<end_of_datagram>(framed)) return end_of_datagram{};
  if (auto* d = std::get_if<dtls_discard>(&framed)) return *d;
  const auto& record = std::get<dtls_ciphertext>(framed);
  dtls_open_result opened = open_dtls_record(protection, window, record, datagram.last_fragment());
  if (auto* p = std::get_if<dtls_plaintext>(&opened)) return *p;
  if (auto* d = std::get_if<dtls_discard>(&opened)) return *d;
  return std::get<fatal>(opened);
}

}  // namespace closenotify
