// output_file.cpp — writing the CLI's outputs and noticing when they are lost.
#include "output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace closenotify::tools {
namespace {

error cannot_write(std::string_view option, const std::string& path, int errnum) {
  return error{exit_usage, std::string(option) + ": cannot write " + path + ": " + std::strerror(errnum)};
}

}  // namespace

std::optional<error> write_output(std::string_view option, const std::string& path, std::string_view bytes,
                                    output_kind kind) {
  if (path == "-") {
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    return std::nullopt;
  }
  const bool secret = kind == output_kind::secret;
  // A key log decrypts the session: nobody else may read it, and a symlink planted at the
  // path must not redirect it elsewhere.
  const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (secret ? O_NOFOLLOW : 0);
  const int fd = ::open(path.c_str(), flags, secret ? 0600 : 0666);
  if (fd < 0) {
    if (secret && errno == ELOOP) {
      return error{exit_usage, std::string(option) + ": " + path + " is a symbolic link; a key log is not written through one"};
    }
    return cannot_write(option, path, errno);
  }
  struct stat st{};
  // O_CREAT's mode applies to a new file only; an existing key log is narrowed too (but a
  // device such as /dev/null keeps its mode).
  if (secret && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0077) != 0 &&
      ::fchmod(fd, 0600) != 0) {
    const int e = errno;
    ::close(fd);
    return cannot_write(option, path, e);
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return cannot_write(option, path, e);
    }
    done += static_cast<std::size_t>(n);
  }
  // close(2) is where some file systems (NFS) report a failed write.
  if (::close(fd) != 0) return cannot_write(option, path, errno);
  return std::nullopt;
}

std::optional<error> refuse_stdout(const options& o, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (o.get(name) == "-") {
      return usage("--" + std::string(name) + " -: standard output is for the report; give a file name");
    }
  }
  return std::nullopt;
}

std::optional<error> finish_stdout() {
  std::cout.flush();
  errno = 0;
  int errnum = std::fflush(stdout) == 0 ? 0 : errno;
  const bool lost = errnum != 0 || std::ferror(stdout) != 0 || std::cout.bad();
  // close(2) rather than fclose(3): std::cout flushes stdout once more at exit, which must
  // find an open, empty stream; the descriptor's close still reports a deferred error.
  if (::close(STDOUT_FILENO) != 0 && errno != EBADF && errnum == 0) errnum = errno;
  if (!lost && errnum == 0) return std::nullopt;
  return error{exit_usage,
               std::string("cannot write standard output") + (errnum != 0 ? std::string(": ") + std::strerror(errnum) : "")};
}

}  // namespace closenotify::tools
