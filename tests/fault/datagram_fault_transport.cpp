// datagram_fault_transport.cpp — see datagram_fault_transport.hpp.
#include "datagram_fault_transport.hpp"

namespace closenotify::fault {

std::string_view to_string(datagram_fault f) noexcept {
  switch (f) {
    case datagram_fault::none: return "none";
    case datagram_fault::drop: return "drop";
    case datagram_fault::duplicate: return "duplicate";
    case datagram_fault::reorder: return "reorder";
    case datagram_fault::truncate: return "truncate";
  }
  return "unknown";
}

io_result datagram_fault_transport::write(bytes_view in) noexcept {
  // The history holds what the side sent: a datagram the queue refused is not in it.
  auto remember = [&] {
    if (sent_.size() == kHistory) sent_.erase(sent_.begin());
    sent_.emplace_back(in.begin(), in.end());
  };
  if (written_ != plan_.index || plan_.kind == datagram_fault::none) {
    const io_result r = inner_.write(in);
    if (r.status == io_status::ok) {
      remember();
      ++written_;
      release();  // a held datagram arrives after the one that overtook it
    }
    return r;
  }
  switch (plan_.kind) {
    case datagram_fault::drop:
      break;
    case datagram_fault::duplicate: {
      const io_result r = inner_.write(in);
      if (r.status != io_status::ok) return r;  // the queue is full: nothing happened yet
      (void)inner_.write(in);  // the copy may find the queue full: then it is lost
      break;
    }
    case datagram_fault::reorder:
      held_.emplace(in.begin(), in.end());
      break;
    case datagram_fault::truncate: {
      // Half of it: a partial record whichever record it held, and never empty (an empty
      // datagram is a fault of its own kind: profile row dtls_empty_datagram).
      const io_result r = inner_.write(in.first((in.size() + 1) / 2));
      if (r.status != io_status::ok) return r;
      break;
    }
    case datagram_fault::none:
      break;
  }
  remember();
  fired_ = true;
  ++written_;
  return {io_status::ok, in.size()};
}

void datagram_fault_transport::release() noexcept {
  if (!held_) return;
  (void)inner_.write(*held_);
  held_.reset();
}

}  // namespace closenotify::fault
