// wire.cpp — decrypting each side's wire bytes into canonical record lines.
#include "wire.hpp"

#include <algorithm>
#include <cstdio>

#include "closenotify/alert.hpp"
#include "closenotify/connection_secrets.hpp"
#include "closenotify/dtls_record_framing.hpp"
#include "closenotify/hex.hpp"
#include "closenotify/key_schedule.hpp"
#include "closenotify/post_handshake.hpp"
#include "closenotify/record_framing.hpp"

namespace closenotify::diff {

std::string describe_bytes(bytes_view b) {
  if (b.size() <= 32) return std::to_string(b.size()) + ": " + (b.empty() ? "-" : to_hex(b));
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a: a digest for comparison, not security
  for (auto c : b) h = (h ^ c) * 1099511628211ull;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return std::to_string(b.size()) + ": fnv " + buf;
}

namespace {

std::string handshake_name(std::uint8_t t) {
  switch (t) {
    case 0: return "hello_request";
    case 1: return "client_hello";
    case 2: return "server_hello";
    case 4: return "new_session_ticket";
    case 20: return "finished";
    case 24: return "key_update";
    default: return "handshake_type_" + std::to_string(t);
  }
}

}  // namespace

std::string wire_decoder::describe(content_type type, bytes_view p) {
  switch (type) {
    case content_type::alert:
      if (p.size() == 2) {
        return "alert(" + std::string(to_string(static_cast<alert_level>(p[0]))) + " " +
               std::string(to_string(static_cast<alert_description>(p[1]))) + ")";
      }
      return "alert(malformed " + describe_bytes(p) + ")";
    case content_type::application_data:
      return "application_data(" + describe_bytes(p) + ")";
    case content_type::change_cipher_spec:
      return "change_cipher_spec(" + describe_bytes(p) + ")";
    case content_type::handshake: {
      // Message types only: a NewSessionTicket's body is random per run. A KeyUpdate
      // also moves this direction to the next traffic secret.
      std::string out = "handshake(";
      std::size_t i = 0;
      bool first = true;
      if (is_dtls()) {
        // RFC 6347 §4.2.2: msg_type, length (3), message_seq (2), fragment_offset (3),
        // fragment_length (3), then the fragment. The sequence number is shown because
        // OpenSSL takes a message only at the one it expects.
        while (i + dtls_handshake_header_size <= p.size()) {
          const auto u24 = [&](std::size_t at) {
            return (std::size_t{p[at]} << 16) | (std::size_t{p[at + 1]} << 8) | p[at + 2];
          };
          const std::size_t length = u24(i + 1), offset = u24(i + 6), fragment = u24(i + 9);
          if (!first) out += ", ";
          first = false;
          out += handshake_name(p[i]) + " seq " + std::to_string((p[i + 4] << 8) | p[i + 5]);
          if (offset != 0 || fragment != length) {
            out += " fragment " + std::to_string(offset) + "+" + std::to_string(fragment) + " of " +
                   std::to_string(length);
          }
          i += dtls_handshake_header_size + fragment;
        }
        if (i != p.size()) {
          out += std::string(first ? "" : ", ") + "fragment " + describe_bytes(p.subspan(std::min(i, p.size())));
        }
        return out + ")";
      }
      while (i + 4 <= p.size()) {
        std::size_t len = (std::size_t{p[i + 1]} << 16) | (std::size_t{p[i + 2]} << 8) | p[i + 3];
        if (!first) out += ", ";
        first = false;
        out += handshake_name(p[i]);
        if (p[i] == 24 && len == 1 && i + 5 <= p.size()) {
          out += p[i + 4] == 1 ? " update_requested" : p[i + 4] == 0 ? " update_not_requested" : " bad request";
          (void)protection_.key_update();
        }
        i += 4 + len;
      }
      if (i != p.size()) out += std::string(first ? "" : ", ") + "fragment " + describe_bytes(p.subspan(std::min(i, p.size())));
      return out + ")";
    }
    default:
      return "content_type_" + std::to_string(static_cast<int>(type)) + "(" + describe_bytes(p) + ")";
  }
}

std::vector<std::string> wire_decoder::feed(bytes_view bytes) {
  std::vector<std::string> out;
  for (auto& r : feed_records(bytes)) out.push_back(std::move(r.line));
  return out;
}

std::size_t wire_decoder::open_one(bytes_view bytes, wire_record& r) {
  if (is_dtls()) {
    // RFC 6347 §4.1: type(1) version(2) epoch(2) sequence_number(6) length(2).
    if (bytes.size() < dtls_record_header_size) return 0;
    const std::size_t length = (std::size_t{bytes[11]} << 8) | bytes[12];
    if (bytes.size() < dtls_record_header_size + length) return 0;
    dtls_record_header header{static_cast<content_type>(bytes[0]), static_cast<std::uint16_t>((bytes[1] << 8) | bytes[2]),
                              static_cast<std::uint16_t>((bytes[3] << 8) | bytes[4]), 0,
                              static_cast<std::uint16_t>(length)};
    for (std::size_t i = 5; i < 11; ++i) header.sequence_number = (header.sequence_number << 8) | bytes[i];
    if (header.epoch == protection_.epoch()) {
      next_dtls_sequence_ = std::max(next_dtls_sequence_, header.sequence_number + 1);
    }
    r.header.assign(bytes.begin(), bytes.begin() + dtls_record_header_size);
    r.bytes.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(dtls_record_header_size + length));
    std::vector<std::uint8_t> fragment(r.bytes.begin() + dtls_record_header_size, r.bytes.end());
    // Epoch 0 is the handshake's, unprotected (a replayed or injected old-epoch record).
    auto opened = header.epoch == 0 ? std::variant<tls_plaintext, fatal>{tls_plaintext{header.type, fragment}}
                                    : protection_.open(header, fragment);
    if (auto* p = std::get_if<tls_plaintext>(&opened)) {
      r.opened = true;
      r.type = p->type;
      r.plaintext.assign(p->fragment.begin(), p->fragment.end());
      r.line = describe(p->type, p->fragment);
      if (header.epoch != protection_.epoch()) r.line = "epoch " + std::to_string(header.epoch) + " " + r.line;
    } else {
      char version[8];
      std::snprintf(version, sizeof version, "%04x", header.version);
      // The header is the same in both runs (a side's epoch and sequence numbers are); the
      // ciphertext is not.
      r.line = "unopened(type " + std::to_string(bytes[0]) + ", version " + version + ", epoch " +
               std::to_string(header.epoch) + ", seq " + std::to_string(header.sequence_number) + ", length " +
               std::to_string(length) + ")";
    }
    return r.bytes.size();
  }
  if (bytes.size() < record_header_size) return 0;
  const std::size_t length = (std::size_t{bytes[3]} << 8) | bytes[4];
  if (bytes.size() < record_header_size + length) return 0;
  record_header header{static_cast<content_type>(bytes[0]), static_cast<std::uint16_t>((bytes[1] << 8) | bytes[2]),
                       static_cast<std::uint16_t>(length)};
  r.header.assign(bytes.begin(), bytes.begin() + record_header_size);
  r.bytes.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(record_header_size + length));
  std::vector<std::uint8_t> fragment(r.bytes.begin() + record_header_size, r.bytes.end());
  auto opened = protection_.open(header, fragment);
  if (auto* p = std::get_if<tls_plaintext>(&opened)) {
    r.opened = true;
    r.type = p->type;
    r.plaintext.assign(p->fragment.begin(), p->fragment.end());
    r.line = describe(p->type, p->fragment);
  } else {
    char version[8];
    std::snprintf(version, sizeof version, "%04x", header.legacy_record_version);
    // Ciphertext differs between runs (the keys do), so only the header is compared.
    r.line = "unopened(type " + std::to_string(bytes[0]) + ", version " + version + ", length " +
             std::to_string(length) + ")";
  }
  return r.bytes.size();
}

std::vector<wire_record> wire_decoder::feed_records(bytes_view bytes) {
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  std::vector<wire_record> out;
  std::size_t pos = 0;
  for (;;) {
    wire_record r;
    const std::size_t n = open_one(bytes_view{buffer_}.subspan(pos), r);
    if (n == 0) break;
    out.push_back(std::move(r));
    pos += n;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(pos));
  return out;
}

std::string wire_decoder::describe_datagram(bytes_view datagram) {
  std::string out;
  std::size_t pos = 0;
  while (pos < datagram.size()) {
    wire_record r;
    const std::size_t n = open_one(datagram.subspan(pos), r);
    if (n == 0) {
      out += (out.empty() ? "" : "; ") + std::string("(partial record, ") + std::to_string(datagram.size() - pos) +
             " bytes)";
      break;
    }
    out += (out.empty() ? "" : "; ") + r.line;
    pos += n;
  }
  return out.empty() ? "(empty datagram)" : out;
}

configured<wire_decoder> wire_decoder::create(const session_keys& keys, role sender) {
  auto p = keys.protection(sender);
  if (auto* e = std::get_if<config_error>(&p)) return *e;
  return wire_decoder(keys, sender, std::move(std::get<record_protection>(p)));
}

tools::result<std::vector<std::uint8_t>> wire_decoder::seal_next(std::uint8_t type, bytes_view plaintext,
                                                                 std::size_t padding,
                                                                 std::optional<std::uint16_t> epoch,
                                                                 std::optional<std::uint64_t> sequence_number,
                                                                 std::int64_t sequence_offset) const {
  const bool dtls = is_dtls();
  if (!dtls && (epoch || sequence_number || sequence_offset != 0)) {
    return tools::fail("inject: 'epoch' and 'seq' are DTLS 1.2's");
  }
  std::uint64_t seq = sequence_number.value_or(dtls ? next_dtls_sequence_ : protection_.sequence_number());
  if (!sequence_number && sequence_offset != 0) {
    // RFC 6347 §4.1: "uint48 sequence_number"; a relative number must land inside it.
    const std::uint64_t magnitude = sequence_offset < 0 ? 0 - static_cast<std::uint64_t>(sequence_offset)
                                                        : static_cast<std::uint64_t>(sequence_offset);
    if (seq > dtls_max_sequence_number ||
        (sequence_offset < 0 ? magnitude > seq : magnitude > dtls_max_sequence_number - seq)) {
      return tools::fail("inject: seq " + std::string(sequence_offset < 0 ? "-" : "+") + std::to_string(magnitude) +
                         " from " + std::to_string(seq) + " leaves the 48-bit sequence space");
    }
    seq = sequence_offset < 0 ? seq - magnitude : seq + magnitude;
  }
  if (dtls && epoch == 0) {
    // DTLSPlaintext of epoch 0: the null cipher the handshake starts under.
    if (plaintext.size() > 0xffff) return tools::fail("inject: an epoch-0 record holds at most 65535 bytes");
    auto header = encode_dtls_record_header(static_cast<content_type>(type), 0, seq,
                                            static_cast<std::uint16_t>(plaintext.size()));
    std::vector<std::uint8_t> out(header.begin(), header.end());
    out.insert(out.end(), plaintext.begin(), plaintext.end());
    return out;
  }
  // A copy of this direction at the same secret and sequence number (DTLS: epoch).
  auto copy = protection_.version() == protocol_version::tls13
                  ? record_protection::tls13(protection_.suite(), protection_.traffic_secret(), seq)
              : dtls ? protection_from_secrets(protection_.suite(),
                                               {{}, {}, keys_.master, keys_.client_random, keys_.server_random},
                                               sender_, seq, epoch.value_or(protection_.epoch()))
                     : keys_.protection_at(sender_, seq);
  if (auto* e = std::get_if<config_error>(&copy)) return tools::fail(e->message);
  auto& p = std::get<record_protection>(copy);
  std::vector<std::uint8_t> out(p.sealed_size(plaintext.size(), padding));
  // seal_hostile: an injected record is hostile input by design (an unknown inner type,
  // a plaintext over 2^14); only what the receiver cannot even frame is refused.
  auto sealed = p.seal_hostile(type, plaintext, out, padding);
  if (auto* f = std::get_if<fatal>(&sealed)) return tools::fail("cannot seal the injected record: " + std::string(f->reason));
  out.resize(std::get<std::size_t>(sealed));
  return out;
}

}  // namespace closenotify::diff
