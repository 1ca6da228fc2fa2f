// The header-only C++ wrapper over the C ABI: RAII handles, exceptions carrying the status.
#include <efficientq/efficientq.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::string src = argv[1];
  int failures = 0;
  auto expect = [&](bool ok, const char* what) {
    if (!ok) {
      std::fprintf(stderr, "FAILED: %s\n", what);
      ++failures;
    }
  };
  efq::Context ctx;
  try {
    efq::Model::load(ctx, src + "/nonexistent.onnx");
    expect(false, "loading a missing model throws");
  } catch (const efq::Exception& e) {
    expect(e.status() == EFQ_ERR_IO, "missing model -> EFQ_ERR_IO");
    expect(std::string(e.what()).find("nonexistent.onnx") != std::string::npos, "message names the file");
  }
  try {
    efq::Config cfg;
    cfg.set(EFQ_PARAM_OVERLAP, 2.0);
    expect(false, "out-of-range parameter throws");
  } catch (const efq::Exception& e) {
    expect(e.status() == EFQ_ERR_INVALID_ARGUMENT, "bad parameter -> EFQ_ERR_INVALID_ARGUMENT");
  }
  efq::Model m = efq::Model::load(ctx, src + "/tests/data/fixtures/uresq.onnx");
  expect(m.info().input_channels == 1, "model info");
  efq::Report r = m.evaluate_dice(ctx, src + "/tests/data/liver");  // an untrained net, but it runs
  expect(r.json().find("mean_foreground_dice") != std::string::npos, "report JSON");
  efq::Report f = m.evaluate_fidelity(ctx, m, src + "/tests/data/liver");
  expect(f.mean_fidelity() == 1.0, "a model against itself has fidelity 1");
  expect(f.mean_foreground_dice() == r.mean_foreground_dice(), "fidelity report's Dice = eval's");
  try {
    (void)r.mean_fidelity();
    expect(false, "an eval report has no fidelity");
  } catch (const efq::Exception& e) {
    expect(e.status() == EFQ_ERR_INVALID_STATE, "no fidelity -> EFQ_ERR_INVALID_STATE");
  }
  if (!failures) std::printf("C++ wrapper test passed\n");
  return failures ? 1 : 0;
}
