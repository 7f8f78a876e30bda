// endpoint.cpp — OpenSSL's teardown semantics over closenotify's record layer: 3.0's
// functions, in 3.0's order; where 1.1.1 or 3.5 do otherwise, the profile (profile.hpp)
// says how, at the check concerned.
//
// Each function below is the counterpart of one OpenSSL 3.0 function, and follows its
// order of checks, because the order is what a differential test observes:
//   shutdown        ssl3_shutdown (s3_lib.c) behind SSL_shutdown's in-init check
//   read_bytes      ssl3_read_bytes (record/rec_layer_s3.c)
//   get_record      ssl3_get_record (record/ssl3_record.c)
//   fill            ssl3_read_n
//   write           ssl_write_internal + ssl3_write_bytes
//   send_alert      ssl3_send_alert (s3_msg.c); dispatch_alert: ssl3_dispatch_alert
//   fail            SSLfatal / ossl_statem_send_fatal
// DTLS 1.2's own functions (dtls1_read_bytes, dtls1_get_record, dtls1_write_app_data_bytes)
// are in endpoint_dtls.cpp; everything else is shared, as it is in OpenSSL.
// The man-page sentence each behaviour implements is quoted where it is enforced.
// The steps below the public calls return a `step` (endpoint.hpp); OpenSSL's 1 / 0 / -1
// exists only in the public calls, through openssl_return.
#include "closenotify/endpoint.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace closenotify {

namespace {

// kMaxEmptyRecords: OpenSSL's MAX_EMPTY_RECORDS. An attacker who can send empty records
// faster than they are processed would otherwise keep a reader looping forever; the
// 33rd consecutive empty record is fatal.
constexpr int kMaxEmptyRecords = 32;

}  // namespace

std::string_view to_string(ssl_error e) noexcept {
  switch (e) {
    case ssl_error::none: return "SSL_ERROR_NONE";
    case ssl_error::ssl: return "SSL_ERROR_SSL";
    case ssl_error::want_read: return "SSL_ERROR_WANT_READ";
    case ssl_error::want_write: return "SSL_ERROR_WANT_WRITE";
    case ssl_error::syscall: return "SSL_ERROR_SYSCALL";
    case ssl_error::zero_return: return "SSL_ERROR_ZERO_RETURN";
  }
  return "SSL_ERROR_UNKNOWN";
}

endpoint::endpoint(transport& t, role r, record_protection read_protection,
                   record_protection write_protection, endpoint_options options)
    : transport_(t),
      role_(r),
      read_(std::move(read_protection)),
      write_(std::move(write_protection)),
      options_(options),
      profile_(profile_for(options.profile)),
      reader_(read_.version()) {
  // RFC 8446 §5 lets the compatibility change_cipher_spec through only "before the peer's
  // Finished message has been received"; OpenSSL 3.5's client never stops accepting it.
  reader_.set_compatibility_ccs(profile_.late_compatibility_ccs && r == role::client &&
                                read_.version() == protocol_version::tls13);
}

// ---- errors -------------------------------------------------------------------------

// Each call starts with an empty error queue: the peer executable calls ERR_clear_error
// before every step, so "the last call's error" is what both sides report.
void endpoint::begin_call() noexcept {
  error_ = {};
  system_error_ = {};
  system_error_first_ = false;
  os_error_ = 0;
}

void endpoint::raise(std::string_view reason) noexcept {
  if (error_.empty()) error_ = reason;  // SSL_get_error looks at the earliest error
}

void endpoint::raise_system(int error_number) noexcept {
  if (!system_error_.empty()) return;
  system_error_first_ = error_.empty();
  system_error_ = std::strerror(error_number);
}

void endpoint::fail(std::optional<alert_description> send, std::string_view reason) noexcept {
  raise(reason);
  // ossl_statem_send_fatal: "if (s->statem.in_init && s->statem.state == MSG_FLOW_ERROR)
  // return;" — a second fatal error sends no second alert.
  if (failed_) return;
  failed_ = true;
  // SSLfatal does not wait for its alert: the failing call returns -1 however the write
  // went, and an unwritten alert stays queued, as OpenSSL leaves it.
  if (send) (void)send_alert(alert_level::fatal, *send);
}

ssl_error endpoint::get_error(int ret) const noexcept {
  if (ret > 0) return ssl_error::none;
  // SSL_get_error: "if (ERR_GET_LIB(l) == ERR_LIB_SYS) return SSL_ERROR_SYSCALL; else
  // return SSL_ERROR_SSL;" for the earliest queued error.
  if (system_error_first_) return ssl_error::syscall;
  if (!error_.empty()) return ssl_error::ssl;
  if (want_ == want::reading) return ssl_error::want_read;
  if (want_ == want::writing) return ssl_error::want_write;
  if ((shutdown_ & shutdown_received) && warn_alert_ == alert_description::close_notify) {
    return ssl_error::zero_return;
  }
  return ssl_error::syscall;
}

std::size_t endpoint::pending() const noexcept {
  return record_ && record_->type == content_type::application_data ? record_->data.size() : 0;
}

// openssl_return: the one place a step becomes OpenSSL's return value; every public call
// that runs steps returns through it.
int endpoint::openssl_return(step s) noexcept {
  switch (s) {
    case step::proceed: return 1;
    case step::closed: return 0;
    case step::retry_read:
    case step::retry_write:
    case step::error: return -1;
  }
  return -1;
}

// ---- shutdown -----------------------------------------------------------------------

int endpoint::shutdown() noexcept {
  begin_call();
  // 004 DESCRIPTION: "SSL_shutdown() should not be called if a previous fatal error has
  // occurred on a connection". OpenSSL refuses it as it refuses a call in the handshake.
  if (in_init()) {
    raise("shutdown while in init");
    return -1;
  }
  // 004 Quiet Shutdown: "When "quiet shutdown" is enabled, SSL_shutdown() will always
  // succeed and return 1 immediately."
  if (options_.quiet_shutdown) {
    shutdown_ = shutdown_sent | shutdown_received;
    return 1;
  }
  // 004 Shutdown Lifecycle: "If the underlying BIO is nonblocking and the shutdown process
  // is not yet complete ... SSL_shutdown() returns 0 to indicate that the shutdown process
  // is still ongoing". No release does: 1.1.1, 3.0 and 3.5 return -1 (docs/divergences.md, A).
  if (const step s = shutdown_step(); s != step::proceed) return openssl_return(s);
  // 004 RETURN VALUES: 1 means "a close_notify alert was sent and the peer's close_notify
  // alert was received".
  return shutdown_ == (shutdown_sent | shutdown_received) && !pending_alert_ ? 1 : 0;
}

// ssl3_shutdown's one move per call: send our close_notify, finish writing it, or wait
// for the peer's. proceed: the call reports how far the shutdown is.
endpoint::step endpoint::shutdown_step() noexcept {
  if (!(shutdown_ & shutdown_sent)) {
    // 004 Shutdown Lifecycle: "the SSL_SENT_SHUTDOWN flag is set once an attempt is made
    // to send a close_notify alert, regardless of whether the attempt was successful."
    shutdown_ |= shutdown_sent;
    const step sent = send_alert(alert_level::warning, alert_description::close_notify);
    if (pending_alert_) return sent;
  } else if (pending_alert_) {
    if (const step sent = dispatch_alert(); sent != step::proceed) return sent;
  } else if (!(shutdown_ & shutdown_received)) {
    // The second call waits for the peer's close_notify; how the read ends does not
    // matter, only whether RECEIVED is set afterwards (a received fatal alert sets it too).
    std::size_t unused = 0;
    const step waited = read_bytes(read_for::shutdown, {}, false, unused);
    // A read that ended without RECEIVED (an EOF, a record of type 0) fails the call too.
    if (!(shutdown_ & shutdown_received)) {
      return waited == step::retry_read || waited == step::retry_write ? waited : step::error;
    }
  }
  return step::proceed;
}

// ---- alerts out ---------------------------------------------------------------------

endpoint::step endpoint::send_alert(alert_level level, alert_description d) noexcept {
  // Once our close_notify is out nothing else may follow it: ssl3_send_alert drops every
  // alert but close_notify after SENT_SHUTDOWN.
  if ((shutdown_ & shutdown_sent) && d != alert_description::close_notify) return step::error;
  pending_alert_ = alert{level, d};
  if (!pending_write_) return dispatch_alert();
  return step::retry_write;  // queued: it goes out once the partly written record is out
}

endpoint::step endpoint::dispatch_alert() noexcept {
  const alert a = *pending_alert_;
  pending_alert_.reset();
  // OpenSSL 3.5's ssl3_dispatch_alert: "We have a write pending but it wasn't from a
  // previous call to this function! Can we ever get here? Maybe via API misuse?? Give
  // up." (profile row alert_behind_pending_write)
  if (pending_write_ && pending_write_->type != content_type::alert &&
      profile_.alert_behind_pending_write == alert_behind_write::dropped) {
    return step::error;
  }
  const auto bytes = encode_alert(a);
  if (const step written = write_record(content_type::alert, bytes); written != step::proceed) {
    if (!pending_alert_) pending_alert_ = a;
    return written;
  }
  last_alert_sent_ = a;
  return step::proceed;
}

// ---- records out --------------------------------------------------------------------

endpoint::step endpoint::seal_record(content_type type, bytes_view plaintext) noexcept {
  auto sealed = write_.seal(type, plaintext, out_);
  if (fail_on_fatal(sealed)) return step::error;
  pending_write_ = pending_record{type, plaintext.size(), plaintext.data(),
                                  bytes_view{out_.data(), std::get<std::size_t>(sealed)}};
  if (observer_) observer_(record_event{true, type, plaintext});
  return step::proceed;
}

endpoint::step endpoint::write_record(content_type type, bytes_view plaintext) noexcept {
  if (pending_write_) {
    // ssl3_write_pending: a record still being written must be finished by a retry of
    // the same kind of write; anything else is "bad write retry".
    if (pending_write_->type != type) {
      fail(alert_description::internal_error, "bad write retry");
      return step::error;
    }
    return flush();
  }
  // do_ssl3_write: a queued alert goes out before new data.
  if (pending_alert_ && type != content_type::alert) {
    if (const step sent = dispatch_alert(); sent != step::proceed) return sent;
  }
  if (const step sealed = seal_record(type, plaintext); sealed != step::proceed) return sealed;
  return flush();
}

// ssl3_write_pending.
endpoint::step endpoint::flush() noexcept {
  while (pending_write_ && !pending_write_->unsent.empty()) {
    want_ = want::writing;
    io_result io = transport_.write(pending_write_->unsent);
    switch (io.status) {
      case io_status::ok:
        pending_write_->unsent = pending_write_->unsent.subspan(io.bytes);
        break;
      case io_status::would_block:
        // ssl3_write_pending: "For DTLS, just drop it. That's kind of the whole point in
        // using a datagram service" — the record and its sequence number are gone; a
        // retry seals a new one (an alert stays queued and is sealed again).
        if (is_dtls()) pending_write_.reset();
        return step::retry_write;
      case io_status::eof:
      case io_status::error:
        if (is_dtls()) pending_write_.reset();
        os_error_ = io.error_number;
        want_ = want::nothing;  // not retryable: SSL_get_error falls through to SYSCALL
        // OpenSSL 3.5's tls_retry_write_records: "ERR_raise_data(ERR_LIB_SYS,
        // get_last_sys_error(), ...)" (profile row write_failure).
        if (profile_.write_failure == write_failure_report::system_error && io.error_number != 0) {
          raise_system(io.error_number);
        }
        return step::error;
    }
  }
  want_ = want::nothing;
  pending_write_.reset();
  return step::proceed;
}

int endpoint::write(bytes_view data) noexcept {
  begin_call();
  // 004 Locally-Initiated Shutdown: "Once SSL_shutdown() is called, SSL_write(3) can no
  // longer be used".
  if (shutdown_ & shutdown_sent) {
    want_ = want::nothing;
    raise("protocol is shutdown");
    return -1;
  }
  if (is_dtls()) return dtls_write(data);
  want_ = want::nothing;
  std::size_t total = write_done_;
  // A retried write must offer at least what the interrupted one had committed to.
  if (data.size() < write_done_ ||
      (pending_write_ && data.size() < write_done_ + pending_write_->plaintext_size)) {
    fail(alert_description::internal_error, "bad length");
    return -1;
  }
  write_done_ = 0;
  // ssl3_write_bytes: "If we are supposed to be sending a KeyUpdate ... then go into
  // init unless we have writes pending".
  if (key_update_ == key_update_state::owed && !pending_write_) {
    key_update_ = key_update_state::scheduled;
  }
  if (in_init()) {
    if (const step s = continue_handshake(); s != step::proceed) return openssl_return(s);
  }
  if (pending_write_) {
    // ssl3_write_pending: the retry must pass the same buffer ("wpend_buf != buf"; there
    // is no SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER here). Seen live: a second SSL_write with
    // a new, longer buffer after one that failed with EPIPE is "bad write retry" (found by
    // closenotify replay; scenario nb-write-from-another-buffer-after-epipe).
    if (pending_write_->type != content_type::application_data ||
        data.data() + total != pending_write_->plaintext) {
      fail(alert_description::internal_error, "bad write retry");
      return -1;
    }
    const std::size_t in_record = pending_write_->plaintext_size;
    if (const step s = flush(); s != step::proceed) {
      write_done_ = total;
      return openssl_return(s);
    }
    total += in_record;
  }
  while (total < data.size()) {
    const std::size_t n = std::min(max_plaintext_length, data.size() - total);
    if (const step s = write_record(content_type::application_data, data.subspan(total, n));
        s != step::proceed) {
      write_done_ = total;
      return openssl_return(s);
    }
    total += n;
  }
  return static_cast<int>(std::min<std::size_t>(total, std::numeric_limits<int>::max()));
}

// ---- key update ---------------------------------------------------------------------

int endpoint::key_update(key_update_request r) noexcept {
  begin_call();
  if (write_.version() != protocol_version::tls13) {
    raise("wrong ssl version");
    return 0;
  }
  if (in_init()) {
    raise("still in init");
    return 0;
  }
  if (pending_write_) {
    raise("bad write retry");
    return 0;
  }
  key_update_ = key_update_state::scheduled;
  key_update_request_ = r;
  return 1;
}

int endpoint::do_handshake() noexcept {
  begin_call();
  if (!in_init()) return 1;
  return openssl_return(continue_handshake());
}

// The post-handshake state machine's write half: the only message it ever writes is a
// KeyUpdate. The new write key is installed right after sealing, so the KeyUpdate goes
// out under the old key and everything after it under the new one (RFC 8446 §4.6.3).
endpoint::step endpoint::continue_handshake() noexcept {
  if (failed_) return step::error;  // OpenSSL's state machine returns -1 silently in its error state
  // A message being read is finished first; the write half runs after it (a KeyUpdate
  // owed by then goes out once the message is in).
  if (reading_message_) {
    if (const step s = read_message_body(); s != step::proceed) return s;
  }
  if (key_update_ == key_update_state::scheduled) {
    if (pending_write_) {
      fail(alert_description::internal_error, "bad write retry");
      return step::error;
    }
    const auto msg = encode_key_update(key_update_request_);
    if (const step s = seal_record(content_type::handshake, msg); s != step::proceed) return s;
    if (!write_.key_update()) {
      fail(alert_description::internal_error, "bad key update");
      return step::error;
    }
    key_update_ = key_update_state::writing;
  }
  if (key_update_ == key_update_state::writing) {
    if (const step s = flush(); s != step::proceed) return s;
    key_update_ = key_update_state::none;
  }
  return step::proceed;
}

// ---- records in ---------------------------------------------------------------------

int endpoint::read(mutable_bytes out) noexcept { return read_internal(out, false); }
int endpoint::peek(mutable_bytes out) noexcept { return read_internal(out, true); }

int endpoint::read_internal(mutable_bytes out, bool peek) noexcept {
  begin_call();
  // 004 Remotely-Initiated Shutdown: after the peer's close_notify "SSL_read(3) will fail
  // and SSL_get_error(3) will return SSL_ERROR_ZERO_RETURN".
  if (shutdown_ & shutdown_received) {
    want_ = want::nothing;
    return 0;
  }
  std::size_t n = 0;
  const step s = read_bytes(read_for::application_data, out, peek, n);
  return s == step::proceed ? static_cast<int>(n) : openssl_return(s);
}

// proceed: `copied` bytes of application data are in `out` (a read for data), or the
// message is whole (a read for a message body).
endpoint::step endpoint::read_bytes(read_for purpose, mutable_bytes out, bool peek,
                                    std::size_t& copied) noexcept {
  const bool application = purpose == read_for::application_data;
  if (application && in_init()) {
    if (const step s = continue_handshake(); s != step::proceed) return s;
  }
  if (is_dtls()) return dtls_read_bytes(purpose, out, peek, copied);
  for (;;) {
    want_ = want::nothing;
    if (!record_) {
      if (const step s = get_record(); s != step::proceed) return s;
    }
    // RFC 8446 §5.1: "Handshake messages MUST NOT be interleaved with other record types."
    // OpenSSL enforces it only while a header is incomplete in its fragment store; once
    // the state machine has the header, an alert arriving mid-body is processed and
    // application data is an "unexpected record" (seen live: closenotify replay, scenarios
    // post-message-body-pending-*).
    if (read_.version() == protocol_version::tls13 && handshake_.partial() && !reading_message_ &&
        record_->type != content_type::handshake) {
      fail(alert_description::unexpected_message, "mixed handshake and non handshake data");
      return step::error;
    }
    if (record_->type != content_type::alert && !record_->data.empty()) {
      warning_alerts_in_a_row_ = 0;
    }
    // RFC 8446 §6.1: "Any data received after a closure alert has been received MUST be
    // ignored." OpenSSL empties the record (SSL3_RECORD_set_length(rr, 0)) but does not
    // mark it read, so it stays the current record and every later read in init returns
    // 0 at once, without reading the transport again (seen live: closenotify replay of a
    // fuzz_endpoint input, scenario post-message-body-pending-close-notify-then-more).
    if (shutdown_ & shutdown_received) {
      if (profile_.after_close == record_after_close::passed_over_unreleased) {
        consume_record();
        unreleased_record_ = true;
      } else {
        record_->data = {};
      }
      want_ = want::nothing;
      return step::closed;
    }
    // The state machine reading a body takes handshake records before anything else.
    if (purpose == read_for::message_body && record_->type == content_type::handshake) {
      if (const step s = handle_handshake(); s != step::proceed) return s;
      if (!reading_message_) return step::proceed;  // the message is in
      continue;
    }
    // ssl3_shutdown reads with type 0, and ssl3_read_bytes hands a record of the requested
    // type to its caller: a TLS 1.2 record whose (authenticated) content type is 0 "is"
    // what SSL_shutdown asked for. It reads nothing, is consumed only if empty, and the
    // call returns -1 with SSL_ERROR_SYSCALL (seen live: closenotify replay, scenario
    // records-tls12-type-0-during-second-shutdown). A read for data calls it unexpected.
    if (purpose == read_for::shutdown && record_->type == content_type::invalid) {
      if (record_->data.empty()) consume_record();
      want_ = want::nothing;
      return step::closed;
    }
    if (application && record_->type == content_type::application_data) {
      if (record_->data.empty()) {  // an empty record: read the next one
        consume_record();
        continue;
      }
      copied = std::min(out.size(), record_->data.size());
      std::memcpy(out.data(), record_->data.data(), copied);
      if (!peek) {
        record_->data = record_->data.subspan(copied);
        if (record_->data.empty()) consume_record();
      }
      return step::proceed;
    }
    if (record_->type == content_type::alert) {
      if (const step s = handle_alert(); s != step::proceed) return s;
      continue;
    }
    if (shutdown_ & shutdown_sent) {
      if (record_->type == content_type::handshake &&
          read_.version() == protocol_version::tls12) {
        consume_record();  // TLS 1.2 handshake messages after our close_notify are dropped
        continue;
      }
      if (record_->type != content_type::handshake && purpose == read_for::shutdown &&
          profile_.unread_data == unread_data_at_shutdown::discard) {
        // 000 NOTES: "The second call will make SSL_shutdown() wait for the peer's "close
        // notify" shutdown alert." Before 1.1.1 what came first was thrown away (1.0.2's
        // ssl3_read_bytes: "rr->length = 0; return 0"), and the wait goes on next call.
        consume_record();
        want_ = want::nothing;
        return step::closed;
      }
      if (record_->type != content_type::handshake) {
        // 004 Shutdown Lifecycle: "the second call to SSL_shutdown() ... will fail if it
        // is called when the application has not read all pending application data sent
        // by the peer". No alert: our close_notify was the last thing we send.
        consume_record();
        fail(std::nullopt, "application data after close notify");
        return step::error;
      }
    }
    if (record_->type == content_type::handshake) {
      if (const step s = handle_handshake(); s != step::proceed) return s;
      // The header is in and the state machine has taken it: it reads the body now. If
      // that read stops (WANT_READ, an alert, EOF) the call that brought the header
      // returns -1, as ssl3_read_bytes does when handshake_func fails; a whole message
      // lets the call go on.
      if (reading_message_) {
        if (const step s = read_message_body(); s != step::proceed) return s;
      }
      continue;
    }
    if (record_->type == content_type::change_cipher_spec) {
      consume_record();
      fail(alert_description::unexpected_message, "ccs received early");
      return step::error;
    }
    consume_record();
    fail(alert_description::unexpected_message, "unexpected record");
    return step::error;
  }
}

// tls_get_message_body: records until the message whose header the state machine took is
// whole. proceed when it is; otherwise what stopped the read (WANT_READ, EOF, an alert, a
// fatal error), as a step that fails the call: the calls that entered the state machine
// return -1 even where the read itself would have returned 0.
endpoint::step endpoint::read_message_body() noexcept {
  while (reading_message_) {
    std::size_t unused = 0;
    const step s = read_bytes(read_for::message_body, {}, false, unused);
    if (s == step::closed) return step::error;
    if (s != step::proceed) return s;
  }
  return step::proceed;
}

// The current record as an alert, recorded as received; nullopt when it is not one
// (exactly 2 bytes: "invalid alert" otherwise), the connection failed and the record consumed.
std::optional<alert> endpoint::receive_alert() noexcept {
  auto parsed = parse_alert(record_->data);
  if (fail_on_fatal(parsed)) {
    consume_record();
    return std::nullopt;
  }
  const alert a = std::get<alert>(parsed);
  last_alert_received_ = a;
  if (alert_observer_) alert_observer_(a);
  return a;
}

// A fatal alert received: the peer ended the connection. Nothing is sent back, and the
// read direction is closed as by a close_notify.
endpoint::step endpoint::peer_ended(std::string_view reason) noexcept {
  want_ = want::nothing;
  fail(std::nullopt, reason);
  shutdown_ |= shutdown_received;
  return step::closed;
}

endpoint::step endpoint::handle_alert() noexcept {
  const std::optional<alert> received = receive_alert();
  if (!received) return step::error;
  const alert a = *received;
  const alert_meaning m = classify_received_alert(a, read_.version(), profile_.tls13_warnings, profile_.alert_names);
  // ssl3_read_bytes marks an alert record read (SSL3_RECORD_set_read) for a counted
  // warning and for a fatal alert, but not for a TLS 1.3 close_notify at any other level:
  // that record stays current, so a later read in init meets RECEIVED on it and returns
  // 0 without reading the transport (seen live: closenotify replay of two fuzz_endpoint
  // inputs, scenario post-message-body-pending-close-notify-level-0).
  if (m.effect == alert_effect::close_notify && !m.counts_as_warning) {
    record_->data = {};
  } else {
    consume_record();
  }
  if (m.counts_as_warning) {
    warn_alert_ = a.description;
    if (++warning_alerts_in_a_row_ == kMaxWarningAlerts) {
      fail(alert_description::unexpected_message, "too many warn alerts");
      return step::error;
    }
  }
  switch (m.effect) {
    case alert_effect::ignore:
      return step::proceed;
    case alert_effect::close_notify:
      shutdown_ |= shutdown_received;
      return step::closed;
    case alert_effect::peer_fatal:
      return peer_ended(m.reason);
    case alert_effect::local_fatal:
      fail(m.response, m.reason);
      return step::error;
  }
  return step::error;
}

// One handshake record's worth of post-handshake processing, taking from the record only
// what OpenSSL takes: up to 4 bytes into its fragment store until a header is whole, then
// (once the state machine has the header) exactly the rest of that message. proceed when
// the record is used up or a message has been processed, leaving any rest of the record
// for whoever reads next; otherwise a fatal error, or an owed KeyUpdate that cannot be
// written yet.
endpoint::step endpoint::handle_handshake() noexcept {
  const protocol_version version = read_.version();
  for (;;) {
    const std::size_t take = std::min(handshake_.wanted(), record_->data.size());
    handshake_.append(record_->data.first(take));
    record_->data = record_->data.subspan(take);
    if (handshake_.buffered() < handshake_header_size) {
      // ssl3_read_bytes fills its fragment store from handshake records; until it is
      // full, reading simply goes on, so an empty or short handshake record does not stop
      // application data (seen live: closenotify diff records-empty-handshake-record,
      // records-handshake-fragment-then-data).
      consume_record();
      return step::proceed;
    }
    if (!reading_message_) {
      // OpenSSL enters its state machine as soon as a header's 4 bytes are in, and the
      // state machine starts with its write half: a KeyUpdate owed to the peer (RFC 8446
      // §4.6.3) goes out then, before the new message is read, even after our
      // close_notify. The state machine then stops; if the record that completed the
      // header held nothing more, ssl3_read_bytes fetches the next record before that
      // header is read. (Seen live: closenotify replay; scenarios
      // post-owed-key-update-sent-on-next-message and post-owed-key-update-then-header-only.)
      if (key_update_ == key_update_state::owed) {
        key_update_ = key_update_state::scheduled;
        if (const step s = continue_handshake(); s != step::proceed) return s;
        if (record_->data.empty()) {
          consume_record();
          return step::proceed;
        }
      }
      // The state machine takes the header and judges it at once, before the body
      // arrives (seen live: records-tls13-key-update-header-too-long,
      // -unknown-handshake-type-header-only, records-tls12-hello-request-with-body).
      reading_message_ = true;
    }
    auto next = handshake_.next(version, role_);
    if (fail_on_fatal(next)) return step::error;
    if (std::holds_alternative<std::nullopt_t>(next)) {
      if (!record_->data.empty()) continue;  // the header was all this record gave so far
      consume_record();  // the body goes on in a later record
      return step::proceed;
    }
    reading_message_ = false;
    const handshake_message msg = std::get<handshake_message>(next);
    const bool record_left = !record_->data.empty();
    if (!record_left) consume_record();
    return process_message(msg, record_left);
  }
}

endpoint::step endpoint::process_message(const handshake_message& msg, bool record_left) noexcept {
  if (read_.version() == protocol_version::tls12) {
    // closenotify never renegotiates. The header check let through only a renegotiation
    // request (HelloRequest to a client, ClientHello to a server); it is answered, once
    // whole, as OpenSSL does with SSL_OP_NO_RENEGOTIATION: a no_renegotiation warning
    // (tls_process_client_hello sends it before parsing anything of the body).
    // The warning's own fate is not this read's: unwritten, it waits for the next write.
    (void)send_alert(alert_level::warning, alert_description::no_renegotiation_RESERVED);
    return step::proceed;
  }
  switch (msg.type) {
    case handshake_type::new_session_ticket: {
      // RFC 8446 §4.6.1: "At any time after the server has received the client Finished
      // message, it MAY send a NewSessionTicket message." Only a server sends one (the
      // header check refuses one sent to a server).
      auto nst = parse_new_session_ticket(msg.body);
      if (fail_on_fatal(nst)) return step::error;
      return step::proceed;  // accepted; closenotify resumes no sessions
    }
    case handshake_type::key_update: {
      // OpenSSL: "A KeyUpdate message signals a key change so the end of the message
      // must be on a record boundary."
      if (record_left) {
        fail(alert_description::unexpected_message, "not on record boundary");
        return step::error;
      }
      auto ku = parse_key_update(msg.body);
      if (fail_on_fatal(ku)) return step::error;
      if (!read_.key_update()) {
        fail(alert_description::internal_error, "bad key update");
        return step::error;
      }
      // RFC 8446 §4.6.3: "If the request_update field is set to "update_requested",
      // then the receiver MUST send a KeyUpdate of its own with request_update set to
      // "update_not_requested" prior to sending its next Application Data record."
      // OpenSSL 3.0 owes it until the next SSL_write (ssl3_write_bytes goes back into
      // init for it; the state machine that read this message ends at TLS_ST_OK
      // without writing). So a read never sends it, and after our close_notify, when
      // SSL_write is refused, it is never sent at all (seen live: closenotify diff,
      // post-key-update-after-a-close-notify).
      if (std::get<key_update_request>(ku) == key_update_request::update_requested) {
        key_update_ = key_update_state::owed;
        key_update_request_ = key_update_request::update_not_requested;
      }
      return step::proceed;
    }
    default:
      fail(alert_description::unexpected_message, "unexpected message");
      return step::error;
  }
}

endpoint::step endpoint::get_record() noexcept {
  if (is_dtls()) return get_dtls_record();
  // OpenSSL 3.5's tls_read_record: "if (rl->num_released != rl->num_recs)" (profile row
  // after_close).
  if (unreleased_record_) {
    fail(alert_description::internal_error, "records not released");
    return step::error;
  }
  for (;;) {
    frame_result framed = reader_.next();
    if (const auto* more = std::get_if<need_more>(&framed)) {
      if (const step s = fill(more->total); s != step::proceed) return s;
      continue;
    }
    if (fail_on_fatal(framed)) return step::error;
    const tls_ciphertext ct = std::get<tls_ciphertext>(framed);
    if (ct.header.type == content_type::change_cipher_spec && read_.version() == protocol_version::tls13) {
      // Framed only where the profile keeps the compatibility CCS (constructor). OpenSSL
      // 3.5 (tls_common.c): "CCS messages must be exactly 1 byte long, containing the
      // value 0x01", and "We treat it like an empty handshake record", counted with the
      // empty records.
      if (ct.fragment.size() != 1 || ct.fragment[0] != 0x01) {
        fail(alert_description::unexpected_message, "invalid ccs message");
        return step::error;
      }
      if (++empty_records_in_a_row_ > kMaxEmptyRecords) {
        fail(alert_description::unexpected_message, "unexpected ccs message");
        return step::error;
      }
      continue;
    }
    auto opened = read_.open(ct.header, reader_.last_fragment());
    if (fail_on_fatal(opened)) return step::error;
    const tls_plaintext pt = std::get<tls_plaintext>(opened);
    // OpenSSL: "TLSv1.3 alert and handshake records are required to be non-zero in length."
    if (read_.version() == protocol_version::tls13 && pt.fragment.empty() &&
        (pt.type == content_type::alert || pt.type == content_type::handshake)) {
      fail(alert_description::unexpected_message, "bad length");
      return step::error;
    }
    if (pt.fragment.empty()) {
      if (++empty_records_in_a_row_ > kMaxEmptyRecords) {
        fail(alert_description::unexpected_message, "record too small");
        return step::error;
      }
    } else {
      empty_records_in_a_row_ = 0;
    }
    record_ = current_record{pt.type, pt.fragment};
    if (observer_) observer_(record_event{false, pt.type, pt.fragment});
    return step::proceed;
  }
}

// Reads until the buffer holds `total` bytes from the current record's start, or
// reports why not. Without read-ahead it never asks for more than that, as OpenSSL.
endpoint::step endpoint::fill(std::size_t total) noexcept {
  mutable_bytes space = reader_.writable();
  const std::size_t missing = total - reader_.buffered();
  if (!options_.read_ahead && space.size() > missing) space = space.first(missing);
  want_ = want::reading;
  io_result io = transport_.read(space);
  switch (io.status) {
    case io_status::ok:
      reader_.commit(io.bytes);
      want_ = want::nothing;
      return step::proceed;
    case io_status::would_block:
      return step::retry_read;
    case io_status::eof:
      return end_of_input();
    case io_status::error:
      want_ = want::nothing;
      os_error_ = io.error_number;
      return step::error;
  }
  return step::error;
}

// The transport's EOF where a record was wanted (TLS only: for a DTLS endpoint a read of 0
// bytes is an empty datagram, no end of stream; read_datagram).
endpoint::step endpoint::end_of_input() noexcept {
  want_ = want::nothing;
  // 004 Non-Compliant Peers: "There are SSL/TLS implementations that never send the
  // required close_notify alert message but simply close the underlying transport
  // ... This will ordinarily result in an error being generated. If compatibility
  // with such peers is desired, the option SSL_OP_IGNORE_UNEXPECTED_EOF can be set."
  if (options_.ignore_unexpected_eof && profile_.has_ignore_unexpected_eof) {
    // OpenSSL assigns (SSL_set_shutdown), clearing SENT: a later SSL_shutdown sends a
    // second close_notify. Kept because it is what OpenSSL 3.0 does.
    shutdown_ = shutdown_received;
    warn_alert_ = alert_description::close_notify;
  } else if (profile_.unexpected_eof == unexpected_eof_report::syscall_eof) {
    // Before 3.0 an EOF was no error of the library's: the read returns 0, SSL_get_error
    // finds nothing queued and says SSL_ERROR_SYSCALL; nothing is sent.
  } else {
    fail(alert_description::decode_error, "unexpected eof while reading");
  }
  return step::closed;
}

}  // namespace closenotify
