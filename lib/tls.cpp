// tls.cpp — names for the shared RFC vocabulary.
#include "closenotify/tls.hpp"

namespace closenotify {

std::string_view to_string(content_type t) noexcept {
  switch (t) {
    case content_type::invalid: return "invalid";
    case content_type::change_cipher_spec: return "change_cipher_spec";
    case content_type::alert: return "alert";
    case content_type::handshake: return "handshake";
    case content_type::application_data: return "application_data";
  }
  // The enum holds any byte a header carried; an unassigned type has no RFC name.
  return "unknown";
}

std::string_view to_string(protocol_version v) noexcept {
  // Spelled as OpenSSL's SSL_get_version() prints them, so outcomes compare as text.
  switch (v) {
    case protocol_version::tls12: return "TLSv1.2";
    case protocol_version::tls13: return "TLSv1.3";
    case protocol_version::dtls12: return "DTLSv1.2";
  }
  return "unknown";
}

std::string_view to_string(role r) noexcept {
  switch (r) {
    case role::client: return "client";
    case role::server: return "server";
  }
  return "unknown";
}

}  // namespace closenotify
