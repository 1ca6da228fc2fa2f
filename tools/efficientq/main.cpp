// efficientq — the command line, a host of the C ABI like any other.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli.hpp"

namespace {

const char* kUsage =
    "usage: efficientq <command> [options]\n"
    "\n"
    "commands:\n"
    "  inspect MODEL                       inputs, outputs, layers, quantizable layers\n"
    "  segment MODEL IMAGE... -o SEG       segment one case (one NIfTI per modality)\n"
    "  eval MODEL DATASET_DIR              Dice on an nnU-Net v2 raw dataset split\n"
    "  quantize MODEL --calib IMAGE... -o OUT.onnx   quantize with EfficientQ (or a baseline)\n"
    "  verify MODEL IMAGE...               agreement with onnxruntime on the same input\n"
    "  phantom liver|brats -o DIR          write a synthetic phantom dataset\n"
    "  overlay IMAGE SEG -o SLICE.png      a PNG slice with segmentation contours\n"
    "\n"
    "\n"
    "every command: --quiet (-q) no progress or warnings, --verbose (-v) the library's\n"
    "informational lines too; --memory-limit MB: what file headers and requests imply is\n"
    "checked against MB before allocating (default: physical memory minus 1/8);\n"
    "--threads N, --device cpu|opencl|opencl:N where a command\n"
    "computes (default: the environment variable EFQ_DEVICE, else cpu)\n"
    "\n"
    "  efficientq COMMAND --help           options of a command\n"
    "  efficientq --version                version and build information\n";

// "devices:" then one line per device the library found (efq_device_get_info).
void print_devices() {
  int64_t n = 0;
  if (efq_device_count(&n) != EFQ_OK) {
    std::printf("devices: unavailable (%s)\n", efq_last_error_message());
    return;
  }
  std::printf("devices:\n");
  for (int64_t i = 0; i < n; ++i) {
    efq_device_info d;
    std::memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    if (efq_device_get_info(i, &d) != EFQ_OK) continue;
    std::printf("  %-10s %s (%s), %.1f GiB\n", d.id, d.name, d.vendor,
                static_cast<double>(d.memory_bytes) / (1024.0 * 1024.0 * 1024.0));
  }
}

}  // namespace

int main(int argc, char** argv) {
  // OpenMP workers spin between parallel regions by default; the quantizer alternates short
  // parallel and serial phases, where spinning threads only steal the serial thread's core.
  // The policy is read when libgomp loads, so set it and re-execute once.
  if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("EFQ_NO_REEXEC")) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv);  // on failure, just continue with the default policy
  }
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  if (cmd == "--version") {
    std::printf("efficientq %s\n%s\n", efq_version_string(), efq_build_info());
    print_devices();
    return 0;
  }
  cli::install_interrupt_handler();
  try {
    if (cmd == "inspect") return cli::cmd_inspect(argc - 2, argv + 2);
    if (cmd == "segment") return cli::cmd_segment(argc - 2, argv + 2);
    if (cmd == "eval") return cli::cmd_eval(argc - 2, argv + 2);
    if (cmd == "phantom") return cli::cmd_phantom(argc - 2, argv + 2);
    if (cmd == "quantize") return cli::cmd_quantize(argc - 2, argv + 2);
    if (cmd == "verify") return cli::cmd_verify(argc - 2, argv + 2);
    if (cmd == "overlay") return cli::cmd_overlay(argc - 2, argv + 2);
    throw cli::Failure("unknown command '" + cmd + "' (see efficientq --help)", 2);
  } catch (const cli::Failure& f) {
    std::fprintf(stderr, "efficientq %s: error: %s\n", cmd.c_str(), f.what());
    return f.exit_code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "efficientq %s: error: %s\n", cmd.c_str(), e.what());
    return 1;
  }
}
