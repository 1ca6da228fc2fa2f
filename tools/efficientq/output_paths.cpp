// Output paths checked before the work starts: a missing or unwritable folder fails at once, not
// after minutes of inference, and an output that is one of the command's inputs (the same file
// through a symlink, a hard link or another relative spelling) is refused unless --force.
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "cli.hpp"

namespace fs = std::filesystem;

namespace cli {

namespace {

void check_one(const std::string& opt, const std::string& out,
               const std::vector<std::string>& inputs, bool force) {
  const fs::path p(out);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Failure(opt + " " + out + ": the folder " + dir.string() + " does not exist");
  if (access(dir.c_str(), W_OK | X_OK) != 0)
    throw Failure(opt + " " + out + ": the folder " + dir.string() + " is not writable");
  if (fs::is_directory(p, ec)) throw Failure(opt + " " + out + ": is a folder, not a file");
  if (force || !fs::exists(p, ec)) return;
  for (const std::string& in : inputs)
    if (fs::equivalent(p, fs::path(in), ec) && !ec)
      throw Failure(opt + " " + out + " is the input " + in +
                    " (the same file); refusing to overwrite an input (--force allows it)");
}

}  // namespace

void check_outputs(const Args& a, const std::vector<std::string>& output_options,
                   const std::vector<std::string>& inputs) {
  for (const std::string& opt : output_options) {
    if (!a.has(opt)) continue;
    const std::string out = a.get(opt);
    if (out.empty() || out == "-") continue;  // "-": stdout
    check_one(opt, out, inputs, a.has("--force"));
  }
}

}  // namespace cli
