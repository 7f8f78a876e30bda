// dtls_record_framing.cpp — the 13-byte DTLS header and the per-datagram parser, modelled
// on OpenSSL 3.0's dtls1_get_record (ssl/record/ssl3_record.c); 1.1.1 has the same lines and
// 3.5's dtls_get_more_records (ssl/record/methods/dtls_meth.c) differs only in the length
// limit (dtls_openssl35_max_record_length).
#include "closenotify/dtls_record_framing.hpp"

namespace closenotify {

std::string_view to_string(dtls_discard_reason r) noexcept {
  switch (r) {
    case dtls_discard_reason::partial_header:
      return "partial header";
    case dtls_discard_reason::unexpected_version:
      return "unexpected version";
    case dtls_discard_reason::wrong_version:
      return "wrong version";
    case dtls_discard_reason::record_too_long:
      return "record too long";
    case dtls_discard_reason::partial_record:
      return "partial record";
    case dtls_discard_reason::wrong_epoch:
      return "wrong epoch";
    case dtls_discard_reason::next_epoch:
      return "next epoch";
    case dtls_discard_reason::replayed:
      return "replayed";
    case dtls_discard_reason::stale:
      return "stale";
    case dtls_discard_reason::empty_record:
      return "empty record";
    case dtls_discard_reason::bad_record_mac:
      return "bad record mac";
    case dtls_discard_reason::too_short:
      return "too short";
  }
  return "unknown";
}

dtls_frame_result parse_dtls_record(bytes_view rest, std::size_t max_length) noexcept {
  if (rest.empty()) return end_of_datagram{};

  // RFC 6347 §4.1.1: "Note, however, that the first byte of the datagram payload must be
  // the beginning of a record. Records may not span datagrams." OpenSSL asks for 13 bytes
  // and gets what the datagram still holds (ssl3_read_n: "reads should *never* span
  // multiple packets for DTLS"); then `if (RECORD_LAYER_get_packet_length(&s->rlayer) !=
  // DTLS1_RT_HEADER_LENGTH)`: "this packet contained a partial record, dump it".
  if (rest.size() < dtls_record_header_size)
    return dtls_discard{dtls_discard_reason::partial_header, rest.size()};

  // "Pull apart the header into the DTLS1_RECORD": type, version, then "sequence number is
  // 64 bits, with top 2 bytes = epoch", then the length.
  dtls_record_header h{};
  h.type = static_cast<content_type>(rest[0]);
  h.version = static_cast<std::uint16_t>((rest[1] << 8) | rest[2]);
  h.epoch = static_cast<std::uint16_t>((rest[3] << 8) | rest[4]);
  for (std::size_t i = 5; i < 11; ++i) h.sequence_number = (h.sequence_number << 8) | rest[i];
  h.length = static_cast<std::uint16_t>((rest[11] << 8) | rest[12]);

  // The header-level discards below reset the packet length without reading the body, so
  // OpenSSL's next header starts right after this one, inside the discarded record's body:
  // they consume 13 bytes.
  const dtls_discard header_only{dtls_discard_reason::unexpected_version, dtls_record_header_size};

  // "Lets check the version. We tolerate alerts that don't have the exact version number
  // (e.g. because of protocol version errors)": `if (!s->first_packet && rr->type !=
  // SSL3_RT_ALERT) { if (version != s->version) {` "unexpected version, silently discard".
  if (h.type != content_type::alert && h.version != dtls12_wire_version) return header_only;
  // `if ((version & 0xff00) != (s->version & 0xff00))`: "wrong version, silently discard
  // record" (only an alert reaches this with a version other than {254,253}).
  if ((h.version & 0xff00) != (dtls12_wire_version & 0xff00))
    return dtls_discard{dtls_discard_reason::wrong_version, dtls_record_header_size};
  // `if (rr->length > SSL3_RT_MAX_ENCRYPTED_LENGTH)`: "record too long, silently discard it".
  if (h.length > max_length)
    return dtls_discard{dtls_discard_reason::record_too_long, dtls_record_header_size};

  // The body: `rret = ssl3_read_n(s, more, more, 1, 1, &n);` takes what is left of the
  // datagram, and `if (rret <= 0 || n != more)`: "this packet contained a partial record,
  // dump it", with the rest of the datagram it had read.
  if (rest.size() - dtls_record_header_size < h.length)
    return dtls_discard{dtls_discard_reason::partial_record, rest.size()};

  return dtls_ciphertext{h, rest.first(dtls_record_header_size),
                         rest.subspan(dtls_record_header_size, h.length)};
}

std::array<std::uint8_t, dtls_record_header_size> encode_dtls_record_header(
    content_type type, std::uint16_t epoch, std::uint64_t sequence_number,
    std::uint16_t length) noexcept {
  std::array<std::uint8_t, dtls_record_header_size> h{};
  h[0] = static_cast<std::uint8_t>(type);
  h[1] = static_cast<std::uint8_t>(dtls12_wire_version >> 8);
  h[2] = static_cast<std::uint8_t>(dtls12_wire_version & 0xff);
  h[3] = static_cast<std::uint8_t>(epoch >> 8);
  h[4] = static_cast<std::uint8_t>(epoch);
  for (std::size_t i = 0; i < 6; ++i)
    h[5 + i] = static_cast<std::uint8_t>(sequence_number >> (8 * (5 - i)));
  h[11] = static_cast<std::uint8_t>(length >> 8);
  h[12] = static_cast<std::uint8_t>(length);
  return h;
}

dtls_frame_result dtls_datagram_reader::next() noexcept {
  last_fragment_ = {};
  dtls_frame_result r = parse_dtls_record(bytes_view(datagram_).subspan(offset_), max_length_);
  if (auto* rec = std::get_if<dtls_ciphertext>(&r)) {
    last_fragment_ = datagram_.subspan(offset_ + dtls_record_header_size, rec->fragment.size());
    offset_ += rec->size();
  } else if (auto* d = std::get_if<dtls_discard>(&r)) {
    offset_ += d->consumed;
  }
  return r;
}

}  // namespace closenotify
