// fault_transport.cpp — see fault_transport.hpp.
#include "fault_transport.hpp"

#include <algorithm>
#include <cerrno>

namespace closenotify::fault {

std::string_view to_string(fault_kind k) noexcept {
  switch (k) {
    case fault_kind::none: return "none";
    case fault_kind::read_eof: return "read-eof";
    case fault_kind::read_reset: return "read-reset";
    case fault_kind::read_eagain: return "read-eagain";
    case fault_kind::write_eagain: return "write-eagain";
    case fault_kind::write_reset: return "write-reset";
    case fault_kind::write_one_byte: return "write-1byte";
  }
  return "unknown";
}

io_result fault_transport::read(mutable_bytes out) noexcept {
  ++stats_.reads;
  furthest_read_attempt_ = std::max(furthest_read_attempt_, read_offset_);
  const bool planned = on_read_side(plan_.kind);
  if (planned && read_offset_ >= plan_.offset) {
    switch (plan_.kind) {
      case fault_kind::read_eof:
        ++fired_;
        ++eofs_;
        return {io_status::eof};
      case fault_kind::read_reset:
        ++fired_;
        ++read_errors_;
        return {io_status::error, 0, ECONNRESET};
      case fault_kind::read_eagain:
        if (!eagain_done_ && read_offset_ == plan_.offset) {
          eagain_done_ = true;
          ++fired_;
          return {io_status::would_block};
        }
        break;
      default: break;
    }
  }
  // Cut a read that would cross the fault's offset, so the fault lands exactly there.
  if (planned && read_offset_ < plan_.offset && !(plan_.kind == fault_kind::read_eagain && eagain_done_)) {
    out = out.first(static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), plan_.offset - read_offset_)));
  }
  io_result r = inner_.read(out);
  if (r.status == io_status::ok) {
    read_offset_ += r.bytes;
    stats_.bytes_read += r.bytes;
  } else if (r.status == io_status::eof) {
    ++eofs_;
  } else if (r.status == io_status::error) {
    ++read_errors_;
  }
  return r;
}

io_result fault_transport::write(bytes_view in) noexcept {
  ++stats_.writes;
  furthest_write_attempt_ = std::max(furthest_write_attempt_, write_offset_);
  const bool planned = !on_read_side(plan_.kind) && plan_.kind != fault_kind::none;
  if (planned && write_offset_ >= plan_.offset) {
    switch (plan_.kind) {
      case fault_kind::write_eagain:
        if (!eagain_done_ && write_offset_ == plan_.offset) {
          eagain_done_ = true;
          ++fired_;
          return {io_status::would_block};
        }
        break;
      case fault_kind::write_reset:
        ++fired_;
        ++write_errors_;
        return {io_status::error, 0, EPIPE};
      case fault_kind::write_one_byte:
        if (in.size() > 1) {
          in = in.first(1);
          io_result r = inner_.write(in);
          if (r.status == io_status::ok) ++fired_;  // counted only when it moved a byte
          return account_write(in, r);
        }
        break;
      default: break;
    }
  }
  if (planned && write_offset_ < plan_.offset && !(plan_.kind == fault_kind::write_eagain && eagain_done_)) {
    in = in.first(static_cast<std::size_t>(std::min<std::uint64_t>(in.size(), plan_.offset - write_offset_)));
  }
  return account_write(in, inner_.write(in));
}

io_result fault_transport::account_write(bytes_view in, io_result r) noexcept {
  if (r.status == io_status::ok || r.status == io_status::error) {
    // (memory_pipe may report bytes moved before an error)
    if (capture_) captured_.insert(captured_.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(r.bytes));
    write_offset_ += r.bytes;
    stats_.bytes_written += r.bytes;
  }
  if (r.status == io_status::error) ++write_errors_;
  return r;
}

}  // namespace closenotify::fault
