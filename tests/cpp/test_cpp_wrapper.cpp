// The header-only C++ wrapper over the C ABI: RAII handles, exceptions carrying the status.
#include <efficientq/efficientq.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what.c_str());
    ++failures;
  }
}

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Width and height from a PNG's IHDR (the first chunk, at byte 8); {0, 0} when not a PNG.
std::pair<uint32_t, uint32_t> png_size(const std::vector<unsigned char>& png) {
  static const unsigned char kMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (png.size() < 24 || !std::equal(kMagic, kMagic + 8, png.begin()) ||
      std::string(png.begin() + 12, png.begin() + 16) != "IHDR")
    return {0, 0};
  auto be32 = [&](size_t at) {
    return uint32_t(png[at]) << 24 | uint32_t(png[at + 1]) << 16 | uint32_t(png[at + 2]) << 8 |
           uint32_t(png[at + 3]);
  };
  return {be32(16), be32(20)};
}

// The parameter table: efq::param_list() and efq::param_info() against what the header promises.
void check_param_table() {
  const std::vector<efq_param> params = efq::param_list();
  expect(params.size() >= 40,
         "the library lists its parameters (" + std::to_string(params.size()) + ")");
  bool has_wbits = false, has_threads = false;
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string at = "parameter " + std::to_string(params[i]);
    if (i > 0) expect(params[i - 1] < params[i], "the list is strictly increasing at " + at);
    const efq_param_info info = efq::param_info(params[i]);
    expect(info.param == params[i], at + ": info describes it");
    expect(info.name && *info.name && info.help && *info.help, at + ": a name and help");
    expect(info.default_string != nullptr, at + ": a default string (\"\" for numeric ones)");
    if (info.type == EFQ_TYPE_INT || info.type == EFQ_TYPE_REAL)
      expect(info.min <= info.default_value && info.default_value <= info.max,
             at + " (" + info.name + "): min <= default <= max");
    has_wbits |= params[i] == EFQ_PARAM_WBITS;
    has_threads |= params[i] == EFQ_PARAM_THREADS;
  }
  expect(has_wbits && has_threads, "the list holds EFQ_PARAM_WBITS and EFQ_PARAM_THREADS");
  const efq_param_info wbits = efq::param_info(EFQ_PARAM_WBITS);
  expect(wbits.type == EFQ_TYPE_INT && wbits.scope == EFQ_SCOPE_QUANTIZATION && wbits.min == 2 &&
             wbits.max == 8 && wbits.default_value == 4 && std::string(wbits.name) == "weight bits",
         "EFQ_PARAM_WBITS: int, quantization, 2..8, default 4, \"weight bits\"");
  const efq_param_info method = efq::param_info(EFQ_PARAM_METHOD);
  expect(method.type == EFQ_TYPE_STRING && std::string(method.default_string) == "efficientq" &&
             method.min == 0 && method.max == 0,
         "EFQ_PARAM_METHOD: string, default \"efficientq\", bounds 0");
  expect(efq::param_info(EFQ_PARAM_MEMORY_LIMIT_MB).scope == EFQ_SCOPE_CONTEXT,
         "EFQ_PARAM_MEMORY_LIMIT_MB is a context parameter");
  try {
    efq::param_info(static_cast<efq_param>(9999));
    expect(false, "info of an unknown parameter throws");
  } catch (const efq::Exception& e) {
    expect(e.status() == EFQ_ERR_INVALID_ARGUMENT &&
               std::string(e.what()).find("9999") != std::string::npos,
           std::string("unknown parameter -> EFQ_ERR_INVALID_ARGUMENT naming it: ") + e.what());
  }
}

// render_overlay_png_scaled: scale 1 is render_overlay_png byte for byte, scale 2 doubles the PNG.
void check_overlay(const std::string& src, const std::string& tmp) {
  const std::string image = src + "/tests/data/brain/imagesTs/colin_ch2_0000.nii.gz";
  const std::string seg = src + "/tests/data/brain/labelsTs/colin_ch2.nii.gz";
  const std::string plain = tmp + "/cpp_overlay.png", one = tmp + "/cpp_overlay_x1.png",
                    two = tmp + "/cpp_overlay_x2.png";
  efq::Context ctx;
  const int64_t s0 = efq::render_overlay_png(&ctx, image, seg, "", EFQ_PLANE_AXIAL, -1, plain);
  const int64_t s1 =
      efq::render_overlay_png_scaled(nullptr, image, seg, "", EFQ_PLANE_AXIAL, -1, 1, one);
  const int64_t s2 =
      efq::render_overlay_png_scaled(&ctx, image, seg, "", EFQ_PLANE_AXIAL, s0, 2, two);
  expect(s0 >= 0 && s1 == s0 && s2 == s0,
         "every render draws the same slice " + std::to_string(s0));
  const std::vector<unsigned char> a = read_bytes(plain), b = read_bytes(one);
  expect(!a.empty() && a == b, "scale 1 writes the unscaled PNG byte for byte");
  const auto size1 = png_size(a), size2 = png_size(read_bytes(two));
  expect(size1.first > 0 && size1.second > 0 && size2.first == 2 * size1.first &&
             size2.second == 2 * size1.second,
         "scale 2: " + std::to_string(size2.first) + "x" + std::to_string(size2.second) +
             ", twice " + std::to_string(size1.first) + "x" + std::to_string(size1.second));
  try {
    efq::render_overlay_png_scaled(nullptr, image, seg, "", EFQ_PLANE_AXIAL, -1, 17, two);
    expect(false, "scale 17 throws");
  } catch (const efq::Exception& e) {
    expect(e.status() == EFQ_ERR_INVALID_ARGUMENT, "scale 17 -> EFQ_ERR_INVALID_ARGUMENT");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const std::string src = argv[1], tmp = argv[2];
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
  check_param_table();
  check_overlay(src, tmp);
  if (!failures) std::printf("C++ wrapper test passed\n");
  return failures ? 1 : 0;
}
