// input_file.hpp — reading a file a user names (a key log, a scenario), bounded, so a
// device, a FIFO or a huge file is refused with one line instead of hanging or eating memory.
#pragma once

#include <cstddef>
#include <string>
#include <variant>

namespace closenotify::diff {

/// input_limits: what a text input may hold; max_line 0 means no line limit (binary input).
struct input_limits {
  std::size_t max_bytes = 16u << 20;
  std::size_t max_line = 0;
};

/// input_error: why a file was not read, one line naming it.
struct input_error {
  std::string message;
};

/// read_input_file: the whole file at `path` when it is a regular file within `limits`.
std::variant<std::string, input_error> read_input_file(const std::string& path, input_limits limits);

}  // namespace closenotify::diff
