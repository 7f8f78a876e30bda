// input_file.hpp — reading a file a user names (a key log, a scenario), bounded, so a
// device, a FIFO or a huge file is refused with one line instead of hanging or eating memory.
#pragma once

#include <cstddef>
#include <string>
#include <variant>

#include "error.hpp"

namespace closenotify::tools {

/// input_limits: what a text input may hold; max_line 0 means no line limit (binary input).
struct input_limits {
  std::size_t max_bytes = 16u << 20;
  std::size_t max_line = 0;
};

/// read_input_file: the whole file at `path` when it is a regular file within `limits`.
result<std::string> read_input_file(const std::string& path, input_limits limits);

}  // namespace closenotify::tools
