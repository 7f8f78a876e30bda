// options.cpp — the option parser every closenotify subcommand shares.
#include <algorithm>

#include "commands.hpp"

namespace closenotify::cli {

failure usage(std::string message) { return failure{exit_usage, std::move(message)}; }

/// parse_options: `--name value`, `--name=value`, flags, positionals; unknown options
/// are refused so a typo never silently changes what is sealed.
std::variant<options, failure> parse_options(const std::vector<std::string>& args,
                                             const std::vector<std::string_view>& with_value,
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

}  // namespace closenotify::cli
