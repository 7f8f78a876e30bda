// profile.cpp — the table of differences between the five SSL_shutdown pages.
#include "closenotify/profile.hpp"

#include <array>

namespace closenotify {

namespace {

using eof = unexpected_eof_report;
using unread = unread_data_at_shutdown;

// id, name, pages, live, nonblocking return, EOF, IGNORE_UNEXPECTED_EOF, unread data
constexpr std::array<profile, 5> kProfiles{{
    {profile_id::openssl_1_0, "openssl-1.0", "000, 002", false, -1, eof::syscall_eof, false, unread::discard},
    {profile_id::libressl, "libressl", "003", false, -1, eof::syscall_eof, false, unread::discard},
    {profile_id::openssl_1_1_1, "openssl-1.1.1", "001", false, -1, eof::syscall_eof, false, unread::fail},
    {profile_id::openssl_3_0, "openssl-3.0", "live OpenSSL 3.0 (pages 001, 004)", true, -1, eof::ssl_error, true,
     unread::fail},
    {profile_id::openssl_3_5, "openssl-3.5", "004", false, 0, eof::ssl_error, true, unread::fail},
}};
static_assert(kProfiles[3].id == profile_id::openssl_3_0, "profile_for's fallback is the live peer's");

}  // namespace

std::span<const profile> profiles() noexcept { return kProfiles; }

const profile& profile_for(profile_id id) noexcept {
  for (const profile& p : kProfiles) {
    if (p.id == id) return p;
  }
  return kProfiles[3];  // unreachable: every id is in the table (static_assert above)
}

const profile* find_profile(std::string_view name) noexcept {
  for (const profile& p : kProfiles) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace closenotify
