// efficientq segment MODEL IMAGE... -o SEG.nii.gz
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "options.hpp"
#include "run_stats.hpp"

namespace cli {

int cmd_segment(int argc, char** argv) {
  const std::vector<ParamOption> params = param_options({EFQ_SCOPE_INFERENCE, EFQ_SCOPE_SEGMENTATION});
  std::vector<std::string> opts{"-o", "--output", "--json"}, flags{"--help", "--quiet", "--force"};
  add_param_flags(params, opts, flags);
  Args a = parse(argc, argv, opts, flags);
  if (a.has("--help")) {
    std::printf(
        "usage: efficientq segment MODEL IMAGE [IMAGE...] -o SEG.nii.gz\n"
        "                          [--probabilities PROB.nii.gz] [--json FILE|-] [options]\n"
        "One IMAGE per modality, in the model's channel order. SEG keeps the input's header.\n%s%s",
        kForceHelp, param_help(params).c_str());
    return 0;
  }
  if (a.positional.size() < 2) throw Failure("segment needs MODEL and at least one IMAGE", 2);
  std::string out = a.get("-o", a.get("--output"));
  if (out.empty()) throw Failure("segment needs -o SEG.nii.gz", 2);
  check_outputs(a, {"-o", "--output", "--probabilities", "--json"}, a.positional);
  Context ctx(a.has("--quiet"));
  Config cfg;
  apply_param_options(params, a, cfg.p);
  auto t0 = std::chrono::steady_clock::now();
  efq_model* m = load_model(ctx, a.positional[0]);
  std::unique_ptr<efq_model, void (*)(efq_model*)> own_m(m, efq_model_destroy);
  std::vector<const char*> paths;
  for (size_t k = 1; k < a.positional.size(); ++k) paths.push_back(a.positional[k].c_str());
  efq_volume* v = nullptr;
  check(efq_volume_load_nifti(ctx.p, paths.data(), paths.size(), &v), "reading the image");
  std::unique_ptr<efq_volume, void (*)(efq_volume*)> own_v(v, efq_volume_destroy);
  efq_segmentation* s = nullptr;
  check(efq_segment(ctx.p, m, v, cfg.p, &s), "segmenting");
  std::unique_ptr<efq_segmentation, void (*)(efq_segmentation*)> own_s(s, efq_segmentation_destroy);
  if (interrupted()) throw Failure("interrupted; no output written", interrupted_exit_code());
  std::string probs = a.get("--probabilities");
  check(efq_segmentation_save_nifti(s, out.c_str(), probs.empty() ? nullptr : probs.c_str()),
        "writing the segmentation");
  const uint8_t* labels = nullptr;
  int64_t dims[3];
  check(efq_segmentation_get_labels(s, &labels, dims), "segmentation");
  std::vector<int64_t> counts(256, 0);
  for (int64_t k = 0; k < dims[0] * dims[1] * dims[2]; ++k) ++counts[labels[k]];
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::ordered_json j;
  j["output"] = out;
  j["dims"] = {dims[0], dims[1], dims[2]};
  for (int l = 0; l < 256; ++l)
    if (counts[l]) j["voxels_per_label"][std::to_string(l)] = counts[l];
  j["seconds"] = secs;
  j["command"] = command_stats("segment");
  if (a.has("--json")) write_text(a.get("--json"), j.dump(2));
  if (a.get("--json") != "-")
    std::printf("wrote %s (%lldx%lldx%lld) in %.1f s; voxels per label: %s\n", out.c_str(),
                static_cast<long long>(dims[0]), static_cast<long long>(dims[1]),
                static_cast<long long>(dims[2]), secs, j["voxels_per_label"].dump().c_str());
  return 0;
}

}  // namespace cli
