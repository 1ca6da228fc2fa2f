#include "ort_bridge.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace cli {

namespace {

void write_npy(const std::string& path, const float* data, const int64_t shape[5]) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (int d = 0; d < 5; ++d) header += std::to_string(shape[d]) + ", ";
  header += "), }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::ofstream f(path, std::ios::binary);
  const uint16_t len = static_cast<uint16_t>(header.size());
  f.write("\x93NUMPY\x01\x00", 8);
  f.write(reinterpret_cast<const char*>(&len), 2);
  f << header;
  int64_t n = 1;
  for (int d = 0; d < 5; ++d) n *= shape[d];
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * 4));
  if (!f) throw Failure("cannot write " + path);
}

std::vector<float> read_npy(const std::string& path, std::vector<int64_t>& shape) {
  std::ifstream f(path, std::ios::binary);
  char magic[8];
  if (!f.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw Failure(path + ": not .npy");
  uint16_t len = 0;
  f.read(reinterpret_cast<char*>(&len), 2);
  std::string header(len, '\0');
  f.read(header.data(), len);
  if (header.find("'<f4'") == std::string::npos) throw Failure(path + ": not float32");
  shape.clear();
  const size_t a = header.find('('), b = header.find(')');
  for (const auto& tok : split_on(header.substr(a + 1, b - a - 1), ','))
    if (tok.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoll(tok));
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  if (!f.read(reinterpret_cast<char*>(v.data()), n * 4)) throw Failure(path + ": truncated");
  return v;
}

}  // namespace

std::string ort_python(const Args& a) {
  std::string python = a.get("--python");
  if (python.empty() && std::getenv("EFQ_PYTHON")) python = std::getenv("EFQ_PYTHON");
  if (python.empty())
    python = access("build/venv/bin/python", X_OK) == 0 ? "build/venv/bin/python" : "python3";
  return python;
}

std::vector<float> run_ort_script(const std::string& python, const char* script_text,
                                  const std::string& model, const float* input,
                                  const int64_t shape[5], const std::vector<std::string>& extra,
                                  std::vector<int64_t>& shape_out, double* seconds_out) {
  // In the system temporary folder (TMPDIR, else /tmp: std::filesystem's lookup).
  std::string tmpl;
  try {
    tmpl = (std::filesystem::temp_directory_path() / "efq_verify_XXXXXX").string();
  } catch (const std::filesystem::filesystem_error& e) {
    throw Failure(std::string("no temporary directory: ") + e.what());
  }
  std::vector<char> dir(tmpl.begin(), tmpl.end());
  dir.push_back('\0');
  if (!mkdtemp(dir.data())) throw Failure("cannot create a temporary directory under " + tmpl);
  const std::string d = dir.data(), script = d + "/ort_run.py", in = d + "/input.npy", out = d + "/output.npy";
  const std::string secs = out + ".seconds";
  auto cleanup = [&] {
    for (const auto& f : {script, in, out, secs}) std::remove(f.c_str());
    rmdir(d.c_str());
  };
  try {
    { std::ofstream(script) << script_text; }
    write_npy(in, input, shape);
  } catch (...) {
    cleanup();
    throw;
  }
  std::vector<std::string> args{python, script, model, in, out};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid == 0) {
    execvp(python.c_str(), argv.data());
    std::fprintf(stderr, "cannot run %s\n", python.c_str());
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) status = -1;
  const bool ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  std::vector<float> result;
  try {
    if (ok) result = read_npy(out, shape_out);
    if (ok && seconds_out) {
      std::ifstream sf(secs);
      if (!(sf >> *seconds_out)) *seconds_out = -1;
    }
  } catch (...) {
    cleanup();
    throw;
  }
  cleanup();
  if (!ok)
    throw Failure("onnxruntime run failed with " + python +
                  (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 3
                       ? " (onnxruntime not installed there; see --help)"
                       : ""));
  return result;
}

}  // namespace cli
