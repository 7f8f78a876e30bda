// run.cpp — carrying out one run of a case, step by step (see run.hpp, docs/diff.md).
#include "run.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sstream>

#include "closenotify/alert.hpp"
#include "closenotify/cipher_suite.hpp"
#include "closenotify/hex.hpp"
#include "wire.hpp"

namespace closenotify::diff {

const std::vector<std::string>& observation_fields() {
  static const std::vector<std::string> fields = {"outcome", "ret",   "err",    "flags", "data",
                                                  "recv",    "errno", "reason", "sent"};
  return fields;
}

namespace {

using ms = std::chrono::milliseconds;

std::string alert_names(const std::string& list) {
  if (list.empty() || list == "-") return "-";
  std::string out;
  std::istringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    auto bytes = from_hex(item);
    std::string name = item;
    if (auto* b = std::get_if<std::vector<std::uint8_t>>(&bytes); b && b->size() == 2) {
      name = std::string(to_string(static_cast<alert_level>((*b)[0]))) + " " +
             std::string(to_string(static_cast<alert_description>((*b)[1])));
    }
    out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

std::string errno_name(long long e) {
  if (e == 0) return "0";
  const char* n = strerrorname_np(static_cast<int>(e));
  return n ? n : std::to_string(e);
}

struct side_state {
  std::unique_ptr<side> s;
  side_id id = side_id::a;
  bool pending = false;
  std::size_t pending_obs = 0;
  bool blocked_write = false;
  std::uint64_t block_rx = 0;
  std::uint64_t block_tx = 0;
  std::uint64_t rx = 0;
  std::uint64_t tx = 0;
  bool closed = false;  // close or shutdown_write: on a stream the other side's waits end in EOF/EPIPE
  // probe: the runner's own descriptor for this side's socket end, to ask the kernel
  // whether a blocked writer can go on; closed before the side's `close` step so that
  // close stays the last reference.
  int probe = -1;
  std::optional<wire_decoder> decoder;
  std::vector<std::string>* wire = nullptr;
  // DTLS: bytes the runner's datagram faults added to this side's receive queue, less the
  // bytes they took out, so "has read everything the other side wrote" stays exact:
  // rx + queued = other's tx + injected.
  std::int64_t injected = 0;
  // DTLS: each record this side put on the wire during the steps, for `datagram replay`.
  std::vector<std::vector<std::uint8_t>> records;
};

// queued_bytes: what waits in a socket's receive queue. FIONREAD gives a stream's whole
// queue but only the next datagram's size (unix(7), SIOCINQ: "for SOCK_DGRAM sockets,
// the returned value is the size of the next pending datagram"), so a datagram queue is
// walked with MSG_PEEK from an advancing SO_PEEK_OFF, reset afterwards. Only called while
// the socket's owner is idle (no read in progress shares the peek offset).
std::optional<std::uint64_t> queued_bytes(int fd, bool datagram) {
  if (!datagram) {
    int unread = 0;
    if (::ioctl(fd, FIONREAD, &unread) != 0) return std::nullopt;
    return static_cast<std::uint64_t>(unread);
  }
  int off = 0;
  if (::setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof off) != 0) return std::nullopt;
  std::uint64_t total = 0;
  static thread_local std::vector<std::uint8_t> buf(1 << 18);
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) break;
    total += static_cast<std::uint64_t>(n);
  }
  off = -1;
  ::setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof off);
  return total;
}

class runner {
 public:
  runner(const scenario& s, const cell& c, bool candidate, const run_config& config)
      : s_(s), c_(c), candidate_(candidate), config_(config) {
    a_.id = side_id::a;
    b_.id = side_id::b;
    a_.wire = &result_.wire_a;
    b_.wire = &result_.wire_b;
  }

  run_result run() {
    if (setup()) {
      for (std::size_t i = 0; i < s_.steps.size() && result_.harness_error.empty(); ++i) perform(i);
      if (result_.harness_error.empty()) finish();
    }
    if (a_.s) a_.s->terminate();
    if (b_.s) b_.s->terminate();
    for (auto* x : {&a_, &b_}) {
      if (x->probe >= 0) close_socket(x->probe);
      x->probe = -1;
    }
    return std::move(result_);
  }

 private:
  side_state& state(side_id id) { return id == side_id::a ? a_ : b_; }
  side_state& other(const side_state& x) { return x.id == side_id::a ? b_ : a_; }

  void fail(std::string why) {
    if (result_.harness_error.empty()) result_.harness_error = std::move(why);
  }

  bool send(side_state& x, const std::string& command) {
    result_.transcript.push_back(std::string(1, side_letter(x.id)) + " <- " + command);
    if (!x.s->send(command)) {
      fail(std::string("side ") + side_letter(x.id) + " is gone (sending '" + command + "')");
      return false;
    }
    return true;
  }

  std::optional<message> receive(side_state& x, ms timeout) {
    auto m = x.s->next(timeout);
    if (m) result_.transcript.push_back(std::string(1, side_letter(x.id)) + " -> " + format_message(*m));
    return m;
  }

  // expect_ok: a configuration command's answer, skipping `blocked` notices (a
  // handshake announces its waits too).
  std::optional<message> expect_ok(side_state& x, const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + config_.step_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = receive(x, ms(50));
      if (!m || m->kind == message_kind::blocked) continue;
      if (m->kind == message_kind::ok) return m;
      fail(std::string("side ") + side_letter(x.id) + " " + what + ": " + m->text);
      return std::nullopt;
    }
    fail(std::string("side ") + side_letter(x.id) + " " + what + ": no answer within the safety limit");
    return std::nullopt;
  }

  bool setup() {
    int fds[2];
    // DTLS cells: a SOCK_DGRAM socketpair, which keeps each write a datagram of its own.
    if (::socketpair(AF_UNIX, (c_.datagram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0, fds) != 0) {
      fail(std::string("socketpair: ") + std::strerror(errno));
      return false;
    }
    for (int fd : fds) {
      if (config_.send_buffer > 0) {
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &config_.send_buffer, sizeof config_.send_buffer);
      }
    }
    const int a_fd = c_.a_is_client ? fds[0] : fds[1];
    const int b_fd = c_.a_is_client ? fds[1] : fds[0];
    auto pa = spawn_peer(config_.peer_path, a_fd);
    auto pb = spawn_peer(config_.peer_path, b_fd);
    // The runner keeps each end as a probe (closed before that side's `close`). The
    // candidate run also keeps A's end itself for closenotify, which takes it over after
    // the handshake; its probe is a duplicate.
    b_.probe = b_fd;
    a_.probe = candidate_ ? ::fcntl(a_fd, F_DUPFD_CLOEXEC, 0) : a_fd;
    for (auto* p : {&pa, &pb}) {
      if (auto* e = std::get_if<tools::error>(p)) {
        fail(e->message);
        if (candidate_) close_socket(a_fd);
        return false;
      }
    }
    a_.s = std::move(std::get<std::unique_ptr<side>>(pa));
    b_.s = std::move(std::get<std::unique_ptr<side>>(pb));

    const role a_role = c_.a_is_client ? role::client : role::server;
    const role b_role = c_.a_is_client ? role::server : role::client;
    std::string common = " version=" + std::string(protocol_name(protocol_of(c_))) + " suite=" + c_.suite;
    if (s_.tickets >= 0) common += " tickets=" + std::to_string(s_.tickets);
    const bool sent = send(a_, std::string("handshake role=") + (c_.a_is_client ? "client" : "server") + common) &&
                      send(b_, std::string("handshake role=") + (c_.a_is_client ? "server" : "client") + common);
    if (!sent) {
      if (candidate_) close_socket(a_fd);
      return false;
    }
    auto ha = expect_ok(a_, "handshake");
    auto hb = ha ? expect_ok(b_, "handshake") : std::nullopt;
    if (!ha || !hb) {
      if (candidate_) close_socket(a_fd);
      return false;
    }
    std::optional<message> a_keys_msg = ha;
    if (candidate_) {
      if (!send(a_, "handoff")) {
        close_socket(a_fd);
        return false;
      }
      a_keys_msg = expect_ok(a_, "handoff");
      a_.s->terminate();
      if (!a_keys_msg) {
        close_socket(a_fd);
        return false;
      }
    }
    auto ka = keys_from_message(*a_keys_msg, a_role);
    auto kb = keys_from_message(*hb, b_role);
    for (auto* k : {&ka, &kb}) {
      if (auto* e = std::get_if<config_error>(k)) {
        fail("hand-off: " + e->message);
        if (candidate_) close_socket(a_fd);
        return false;
      }
    }
    const auto& keys_a = std::get<session_keys>(ka);
    const auto& keys_b = std::get<session_keys>(kb);
    result_.handoff_rseq = keys_a.read_sequence;
    result_.handoff_wseq = keys_a.write_sequence;
    record_handshake(*ha, *hb);
    if (candidate_) {
      auto ep = make_endpoint_side(a_fd, keys_a, config_.mutate, config_.profile);
      if (auto* e = std::get_if<tools::error>(&ep)) {
        close_socket(a_fd);
        fail(e->message);
        return false;
      }
      a_.s = std::move(std::get<std::unique_ptr<side>>(ep));
    }
    for (auto* x : {&a_, &b_}) {
      const auto& k = x == &a_ ? keys_a : keys_b;
      x->rx = k.rx;
      x->tx = k.tx;
      auto d = wire_decoder::create(k, k.local_role);
      if (auto* e = std::get_if<config_error>(&d)) {
        fail("wire keys: " + e->message);
        return false;
      }
      x->decoder.emplace(std::move(std::get<wire_decoder>(d)));
    }
    const std::string mode = c_.blocking ? "mode blocking" : "mode nonblocking";
    return send(a_, mode) && expect_ok(a_, "mode") && send(b_, mode) && expect_ok(b_, "mode");
  }

  // record_handshake: both sides' handshake flights in an order the bytes prove (a flight
  // written after reading N bytes follows the other side's first N bytes), and the key log.
  void record_handshake(const message& a, const message& b) {
    struct segment {
      std::uint64_t rx;
      std::vector<std::uint8_t> bytes;
    };
    auto segments = [](const message& m) {
      std::vector<segment> out;
      std::istringstream in(m.field("hs_wire", "-"));
      for (std::string item; std::getline(in, item, '/');) {
        auto colon = item.find(':');
        if (colon == std::string::npos) continue;
        auto bytes = from_hex(item.substr(colon + 1));
        if (auto* b = std::get_if<std::vector<std::uint8_t>>(&bytes)) {
          out.push_back({std::stoull(item.substr(0, colon)), std::move(*b)});
        }
      }
      return out;
    };
    const auto sa = segments(a), sb = segments(b);
    std::size_t ia = 0, ib = 0;
    std::uint64_t sent_a = 0, sent_b = 0;
    const auto now = std::chrono::system_clock::now();
    auto emit = [&](side_id from, const segment& seg, std::uint64_t& sent) {
      sent += seg.bytes.size();
      result_.stream.push_back({from, wire_chunk::handshake_step, seg.bytes, false, now});
    };
    while (ia < sa.size() || ib < sb.size()) {
      const bool a_ready = ia < sa.size() && sa[ia].rx <= sent_b;
      const bool b_ready = ib < sb.size() && sb[ib].rx <= sent_a;
      // Neither ready cannot happen with honest counts; keep each side's order anyway.
      if (a_ready || (!b_ready && ia < sa.size())) emit(side_id::a, sa[ia++], sent_a);
      else emit(side_id::b, sb[ib++], sent_b);
    }
    // Both ends log the same secrets; B is OpenSSL in both runs.
    const std::string random = b.field("client_random", "-");
    std::istringstream in(b.field("keylog", "-"));
    for (std::string item; std::getline(in, item, ',');) {
      auto colon = item.find(':');
      if (colon == std::string::npos) continue;
      result_.keylog.push_back(item.substr(0, colon) + " " + random + " " + item.substr(colon + 1));
    }
  }

  // complete: a `done` message fills the observation of the step it answers.
  void complete(side_state& x, const message& m, observation& obs) {
    auto& f = obs.fields;
    f["ret"] = m.field("ret");
    f["err"] = m.field("err");
    f["flags"] = m.field("flags");
    auto data = from_hex(m.field("data", "-") == "-" ? "" : m.field("data"));
    if (auto* b = std::get_if<std::vector<std::uint8_t>>(&data)) {
      f["data"] = b->empty() ? "-" : describe_bytes(*b);
    } else {
      f["data"] = "unreadable: " + m.field("data");
    }
    f["recv"] = alert_names(m.field("recv", "-"));
    f["errno"] = errno_name(m.number("errno"));
    f["reason"] = m.reason.empty() ? "-" : m.reason;
    f["sent"] = decode_wire(x, m.field("wire", "-"), obs);
    x.rx = static_cast<std::uint64_t>(m.number("rx", static_cast<long long>(x.rx)));
    x.tx = static_cast<std::uint64_t>(m.number("tx", static_cast<long long>(x.tx)));
    const auto verb = m.field("call");
    if (verb == "close" || verb == "shutdown_write") {
      x.closed = true;
      result_.stream.push_back({x.id, obs.step, {}, true, std::chrono::system_clock::now()});
    }
  }

  std::string decode_wire(side_state& x, const std::string& hex, observation& obs) {
    if (hex == "-" || hex.empty()) return "-";
    auto bytes = from_hex(hex);
    if (auto* e = std::get_if<config_error>(&bytes)) return "unreadable wire: " + e->message;
    const auto& raw = std::get<std::vector<std::uint8_t>>(bytes);
    result_.stream.push_back({x.id, obs.step, raw, false, std::chrono::system_clock::now()});
    auto records = x.decoder->feed_records(raw);
    std::string out;
    for (auto& r : records) {
      out += (out.empty() ? "" : "; ") + r.line;
      x.wire->push_back(r.line);
      if (c_.datagram) x.records.push_back(r.bytes);
      obs.records.push_back(std::move(r));
    }
    if (x.decoder->partial() > 0) out += (out.empty() ? "" : "; ") + std::string("(partial record)");
    return out.empty() ? "-" : out;
  }

  // handle: a message from a side with a call in progress.
  void handle(side_state& x, const message& m) {
    if (m.kind == message_kind::blocked) {
      x.blocked_write = m.blocked_on_write();
      x.block_rx = static_cast<std::uint64_t>(m.number("rx"));
      x.block_tx = static_cast<std::uint64_t>(m.number("tx"));
      return;
    }
    if (m.kind == message_kind::done && x.pending) {
      auto& obs = result_.steps[x.pending_obs];
      complete(x, m, obs);
      if (obs.fields["outcome"] == "blocked") obs.fields["outcome"] = "blocked, then returned";
      x.pending = false;
      return;
    }
    fail(std::string("side ") + side_letter(x.id) + ": unexpected message: " + format_message(m));
  }

  // stuck: whether a pending side can never finish, decided from the byte counts alone
  // (docs/peer-protocol.md, `blocked`): no timer decides it.
  bool stuck(const side_state& x) {
    const side_state& y = x.id == side_id::a ? b_ : a_;
    if (!y.pending) {
      // A stream's close ends the other side's waits (EOF, EPIPE). A datagram socket's
      // does not: its reader waits on (unix(7) SOCK_DGRAM has no EOF).
      if (y.closed && !c_.datagram) return false;
      // Waiting to read: stuck once it has read all the other side wrote (exact), and
      // all the runner's faults added. Waiting to write: stuck if the other side has not
      // run a step since (nothing read, no space freed); otherwise it will be woken, or
      // the safety limit says the scenario left it waiting for space the other side never
      // freed.
      return x.blocked_write ? write_stuck(x, y) : arrived(x.block_rx, y.tx, x);
    }
    if (x.blocked_write && y.blocked_write) return true;
    if (!x.blocked_write && !y.blocked_write) return arrived(x.block_rx, y.block_tx, x) && arrived(y.block_rx, x.block_tx, y);
    return false;
  }

  // arrived: a reader that has read `rx` bytes has read all of the other side's `tx`
  // and whatever the runner's datagram faults added to its queue (less what they took).
  static bool arrived(std::uint64_t rx, std::uint64_t tx, const side_state& reader) {
    return static_cast<std::int64_t>(rx) == static_cast<std::int64_t>(tx) + reader.injected;
  }

  // write_stuck: a writer waits for space while the other side is idle. It can never
  // go on if its socket is still not writable and it has written nothing since its
  // notice (what it wrote is what the other side read plus what still waits there).
  bool write_stuck(const side_state& x, const side_state& y) {
    // No probe means a side closed its socket: the writer's wait ends in EPIPE.
    if (x.probe < 0 || y.probe < 0) return false;
    pollfd p{x.probe, POLLOUT, 0};
    if (::poll(&p, 1, 0) != 0) return false;  // writable (or an error): it will wake
    auto unread = queued_bytes(y.probe, c_.datagram);
    if (!unread) return false;
    return static_cast<std::int64_t>(x.block_tx) + y.injected == static_cast<std::int64_t>(y.rx + *unread);
  }

  // resolve: wait until `x`'s call returns or is proven stuck. True if it returned.
  bool resolve(side_state& x) {
    const auto deadline = std::chrono::steady_clock::now() + config_.step_timeout;
    side_state& y = other(x);
    for (;;) {
      for (auto* z : {&x, &y}) {
        while (z->pending) {
          auto m = receive(*z, ms(0));
          if (!m) break;
          handle(*z, *m);
          if (!result_.harness_error.empty()) return false;
        }
      }
      if (!x.pending) return true;
      if (stuck(x)) return false;
      if (std::chrono::steady_clock::now() > deadline) {
        fail(std::string("side ") + side_letter(x.id) + " neither returned nor was proven stuck within the safety limit");
        return false;
      }
      // Wait for whichever side speaks next.
      auto m = receive(x, ms(1));
      if (m) {
        handle(x, *m);
      } else if (y.pending) {
        if (auto my = receive(y, ms(1))) handle(y, *my);
      }
      if (!result_.harness_error.empty()) return false;
    }
  }

  void perform(std::size_t i) {
    const step& st = s_.steps[i];
    side_state& x = state(st.side);
    side_state& y = other(x);
    observation obs;
    obs.step = i;
    obs.side = st.side;
    obs.command = st.is_wait() ? "wait" : st.command;
    if (st.is_wait()) {
      // Whether the call had already returned before the wait is timing (the runner
      // drains both sides while resolving either); whether it returns at all is not.
      obs.fields["outcome"] = !x.pending || resolve(x) ? "returned" : "still blocked";
      result_.steps.push_back(std::move(obs));
      return;
    }
    if (x.pending && !resolve(x)) {
      if (!result_.harness_error.empty()) return;
      obs.fields["outcome"] = std::string("not run: ") + side_letter(x.id) + " is still blocked in step " +
                              std::to_string(result_.steps[x.pending_obs].step + 1);
      result_.steps.push_back(std::move(obs));
      return;
    }
    if (st.verb() == "datagram") {
      fault(i, x, y);
      return;
    }
    std::string command = st.command;
    if (st.verb() == "inject") {
      auto sealed = inject(x, st.command);
      if (auto* e = std::get_if<tools::error>(&sealed)) {
        fail("step " + std::to_string(i + 1) + ": " + e->message);
        return;
      }
      command = "raw " + to_hex(std::get<std::vector<std::uint8_t>>(sealed));
    }
    const bool y_idle = !y.pending;
    if (st.verb() == "close" && x.probe >= 0) {
      close_socket(x.probe);
      x.probe = -1;
    }
    if (!send(x, command)) return;
    result_.steps.push_back(std::move(obs));
    const std::size_t index = result_.steps.size() - 1;
    const auto deadline = std::chrono::steady_clock::now() + config_.step_timeout;
    for (;;) {
      auto m = receive(x, ms(50));
      if (!m) {
        if (std::chrono::steady_clock::now() > deadline) {
          fail("step " + std::to_string(i + 1) + " (" + st.command + ") neither returned nor blocked within the safety limit");
          return;
        }
        continue;
      }
      if (m->kind == message_kind::done) {
        complete(x, *m, result_.steps[index]);
        result_.steps[index].fields["outcome"] = "returned";
        return;
      }
      if (m->kind == message_kind::blocked) {
        // Whether a call blocks is only deterministic when the other side is idle;
        // otherwise it depends on how far the other side has got.
        x.pending = true;
        x.pending_obs = index;
        handle(x, *m);
        result_.steps[index].fields["outcome"] = y_idle ? "blocked" : "returned";
        return;
      }
      fail("step " + std::to_string(i + 1) + " (" + st.command + "): " + m->text);
      return;
    }
  }

  tools::result<std::vector<std::uint8_t>> inject(side_state& x, const std::string& command) {
    auto parsed = parse_injection(command);
    if (auto* e = std::get_if<tools::error>(&parsed)) return *e;
    const auto& in = std::get<injection>(parsed);
    return x.decoder->seal_next(in.type, in.plaintext, in.padding, in.epoch, in.sequence_number,
                                in.sequence_offset);
  }

  // fault: a `datagram` step on the datagrams queued for `x` (docs/scenarios.md). The
  // runner takes them all off x's socket end through its own descriptor of that end,
  // changes them, and sends them again, in order, from its descriptor of the other end,
  // so x reads them exactly as if they had come so. `replay` sends again a record `y` put
  // on the wire earlier. Done between steps, with x idle: the same in every run.
  void fault(std::size_t i, side_state& x, side_state& y) {
    const step& st = s_.steps[i];
    auto where = "step " + std::to_string(i + 1) + " (" + side_letter(x.id) + " " + st.command + "): ";
    auto parsed = parse_datagram_fault(st.command);
    if (auto* e = std::get_if<tools::error>(&parsed)) return fail(where + e->message);
    const auto& f = std::get<datagram_fault>(parsed);
    if (!c_.datagram) return fail(where + "a datagram fault in a stream cell");
    if (y.pending && y.blocked_write) {
      return fail(where + std::string(1, side_letter(y.id)) + " is writing: its datagrams would mix with the runner's");
    }
    if (x.probe < 0 || y.probe < 0) return fail(where + "a socket end is closed");

    std::vector<std::vector<std::uint8_t>> queue;
    std::vector<std::uint8_t> buf(1 << 18);
    for (;;) {
      const ssize_t n = ::recv(x.probe, buf.data(), buf.size(), MSG_DONTWAIT);
      if (n < 0) break;
      queue.emplace_back(buf.begin(), buf.begin() + n);
    }
    std::int64_t before = 0, after = 0;
    for (const auto& d : queue) before += static_cast<std::int64_t>(d.size());

    observation obs;
    obs.step = i;
    obs.side = st.side;
    obs.command = st.command;
    for (const auto& field : observation_fields()) obs.fields[field] = "-";
    obs.fields["outcome"] = "returned";
    // ret: the datagrams that were queued for x; data: what the fault hit.
    obs.fields["ret"] = std::to_string(queue.size());
    const std::size_t k = f.index - 1;
    using kind = datagram_fault::kind;
    if (f.what == kind::replay) {
      if (f.index <= y.records.size()) {
        auto record = y.records[y.records.size() - f.index];
        obs.fields["data"] = y.decoder->describe_datagram(record);
        queue.push_back(std::move(record));
      }
    } else if (k < queue.size()) {
      obs.fields["data"] = y.decoder->describe_datagram(queue[k]);
      switch (f.what) {
        case kind::drop: queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(k)); break;
        case kind::duplicate: queue.insert(queue.begin() + static_cast<std::ptrdiff_t>(k), queue[k]); break;
        case kind::reorder:
          // The k-th datagram arrives after the one behind it (nothing to pass if it is last).
          if (k + 1 < queue.size()) std::swap(queue[k], queue[k + 1]);
          break;
        case kind::truncate:
          if (f.length < queue[k].size()) queue[k].resize(f.length);
          break;
        case kind::replay: break;
      }
    }
    for (const auto& d : queue) {
      after += static_cast<std::int64_t>(d.size());
      if (::send(y.probe, d.data(), d.size(), MSG_DONTWAIT | MSG_NOSIGNAL) != static_cast<ssize_t>(d.size())) {
        return fail(where + "re-sending a datagram: " + std::strerror(errno));
      }
    }
    x.injected += after - before;
    result_.steps.push_back(std::move(obs));
  }

  void finish() {
    // A call still blocked at the end either returns once the other side's last bytes
    // are read, or never does; resolve() tells which without a timer.
    for (auto* x : {&a_, &b_}) {
      if (x->pending && !resolve(*x) && result_.harness_error.empty()) {
        result_.steps[x->pending_obs].fields["outcome"] = "blocked, never returns";
      }
    }
  }

  const scenario& s_;
  const cell& c_;
  bool candidate_;
  const run_config& config_;
  run_result result_;
  side_state a_;
  side_state b_;
};

}  // namespace

run_result run_case(const scenario& s, const cell& c, bool candidate, const run_config& config) {
  return runner(s, c, candidate, config).run();
}

}  // namespace closenotify::diff
