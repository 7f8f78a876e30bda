// options.cpp — the option parser every program of tools/ shares.
#include <algorithm>
#include <charconv>

#include "options.hpp"

namespace closenotify::tools {

/// parse_options: `--name value`, `--name=value`, flags, positionals; unknown options
/// are refused so a typo never silently changes what is sealed.
result<options> parse_options(const std::vector<std::string>& args, const std::vector<std::string_view>& with_value,
                              const std::vector<std::string_view>& flags) {
  options out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a.compare(0, 2, "--") != 0 || a == "--") {
      if (a == "--") {
        out.positional.insert(out.positional.end(), args.begin() + i + 1, args.end());
        break;
      }
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const bool takes_value =
        std::find(with_value.begin(), with_value.end(), name) != with_value.end();
    const bool is_flag = std::find(flags.begin(), flags.end(), name) != flags.end();
    if (!takes_value && !is_flag) return usage("unknown option '--" + name + "'");
    if (is_flag) {
      if (value) return usage("option '--" + name + "' takes no value");
      out.values[name] = "";
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) return usage("option '--" + name + "' needs a value");
      value = args[++i];
    }
    if (out.has(name)) return usage("option '--" + name + "' given twice");
    out.values[name] = *value;
  }
  return out;
}

std::optional<std::size_t> parse_number(const std::string& s, std::size_t lo, std::size_t hi) {
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || p != s.data() + s.size() || n < lo || n > hi) return std::nullopt;
  return n;
}

}  // namespace closenotify::tools
