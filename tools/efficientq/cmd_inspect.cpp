// efficientq inspect MODEL
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.hpp"

namespace cli {

int cmd_inspect(int argc, char** argv) {
  Args a = parse(argc, argv, {"--json", "--roi"}, {"--help", "--quiet", "--force"});
  if (a.has("--help")) {
    std::printf(
        "usage: efficientq inspect MODEL [--roi D,H,W] [--json FILE|-]\n"
        "Prints the model's inputs, outputs, layers (with output shapes for one window of the\n"
        "ROI) and which layers are quantizable.\n%s", kForceHelp);
    return 0;
  }
  if (a.positional.size() != 1) throw Failure("inspect takes one MODEL (see --help)", 2);
  check_outputs(a, {"--json"}, a.positional);
  Context ctx(a.has("--quiet"));
  efq_model* m = load_model(ctx, a.positional[0]);
  std::unique_ptr<efq_model, void (*)(efq_model*)> own(m, efq_model_destroy);
  int64_t roi[3];
  const int64_t* roi_p = nullptr;
  if (a.has("--roi")) {
    if (std::sscanf(a.get("--roi").c_str(), "%ld,%ld,%ld", &roi[0], &roi[1], &roi[2]) != 3)
      throw Failure("--roi needs D,H,W", 2);
    roi_p = roi;
  }
  char* text = nullptr;
  check(efq_model_describe_json(m, roi_p, &text), "describing the model");
  std::string json = text;
  efq_string_free(text);
  if (a.has("--json")) {
    write_text(a.get("--json"), json);
    if (a.get("--json") == "-") return 0;
  }
  auto j = nlohmann::json::parse(json);
  std::printf("model      %s\nopset      %lld   producer %s\n", j["path"].get<std::string>().c_str(),
              j["opset"].get<long long>(), j["producer"].get<std::string>().c_str());
  for (const auto& in : j["inputs"])
    std::printf("input      %s %s\n", in["name"].get<std::string>().c_str(), in["shape"].dump().c_str());
  for (const auto& out : j["outputs"])
    std::printf("output     %s %s\n", out["name"].get<std::string>().c_str(), out["shape"].dump().c_str());
  std::printf("metadata   %s\n", j["has_metadata"].get<bool>() ? j["metadata"].get<std::string>().c_str()
                                                               : "(none: no preprocessing, axes ijk, whole input)");
  if (j.contains("shapes_for_input"))
    std::printf("shapes for input %s\n", j["shapes_for_input"].dump().c_str());
  std::printf("\n  #  %-44s %-20s %-22s %s\n", "layer", "op", "output", "quantizable");
  int k = 0;
  for (const auto& l : j["layers"]) {
    std::string shape = l.contains("output_shape") ? l["output_shape"].dump() : "";
    std::string q = l["quantizable"].get<bool>() ? "yes " + l["weight_shape"].dump() : "";
    std::printf("%3d  %-44s %-20s %-22s %s\n", k++, l["name"].get<std::string>().c_str(),
                l["op"].get<std::string>().c_str(), shape.c_str(), q.c_str());
  }
  std::printf("\n%lld layers, %lld quantizable, %lld parameters\n",
              static_cast<long long>(j["layers"].size()), j["num_quantizable"].get<long long>(),
              j["num_parameters"].get<long long>());
  return 0;
}

}  // namespace cli
