// endpoint_verbs.cpp — protocol commands as calls of the endpoint (endpoint_verbs.hpp).
#include "endpoint_verbs.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace closenotify::diff {

namespace {

constexpr std::array<std::pair<std::string_view, command_verb>, 17> kVerbs = {{
    {"shutdown", command_verb::shutdown},
    {"read", command_verb::read},
    {"peek", command_verb::peek},
    {"write", command_verb::write},
    {"write_hex", command_verb::write_hex},
    {"read_all", command_verb::read_all},
    {"write_all", command_verb::write_all},
    {"key_update", command_verb::key_update},
    {"do_handshake", command_verb::do_handshake},
    {"set", command_verb::set},
    {"shutdown_write", command_verb::shutdown_write},
    {"close", command_verb::close},
    {"raw", command_verb::raw},
    {"inject", command_verb::inject},
    {"renegotiate", command_verb::renegotiate},
    {"mode", command_verb::mode},
    {"quit", command_verb::quit},
}};

// next_word: the word at the front of `rest` (blanks before it skipped), taken off it.
std::string_view next_word(std::string_view& rest) {
  constexpr std::string_view blanks = " \t\r\n\f\v";
  const auto start = std::min(rest.find_first_not_of(blanks), rest.size());
  const auto end = std::min(rest.find_first_of(blanks, start), rest.size());
  const auto word = rest.substr(start, end - start);
  rest.remove_prefix(end);
  return word;
}

// A record carries at most 2^14 bytes of plaintext (RFC 8446, 5.1; RFC 5246, 6.2.1), so
// one read of read_all never has more to return.
constexpr std::size_t kReadAllChunk = 16384;

// one_call: a call of the endpoint, between the harness's hooks.
template <class F>
int one_call(call_hooks& hooks, F&& f) {
  hooks.before_call();
  const int ret = f();
  hooks.after_call(ret);
  return ret;
}

// waited: whether a call that returned `ret` met WANT_* and the harness waited it out.
bool waited(const endpoint& ep, int ret, call_hooks& hooks) {
  const ssl_error e = ep.get_error(ret);
  return (e == ssl_error::want_read || e == ssl_error::want_write) && hooks.wait(e);
}

int read_all(endpoint& ep, endpoint_call& call, call_hooks& hooks) {
  std::vector<std::uint8_t> buf(kReadAllChunk);
  int ret = 0;
  while (call.got.size() < call.size) {
    const auto room = mutable_bytes{buf}.first(std::min(buf.size(), call.size - call.got.size()));
    ret = one_call(hooks, [&] { return ep.read(room); });
    if (ret > 0) {
      call.got.insert(call.got.end(), buf.begin(), buf.begin() + ret);
      continue;
    }
    if (!waited(ep, ret, hooks)) break;
  }
  // Complete: the total, as the peer reports it (tools/peer, Peer::read_all).
  return call.got.size() == call.size ? static_cast<int>(call.size) : ret;
}

// write_all: no partial writes (endpoint.hpp), so success is the whole buffer at once.
int write_all(endpoint& ep, const endpoint_call& call, call_hooks& hooks) {
  for (;;) {
    const int ret = one_call(hooks, [&] { return ep.write(call.data); });
    if (ret > 0 || !waited(ep, ret, hooks)) return ret;
  }
}

int read_or_peek(endpoint& ep, endpoint_call& call, call_hooks& hooks) {
  std::vector<std::uint8_t> buf(call.size);
  const int ret = one_call(hooks, [&] { return call.verb == command_verb::read ? ep.read(buf) : ep.peek(buf); });
  if (ret > 0) call.got.insert(call.got.end(), buf.begin(), buf.begin() + ret);
  return ret;
}

int call_endpoint(endpoint& ep, endpoint_call& call, call_hooks& hooks) {
  switch (call.verb) {
    case command_verb::shutdown: return one_call(hooks, [&] { return ep.shutdown(); });
    case command_verb::read:
    case command_verb::peek: return read_or_peek(ep, call, hooks);
    case command_verb::write:
    case command_verb::write_hex: return one_call(hooks, [&] { return ep.write(call.data); });
    case command_verb::read_all: return read_all(ep, call, hooks);
    case command_verb::write_all: return write_all(ep, call, hooks);
    case command_verb::key_update: return one_call(hooks, [&] { return ep.key_update(call.request); });
    case command_verb::do_handshake: return one_call(hooks, [&] { return ep.do_handshake(); });
    default: return 0;  // not a call of the endpoint: calls_endpoint says which are
  }
}

}  // namespace

command parse_command(std::string_view line) {
  command c;
  c.word = std::string(next_word(line));
  c.argument = std::string(next_word(line));
  for (const auto& [word, verb] : kVerbs)
    if (word == c.word) c.verb = verb;
  std::from_chars(c.argument.data(), c.argument.data() + c.argument.size(), c.size);
  return c;
}

bool calls_endpoint(command_verb v) { return v <= command_verb::do_handshake; }

endpoint_call call_for(const command& c, bytes_view data) {
  endpoint_call call;
  call.verb = c.verb;
  if (c.verb == command_verb::read || c.verb == command_verb::peek || c.verb == command_verb::read_all) {
    call.size = c.size;
  }
  call.data = data;
  if (c.verb == command_verb::key_update && c.argument == "requested") {
    call.request = key_update_request::update_requested;
  }
  return call;
}

call_outcome perform(endpoint& ep, endpoint_call& call, call_hooks& hooks) {
  call_outcome o;
  o.ret = call_endpoint(ep, call, hooks);
  o.err = ep.get_error(o.ret);
  o.flags = ep.get_shutdown();
  o.reason = ep.error_reason();
  return o;
}

bool apply_option(endpoint& ep, std::string_view name) {
  if (name == "quiet_shutdown") ep.set_quiet_shutdown(true);
  else if (name == "ignore_unexpected_eof") ep.set_ignore_unexpected_eof(true);
  else return name == "no_renegotiation";  // closenotify never renegotiates anyway
  return true;
}

io_status send_raw(transport& t, bytes_view bytes, const std::function<bool(int in_a_row)>& again) {
  int in_a_row = 0;
  while (!bytes.empty()) {
    const auto r = t.write(bytes);
    if (r.status == io_status::ok) {
      bytes = bytes.subspan(r.bytes);
      in_a_row = 0;
    } else if (r.status != io_status::would_block || !again(++in_a_row)) {
      return r.status;
    }
  }
  return io_status::ok;
}

std::string_view error_name(ssl_error e) {
  auto name = to_string(e);
  if (name.starts_with("SSL_ERROR_")) name.remove_prefix(10);
  return name;
}

}  // namespace closenotify::diff
