// input_file.cpp — bounded reads of user-named files.
#include "input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace closenotify::tools {
namespace {

std::string mib(std::size_t n) { return std::to_string(n >> 20) + " MiB"; }

}  // namespace

result<std::string> read_input_file(const std::string& path, input_limits limits) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer before the
  // regular-file check below could refuse it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return usage(path + ": cannot open: " + std::strerror(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  struct stat st{};
  if (::fstat(fd, &st) != 0) return usage(path + ": cannot read: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return usage(path + ": not a regular file");
  if (static_cast<std::size_t>(st.st_size) > limits.max_bytes) {
    return usage(path + ": larger than " + mib(limits.max_bytes));
  }
  // The size can change while we read (a file still being written): read at most one byte
  // past the limit, so growth is noticed without reading it all.
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return usage(path + ": cannot read: " + std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > limits.max_bytes) return usage(path + ": larger than " + mib(limits.max_bytes));
  }
  if (limits.max_line != 0) {
    std::size_t line = 1, start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (i < text.size() && text[i] != '\n') continue;
      if (i - start > limits.max_line) {
        return usage(path + ": line " + std::to_string(line) + " is longer than " +
                           std::to_string(limits.max_line) + " bytes");
      }
      ++line;
      start = i + 1;
    }
  }
  return text;
}

}  // namespace closenotify::tools
