// closenotify/endpoint.hpp — one end of an established TLS or DTLS 1.2 connection, from
// the moment its keys are known: application data, alerts, post-handshake messages and
// the shutdown state machine with the semantics of OpenSSL's SSL_shutdown (3.0's, with the
// differences of 1.1.1 and 3.5 as profile rows: profile.hpp). DTLS is the same state
// machine over a datagram transport; where OpenSSL's DTLS paths differ (receiving,
// writing a record) the endpoint says so in one place, endpoint_dtls.cpp.
//
// The calls mirror OpenSSL's (shutdown, read, peek, write, key_update, get_error,
// get_shutdown) so a differential test can drive both the same way. The state behind
// them is OpenSSL's own, named for what it is (docs/architecture.md says why the
// shutdown flags are kept rather than derived: OpenSSL's are not derivable).
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "closenotify/alert.hpp"
#include "closenotify/dtls_message_buffer.hpp"
#include "closenotify/dtls_record_framing.hpp"
#include "closenotify/dtls_replay_window.hpp"
#include "closenotify/post_handshake.hpp"
#include "closenotify/profile.hpp"
#include "closenotify/record_framing.hpp"
#include "closenotify/record_protection.hpp"
#include "closenotify/tls.hpp"
#include "closenotify/transport.hpp"

namespace closenotify {

/// ssl_error: the SSL_get_error classes, numbered as OpenSSL numbers them.
enum class ssl_error : std::uint8_t {
  none = 0,
  ssl = 1,
  want_read = 2,
  want_write = 3,
  syscall = 5,
  zero_return = 6,
};
std::string_view to_string(ssl_error e) noexcept;  // "SSL_ERROR_WANT_READ"

/// SSL_get_shutdown flags.
inline constexpr int shutdown_sent = 1;      // SSL_SENT_SHUTDOWN
inline constexpr int shutdown_received = 2;  // SSL_RECEIVED_SHUTDOWN

/// record_event: one record this endpoint sealed or opened, as plaintext (what a
/// differential test compares, since keys differ between runs).
struct record_event {
  bool sent;
  content_type type;
  bytes_view plaintext;
};

struct endpoint_options {
  /// SSL_set_quiet_shutdown: shutdown() sets both flags and sends nothing.
  bool quiet_shutdown = false;
  /// SSL_OP_IGNORE_UNEXPECTED_EOF: a transport EOF without close_notify reads as one.
  bool ignore_unexpected_eof = false;
  /// SSL_CTX_set_read_ahead: read as many bytes as the transport has, instead of
  /// OpenSSL's default of exactly one header, then exactly one body. Off by default:
  /// bytes left unread in a socket are observable (a close(2) over them sends a reset).
  bool read_ahead = false;
  /// profile: which SSL_shutdown page the few behaviours that differ between versions
  /// follow (profile.hpp). The default is the live peer's.
  profile_id profile = profile_id::openssl_3_0;
};

/// endpoint: owns no transport and no keys' source; it is handed both. With DTLS 1.2
/// protections (record_protection::dtls12) it is a DTLS endpoint, and its transport must
/// carry datagrams (transport.hpp): a read returns one datagram, a write sends one.
class endpoint {
 public:
  endpoint(transport& t, role r, record_protection read_protection,
           record_protection write_protection, endpoint_options options = {});
  endpoint(const endpoint&) = delete;
  endpoint& operator=(const endpoint&) = delete;

  /// shutdown: SSL_shutdown. 0: our close_notify is out, the peer's is not in; 1: both;
  /// -1: see get_error().
  int shutdown() noexcept;
  /// read / peek: SSL_read / SSL_peek. > 0: bytes; <= 0: see get_error().
  int read(mutable_bytes out) noexcept;
  int peek(mutable_bytes out) noexcept;
  /// write: SSL_write (no partial writes: a WANT_WRITE must be retried with the same
  /// bytes in the same buffer, as OpenSSL requires without
  /// SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, and the final return counts all of them).
  int write(bytes_view data) noexcept;
  /// key_update: SSL_key_update (TLS 1.3): 1 if scheduled, 0 if refused. The KeyUpdate
  /// goes out on the next write(), read() or do_handshake().
  int key_update(key_update_request r) noexcept;
  /// do_handshake: SSL_do_handshake after the handshake: sends a scheduled KeyUpdate.
  int do_handshake() noexcept;

  /// get_error: SSL_get_error(ret) for the return value of the last call.
  ssl_error get_error(int ret) const noexcept;
  /// get_shutdown: SSL_get_shutdown.
  int get_shutdown() const noexcept { return shutdown_; }
  /// error_reason: the first reason raised by the last call ("" when none), worded as
  /// OpenSSL's reason strings: the library's own first, else a system error's (the
  /// strerror text, under a profile whose failed writes queue one).
  std::string_view error_reason() const noexcept { return error_.empty() ? system_error_ : error_; }
  /// os_error: errno of the last transport failure (0 when none).
  int os_error() const noexcept { return os_error_; }

  /// is_dtls: the protections are DTLS 1.2's.
  bool is_dtls() const noexcept { return read_.version() == protocol_version::dtls12; }
  /// set_replay_window (DTLS): the read epoch's anti-replay window (RFC 6347 §4.1.2.6) as
  /// the hand-off found it; a fresh window otherwise.
  void set_replay_window(const dtls_replay_window& w) noexcept { window_ = w; }
  const dtls_replay_window& replay_window() const noexcept { return window_; }

  void set_quiet_shutdown(bool on) noexcept { options_.quiet_shutdown = on; }
  void set_ignore_unexpected_eof(bool on) noexcept { options_.ignore_unexpected_eof = on; }
  const endpoint_options& options() const noexcept { return options_; }
  const closenotify::profile& profile() const noexcept { return profile_; }

  /// failed: a fatal error ended the connection (OpenSSL: "in init", MSG_FLOW_ERROR).
  bool failed() const noexcept { return failed_; }
  /// in_init: SSL_in_init — a fatal error, a post-handshake message whose header has been
  /// taken but whose body has not all arrived (DTLS: a handshake record has been read and
  /// the message at the expected message_seq is not whole yet), or a KeyUpdate of ours
  /// (SSL_key_update, or an owed reply once write() picks it up) not yet fully written.
  bool in_init() const noexcept {
    return failed_ || reading_message_ || key_update_ == key_update_state::scheduled ||
           key_update_ == key_update_state::writing;
  }
  /// pending: SSL_pending — application bytes opened and not yet read.
  std::size_t pending() const noexcept;

  std::optional<alert> last_alert_sent() const noexcept { return last_alert_sent_; }
  std::optional<alert> last_alert_received() const noexcept { return last_alert_received_; }
  const record_protection& read_protection() const noexcept { return read_; }
  const record_protection& write_protection() const noexcept { return write_; }

  /// set_record_observer: called for every record sealed or opened.
  void set_record_observer(std::function<void(const record_event&)> f) { observer_ = std::move(f); }
  /// set_alert_observer: called for every alert the endpoint acts on, when it acts on it
  /// (where OpenSSL's message callback reports one): a well-formed alert record, after
  /// the checks that come before alert processing. The record observer sees it earlier,
  /// when it is opened, and also sees alerts a connection fails before reaching.
  void set_alert_observer(std::function<void(const alert&)> f) { alert_observer_ = std::move(f); }

 private:
  enum class want : std::uint8_t { nothing, reading, writing };  // OpenSSL's rwstate
  // owed: the peer asked for our KeyUpdate; the next write() sends it (not in init yet).
  enum class key_update_state : std::uint8_t { none, owed, scheduled, writing };

  // step: what an internal step tells its caller to do next (BoringSSL's
  // ssl_open_record_t), so the steps never speak OpenSSL's ints; the public calls alone
  // turn a step into the int (openssl_return in endpoint.cpp). SSL_get_error's class is
  // not carried: OpenSSL derives it from state that outlives the call (rwstate, the error
  // queue, the flags), which the steps set where OpenSSL sets it.
  enum class [[nodiscard]] step : std::uint8_t {
    proceed,      // go on: this step did its part (a call that ends here returns 1)
    closed,       // stop with 0: the read ended without data (an alert that closes the
                  // read direction, an EOF, a record SSL_shutdown's read takes or drops)
    retry_read,   // stop with -1; the call is retried once the transport has bytes
    retry_write,  // stop with -1; the call is retried once the transport takes bytes (a
                  // record, or an alert queued behind one, is still to be written)
    error,        // stop with -1: failed (reason queued, or the transport's errno kept),
                  // or refused as OpenSSL refuses without a reason
  };

  // What a read is for, as the type ssl3_read_bytes is called with: application data
  // (SSL_read, SSL_peek), nothing (SSL_shutdown's type 0), or the body of a
  // post-handshake message (the state machine's tls_get_message_body).
  enum class read_for : std::uint8_t { application_data, shutdown, message_body };

  // current_record: the opened record being read. Its plaintext stays in the reader's
  // buffer; `data` is what is left of it, and may be empty while the record stays current
  // (OpenSSL empties a record it ignores without releasing it).
  struct current_record {
    content_type type;
    bytes_view data;  // what is left to read
    // DTLS: the whole record as opened (OpenSSL's rr->data, which reads do not move:
    // dtls1_read_bytes judges a handshake record by the message header at its start).
    bytes_view opened = {};
  };

  // pending_record: a sealed record the transport has not taken all of (OpenSSL's
  // wpend_type, wpend_tot, wpend_buf). Only a retry of a write of the same type may
  // finish it.
  struct pending_record {
    content_type type;
    // wpend_tot: a retried SSL_write shorter than this is "bad length", whatever the
    // record's type (a fatal alert left unwritten counts too).
    std::size_t plaintext_size;
    // wpend_buf: where a retried SSL_write's bytes must resume; OpenSSL compares the
    // pointer, not the bytes (no SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER).
    const std::uint8_t* plaintext;
    bytes_view unsent;  // the tail of out_ still to write (an endpoint never moves)
  };

  static int openssl_return(step s) noexcept;
  step shutdown_step() noexcept;
  int read_internal(mutable_bytes out, bool peek) noexcept;
  step read_bytes(read_for purpose, mutable_bytes out, bool peek, std::size_t& copied) noexcept;
  step read_message_body() noexcept;
  step get_record() noexcept;
  step fill(std::size_t total) noexcept;
  step end_of_input() noexcept;
  // DTLS (endpoint_dtls.cpp): OpenSSL's dtls1_read_bytes, dtls1_get_record and
  // dtls1_write_app_data_bytes, where they differ from the TLS functions above.
  step dtls_read_bytes(read_for purpose, mutable_bytes out, bool peek, std::size_t& copied) noexcept;
  step get_dtls_record() noexcept;
  step dtls_handle_alert() noexcept;
  step dtls_handle_handshake() noexcept;
  step dtls_take_message(handshake_type type, std::size_t length) noexcept;
  step read_datagram() noexcept;
  int dtls_write(bytes_view data) noexcept;
  step seal_record(content_type type, bytes_view plaintext) noexcept;
  std::optional<alert> receive_alert() noexcept;
  step peer_ended(std::string_view reason) noexcept;
  step handle_alert() noexcept;
  step handle_handshake() noexcept;
  step process_message(const handshake_message& msg, bool record_left) noexcept;
  step continue_handshake() noexcept;
  step send_alert(alert_level level, alert_description d) noexcept;
  step dispatch_alert() noexcept;
  step write_record(content_type type, bytes_view plaintext) noexcept;
  step flush() noexcept;
  void fail(std::optional<alert_description> send, std::string_view reason) noexcept;
  void raise(std::string_view reason) noexcept;
  void raise_system(int error_number) noexcept;
  // fail_on_fatal: a layer's fatal result ends the connection; true if `r` held one.
  template <class Result>
  bool fail_on_fatal(const Result& r) noexcept {
    const auto* f = std::get_if<fatal>(&r);
    if (f) {
      const fatal seen = profile_.as_seen(*f);
      fail(seen.send, seen.reason);
    }
    return f != nullptr;
  }
  void begin_call() noexcept;
  void consume_record() noexcept { record_.reset(); }

  transport& transport_;
  role role_;
  record_protection read_;
  record_protection write_;
  endpoint_options options_;
  const closenotify::profile& profile_;

  // Shutdown and error state, as OpenSSL keeps it.
  int shutdown_ = 0;
  bool failed_ = false;
  // want_: set around each transport call (fill, flush), as OpenSSL sets rwstate, and not
  // derived from the step a call returns: it outlives the call (a call refused without
  // I/O reports the last one's), and a write a step does not wait for (SSLfatal's alert,
  // a no_renegotiation warning) still leaves it at "writing".
  want want_ = want::nothing;
  std::optional<alert> pending_alert_;  // alert_dispatch: an alert not yet written
  key_update_state key_update_ = key_update_state::none;
  key_update_request key_update_request_ = key_update_request::update_not_requested;
  // warn_alert: the last warning alert received; OpenSSL starts it at 0 (close_notify),
  // which is why a read after a received fatal alert reports ZERO_RETURN.
  alert_description warn_alert_ = alert_description::close_notify;
  std::optional<alert> last_alert_sent_;
  std::optional<alert> last_alert_received_;
  std::string_view error_;
  std::string_view system_error_;    // an ERR_LIB_SYS entry's text (profile row write_failure)
  bool system_error_first_ = false;  // it was queued before any library error
  int os_error_ = 0;
  int warning_alerts_in_a_row_ = 0;
  int empty_records_in_a_row_ = 0;

  // Receive side: framed bytes, the opened record being read, handshake reassembly.
  record_reader reader_;
  std::optional<current_record> record_;
  handshake_reassembler handshake_;
  // reading_message_: the state machine has taken a message's header and waits for its
  // body (OpenSSL: back "in init"). Until then a header sits in the fragment store. DTLS:
  // a handshake record put it back in init, and it waits for the message it expects.
  bool reading_message_ = false;
  // unreleased_record_: a record was passed over after RECEIVED without being released
  // (profile row after_close: OpenSSL 3.5).
  bool unreleased_record_ = false;

  // DTLS receive side: the datagram being read, record by record, and the read epoch's
  // anti-replay window. The current record's plaintext points into datagram_.
  dtls_replay_window window_;
  std::vector<std::uint8_t> datagram_;
  std::optional<dtls_datagram_reader> datagram_reader_;
  // dtls_handshake_read_seq_: the message_seq the DTLS state machine takes next
  // (handshake_read_seq: 0 after the handshake, one more for each whole message it takes);
  // dtls_messages_: what it keeps of messages ahead of that one, or arriving in fragments.
  std::uint16_t dtls_handshake_read_seq_ = 0;
  dtls_message_buffer dtls_messages_;
  // dtls_timeouts_: d1->timeout_num_alerts, which a repeated Finished counts up after the
  // handshake (dtls1_check_timeout_num); nothing resets it once the handshake is over.
  int dtls_timeouts_ = 0;

  // Send side: one sealed record at a time, in out_.
  std::array<std::uint8_t, max_record_size> out_{};
  std::optional<pending_record> pending_write_;
  // write_done_: wnum, the application bytes of an interrupted write() already on the
  // wire. It outlives the pending record: a write can stop after whole records, on a
  // queued alert or a failed seal.
  std::size_t write_done_ = 0;

  std::function<void(const record_event&)> observer_;
  std::function<void(const alert&)> alert_observer_;
};

}  // namespace closenotify
