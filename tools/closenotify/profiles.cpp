// profiles.cpp — `closenotify profiles`: where the five SSL_shutdown pages differ, as the
// table the endpoint follows (closenotify/profile.hpp), and `--profile NAME` for the
// commands that run an endpoint.
#include <cstdio>
#include <string>
#include <vector>

#include "closenotify/profile.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "output_file.hpp"

namespace closenotify::cli {

const char* const profiles_help =
    "usage: closenotify profiles [--json FILE]\n"
    "\n"
    "The SSL_shutdown pages (../shared/reference/) and the live OpenSSL releases as profiles\n"
    "of one state machine: OpenSSL 1.1.1, 3.0 and 3.5 are measured (what each release does\n"
    "against `closenotify diff`, explained from its source); OpenSSL 1.0 and LibreSSL 2016\n"
    "are held to their pages. Prints the rows where they differ, each with the sentence or\n"
    "source line it comes from; everything not listed is common to all profiles.\n"
    "docs/profiles.md explains each row.\n"
    "\n"
    "`--profile NAME` on `diff` and `trace` runs closenotify under another profile against\n"
    "a live OpenSSL (`--openssl VERSION`): the rows below where the two profiles differ then\n"
    "show up as differences.\n"
    "\n"
    "options:\n"
    "  --json FILE   the table as JSON ('-' for stdout)\n"
    "\n"
    "examples:\n"
    "  closenotify profiles\n"
    "  closenotify trace unread-sent-before-close-notify --profile openssl-1.0\n";

namespace {

struct row {
  const char* key;       // JSON name
  const char* question;  // what the row answers
  const char* basis;     // where the values come from
  std::string (*value)(const profile&);
};

const char* eof_name(unexpected_eof_report r) {
  return r == unexpected_eof_report::ssl_error ? "SSL_ERROR_SSL" : "SSL_ERROR_SYSCALL";
}

const std::vector<row>& rows() {
  static const std::vector<row> r{
      {"unexpected_eof", "an EOF without close_notify is reported as",
       "004 Non-Compliant Peers: \"This will ordinarily result in an error being generated.\" 3.0 made it one "
       "(\"unexpected eof while reading\"); before, the read returned 0 and nothing was queued",
       [](const profile& p) { return std::string(eof_name(p.unexpected_eof)); }},
      {"has_ignore_unexpected_eof", "SSL_OP_IGNORE_UNEXPECTED_EOF exists",
       "004 Non-Compliant Peers: \"If compatibility with such peers is desired, the option "
       "SSL_OP_IGNORE_UNEXPECTED_EOF can be set.\" (new in 3.0; `closenotify diff` skips the scenarios that set "
       "it for a release without it)",
       [](const profile& p) { return std::string(p.has_ignore_unexpected_eof ? "yes" : "no"); }},
      {"unread_data", "data arriving before the peer's close_notify, in the waiting SSL_shutdown()",
       "001 RETURN VALUES: \"It can also occur when not all data was read using SSL_read().\" 000 NOTES: \"The second "
       "call will make SSL_shutdown() wait for the peer's \"close notify\" shutdown alert.\" (1.0.2's "
       "ssl3_read_bytes threw such data away)",
       [](const profile& p) {
         return std::string(p.unread_data == unread_data_at_shutdown::fail ? "fatal" : "discarded");
       }},
      {"alert_names", "the reason string of a received SSLv3-era alert",
       "3.5's ssl_err.c renamed SSL_R_SSLV3_ALERT_* to \"ssl/tls alert ...\" (e.g. \"ssl/tls alert bad record "
       "mac\"); the TLS 1.0-era \"tlsv1 alert ...\" names are unchanged",
       [](const profile& p) {
         return std::string(p.alert_names == alert_reason_names::sslv3 ? "sslv3 alert ..." : "ssl/tls alert ...");
       }},
      {"tls13_warnings", "TLS 1.3 alerts that count as warnings",
       "rec_layer_s3.c: 1.1.1/3.0 `alert_level == SSL3_AL_WARNING || (is_tls13 && alert_descr == "
       "SSL_AD_USER_CANCELLED)`; 3.5 `(!is_tls13 && alert_level == SSL3_AL_WARNING) || (is_tls13 && ...)`: sets "
       "warn_alert, counts toward the five-warning limit, releases the record",
       [](const profile& p) {
         return std::string(p.tls13_warnings == tls13_warning_rule::warning_level ? "any warning" : "user_canceled");
       }},
      {"write_failure", "a failed transport write (EPIPE) leaves for SSL_get_error",
       "3.5's tls_retry_write_records: ERR_raise_data(ERR_LIB_SYS, get_last_sys_error(), ...), so the reason is "
       "the strerror text and SSL_get_error says SYSCALL; before, nothing was queued (ZERO_RETURN after the peer's "
       "close_notify)",
       [](const profile& p) {
         return std::string(p.write_failure == write_failure_report::nothing_queued ? "nothing" : "ERR_LIB_SYS");
       }},
      {"alert_behind_pending_write", "a close_notify queued behind a half-written record, at the next SSL_shutdown",
       "3.5's ssl3_dispatch_alert: \"We have a write pending but it wasn't from a previous call to this "
       "function! ... Give up.\" Before, ssl3_write_pending refused it: \"bad write retry\", the connection failed",
       [](const profile& p) {
         return std::string(p.alert_behind_pending_write == alert_behind_write::kept ? "kept" : "dropped");
       }},
      {"after_close", "a record met after the peer's close_notify (a read in init)",
       "ssl3_read_bytes: \"If the other end has shut down, throw anything we read away\": 1.1.1/3.0 empty it "
       "and keep it current; 3.5 passes over it unreleased (curr_rec++), and the next record asked for fails: "
       "\"records not released\", internal_error",
       [](const profile& p) {
         return std::string(p.after_close == record_after_close::stays_current ? "stays current" : "unreleased");
       }},
      {"late_compatibility_ccs", "a TLS 1.3 client drops a plaintext CCS 01 after the handshake",
       "RFC 8446 §5 allows dropping it only before the peer's Finished; 3.5's client record layer never clears "
       "is_first_handshake (tls_common.c), so it goes on dropping it as an empty record",
       [](const profile& p) { return std::string(p.late_compatibility_ccs ? "yes" : "no"); }},
      {"dtls_max_record_length", "the longest DTLS 1.2 record read rather than discarded from its header",
       "1.1.1/3.0 dtls1_get_record: `rr->length > SSL3_RT_MAX_ENCRYPTED_LENGTH` (17728 with compression compiled "
       "in, as Debian builds them); 3.5 dtls_get_more_records adds `rr->length > rl->max_frag_len + "
       "SSL3_RT_MAX_ENCRYPTED_OVERHEAD` (16704); a longer record's header is skipped and reading goes on inside "
       "its body (docs/dtls.md)",
       [](const profile& p) { return std::to_string(p.dtls_max_record_length); }},
      {"dtls_warning_alert", "a DTLS warning alert's record (not close_notify)",
       "dtls1_read_bytes, 1.1.1/3.0: `SSL3_RECORD_set_read(rr)` leaves the length, so `goto start` processes the "
       "same alert again until \"too many warn alerts\"; 3.5: ssl_release_record",
       [](const profile& p) {
         return std::string(p.dtls_warning == dtls_warning_alert::read_again ? "read again" : "released");
       }},
      {"dtls_no_renegotiation_fatal", "a DTLS no_renegotiation warning is fatal",
       "3.0/3.5 dtls1_read_bytes: `else if (alert_descr == SSL_AD_NO_RENEGOTIATION)` SSLfatal handshake_failure; "
       "1.1.1 has no such branch and counts it as any warning",
       [](const profile& p) { return std::string(p.dtls_no_renegotiation_fatal ? "yes" : "no"); }},
      {"dtls_empty_record", "a DTLS record with an empty plaintext",
       "3.5 dtls_get_more_records: \"No payload data in this record. Dump it\"; 1.1.1/3.0 hand it to "
       "dtls1_read_bytes (SSL_read returns 0, SSL_ERROR_SYSCALL; an empty alert is \"invalid alert\")",
       [](const profile& p) {
         return std::string(p.dtls_empty == dtls_empty_record::delivered ? "delivered" : "dropped");
       }},
      {"dtls_empty_datagram", "SSL_read's return for a zero-length datagram (SSL_ERROR_SYSCALL, no EOF)",
       "the datagram BIO has no BIO_CTRL_EOF, so ssl3_read_n's `BIO_eof` is false: no unexpected-EOF error; 1.1.1/3.0 "
       "return the 0, 3.5's record layer makes it -1",
       [](const profile& p) {
         return std::string(p.dtls_empty_datagram_read == dtls_empty_datagram::returns_0 ? "0" : "-1");
       }},
      {"dtls_short_record", "a DTLS record shorter than explicit nonce + tag",
       "3.0 drops it with the records that do not authenticate; in 1.1.1 and 3.5 EVP_CTRL_AEAD_TLS1_AAD fails first "
       "and the connection fails with internal_error (1.1.1 \"internal error\", 3.5 \"record layer failure\")",
       [](const profile& p) {
         return std::string(p.dtls_short_record ? "fatal" : "dropped");
       }},
  };
  return r;
}

// The checks whose answer differs between releases (fatal_check), with the answer the
// record layers give (OpenSSL 3.0's), for the table's last section.
struct check_row {
  fatal_check check;
  const char* key;
  const char* what;
  const char* common_answer;
};
constexpr check_row kChecks[] = {
    {fatal_check::tls12_aead_record_too_short, "tls12_aead_record_too_short",
     "a TLS 1.2 AEAD record shorter than explicit nonce + tag", "bad_record_mac, \"decryption failed or bad record mac\""},
    {fatal_check::tls13_record_too_short, "tls13_record_too_short", "a TLS 1.3 record shorter than tag + type",
     "bad_record_mac, \"decryption failed or bad record mac\""},
    {fatal_check::record_over_read_buffer, "record_over_read_buffer", "a record length over OpenSSL's read buffer",
     "record_overflow, \"packet length too long\""},
    {fatal_check::tls13_record_major_version, "tls13_record_major_version",
     "a TLS 1.3 record whose version's major byte is not 3", "protocol_version, \"wrong version number\""},
};

std::string answer(const profile& p, const check_row& c) {
  for (const fatal_override& o : p.fatal_overrides) {
    if (o.check == c.check) {
      return std::string(o.send ? to_string(*o.send) : "no alert") + ", \"" + std::string(o.reason) + "\"";
    }
  }
  return c.common_answer;
}

std::string as_json() {
  tools::json list = tools::json::array();
  for (const profile& p : profiles()) {
    tools::json one = {{"name", p.name},
                       {"pages", p.pages},
                       {"checked_live", p.checked_live()},
                       {"live_version", p.live_version}};
    for (const row& r : rows()) one[r.key] = r.value(p);
    for (const check_row& c : kChecks) one[c.key] = answer(p, c);
    list.push_back(std::move(one));
  }
  tools::json row_list = tools::json::array();
  for (const row& r : rows()) row_list.push_back({{"key", r.key}, {"question", r.question}, {"basis", r.basis}});
  const tools::json doc = {{"profiles", std::move(list)}, {"rows", std::move(row_list)}};
  return tools::json_text(doc, 2) + "\n";
}

}  // namespace

std::variant<std::optional<profile_id>, failure> parse_profile(const options& o) {
  const auto name = o.get("profile");
  if (!name) return std::nullopt;
  if (const profile* p = find_profile(*name)) return p->id;
  std::string known;
  for (const profile& p : profiles()) known += (known.empty() ? "" : ", ") + std::string(p.name);
  return usage("unknown --profile '" + *name + "' (profiles: " + known + ")");
}

outcome run_profiles(const std::vector<std::string>& args) {
  auto parsed = parse_options(args, {"json"}, {"help"});
  if (auto* f = std::get_if<failure>(&parsed)) return *f;
  const auto& o = std::get<options>(parsed);
  if (o.has("help")) {
    std::fputs(profiles_help, stdout);
    return exit_ok;
  }
  if (!o.positional.empty()) return usage("unexpected argument '" + o.positional.front() + "'");
  if (auto path = o.get("json")) {
    if (auto f = tools::write_output("--json", *path, as_json())) return *f;
    return exit_ok;
  }
  constexpr int kLabel = 36, kColumn = 18;
  std::printf("Where OpenSSL releases and the SSL_shutdown pages differ. Profiles marked * are measured:\n"
              "what that release does against `closenotify diff`, which wins over its page. The others\n"
              "are held to their pages. Everything not listed is common to all profiles.\n\n");
  std::printf("%-*s", kLabel, "");
  for (const profile& p : profiles()) {
    std::printf("%-*s", kColumn, (std::string(p.name) + (p.checked_live() ? "*" : "")).c_str());
  }
  std::printf("\n%-*s", kLabel, "pages");
  for (const profile& p : profiles()) std::printf("%-*s", kColumn, std::string(p.pages).c_str());
  std::printf("\n");
  int n = 0;
  for (const row& r : rows()) {
    std::printf("%2d. %-*.*s", ++n, kLabel - 4, kLabel - 5, r.key);
    for (const profile& p : profiles()) std::printf("%-*s", kColumn, r.value(p).c_str());
    std::printf("\n");
  }
  std::printf("\nmeasured against:\n");
  for (const profile& p : profiles()) {
    if (p.checked_live()) std::printf("  %-15s%s\n", std::string(p.name).c_str(), std::string(p.live_version).c_str());
  }
  std::printf("\n");
  n = 0;
  for (const row& r : rows()) std::printf("%2d. %s.\n    %s\n", ++n, r.question, r.basis);
  std::printf("\nChecks that releases answer with other alerts or reasons (alert, reason):\n");
  for (const check_row& c : kChecks) {
    std::printf("%2d. %s: %s\n", ++n, c.key, c.what);
    for (const profile& p : profiles()) {
      std::printf("      %-15s%s\n", std::string(p.name).c_str(), answer(p, c).c_str());
    }
  }
  return exit_ok;
}

}  // namespace closenotify::cli
