// wire.cpp — decrypting each side's wire bytes into canonical record lines.
#include "wire.hpp"

#include <algorithm>
#include <cstdio>

#include "closenotify/alert.hpp"
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

std::vector<wire_record> wire_decoder::feed_records(bytes_view bytes) {
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  std::vector<wire_record> out;
  std::size_t pos = 0;
  while (buffer_.size() - pos >= record_header_size) {
    const std::uint8_t* h = buffer_.data() + pos;
    const std::size_t length = (std::size_t{h[3]} << 8) | h[4];
    if (buffer_.size() - pos < record_header_size + length) break;
    record_header header{static_cast<content_type>(h[0]), static_cast<std::uint16_t>((h[1] << 8) | h[2]),
                         static_cast<std::uint16_t>(length)};
    std::vector<std::uint8_t> fragment(h + record_header_size, h + record_header_size + length);
    wire_record r;
    std::copy(h, h + record_header_size, r.header.begin());
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
      r.line = "unopened(type " + std::to_string(h[0]) + ", version " + version + ", length " +
               std::to_string(length) + ")";
    }
    out.push_back(std::move(r));
    pos += record_header_size + length;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(pos));
  return out;
}

configured<wire_decoder> wire_decoder::create(const session_keys& keys, role sender) {
  auto p = keys.protection(sender);
  if (auto* e = std::get_if<config_error>(&p)) return *e;
  return wire_decoder(keys, sender, std::move(std::get<record_protection>(p)));
}

tools::result<std::vector<std::uint8_t>> wire_decoder::seal_next(std::uint8_t type, bytes_view plaintext,
                                                                             std::size_t padding) const {
  // A copy of this direction at the same secret and sequence number.
  auto copy = protection_.version() == protocol_version::tls13
                  ? record_protection::tls13(protection_.suite(), protection_.traffic_secret(),
                                             protection_.sequence_number())
                  : keys_.protection_at(sender_, protection_.sequence_number());
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
