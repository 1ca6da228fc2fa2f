// efficientq overlay IMAGE SEG -o SLICE.png [--compare SEG2] [--plane P] [--slice N]
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "cli.hpp"

namespace cli {

int cmd_overlay(int argc, char** argv) {
  Args a = parse(argc, argv,
                 {"-o", "--output", "--compare", "--plane", "--slice", "--scale", "--json"},
                 {"--help", "--quiet", "--force"});
  if (a.has("--help")) {
    std::printf(
        "usage: efficientq overlay IMAGE SEG -o SLICE.png [--compare SEG2]\n"
        "                          [--plane axial|coronal|sagittal] [--slice N] [--scale N]\n"
        "Draws one slice of IMAGE (NIfTI) in grey with the contours of the label map SEG, and\n"
        "writes it as an RGB PNG (one pixel per voxel unless --scale; written atomically).\n"
        "  --compare SEG2  also draw the contours of SEG2 (e.g. FP32 vs quantized model)\n"
        "  --plane P       axial (default), coronal or sagittal, from the image's affine\n"
        "                  (sform, else qform): the slice runs across the voxel axis nearest to\n"
        "                  world S, A or R respectively, whatever the storage order\n"
        "  --slice N       0-based voxel index along that axis; default: the slice with the most\n"
        "                  voxels of label != 0 in SEG (the lowest on a tie; the middle one\n"
        "                  if SEG is empty)\n"
        "  --scale N       draw each voxel as NxN pixels (1..16, default 1), replicated without\n"
        "                  interpolation: a picture readable on a screen, contours still one\n"
        "                  voxel wide\n"
        "Orientation (radiological): axial seen from the feet, patient right on the picture's\n"
        "left and anterior at the top; coronal seen from the front, right on the left, superior\n"
        "at the top; sagittal seen from the patient's left, anterior on the left, superior at\n"
        "the top.\n"
        "Grey: linear from the 1st to the 99th percentile of the volume's intensities.\n"
        "Contours: the pixels of each label other than 0 that touch (4-neighbours, in the slice)\n"
        "another label; SEG orange, SEG2 sky blue, both bluish green.\n"
        "SEG and SEG2 must be integer label maps on IMAGE's grid (same dims and affine).\n"
        "  --json FILE|-   what was drawn (files, plane, slice) as JSON\n"
        "  --force         allow an output to overwrite IMAGE, SEG or SEG2\n");
    return 0;
  }
  if (a.positional.size() != 2) throw Failure("overlay needs IMAGE and SEG (see --help)", 2);
  const std::string out = a.get("-o", a.get("--output"));
  if (out.empty()) throw Failure("overlay needs -o SLICE.png", 2);
  std::vector<std::string> inputs = a.positional;
  if (a.has("--compare")) inputs.push_back(a.get("--compare"));
  check_outputs(a, {"-o", "--output", "--json"}, inputs);
  efq_plane plane = EFQ_PLANE_AXIAL;
  const std::string p = a.get("--plane", "axial");
  if (p == "axial") plane = EFQ_PLANE_AXIAL;
  else if (p == "coronal") plane = EFQ_PLANE_CORONAL;
  else if (p == "sagittal") plane = EFQ_PLANE_SAGITTAL;
  else throw Failure("--plane takes axial, coronal or sagittal, not '" + p + "'", 2);
  int64_t slice = -1;
  if (a.has("--slice")) {
    slice = to_int("--slice", a.get("--slice"));
    if (slice < 0) throw Failure("--slice must be >= 0 (leave it out for the default)", 2);
  }
  // The library checks the range (1..16) before reading anything.
  const int64_t scale = a.has("--scale") ? to_int("--scale", a.get("--scale")) : 1;
  const std::string compare = a.get("--compare");
  Context ctx(a.has("--quiet"));
  int64_t drawn = -1;
  check(efq_render_overlay_png_scaled(ctx.p, a.positional[0].c_str(), a.positional[1].c_str(),
                                      compare.empty() ? nullptr : compare.c_str(), plane, slice,
                                      scale, out.c_str(), &drawn),
        "drawing the slice");
  if (a.has("--json")) {
    nlohmann::ordered_json j;
    j["image"] = a.positional[0];
    j["segmentation"] = a.positional[1];
    if (!compare.empty()) j["compare"] = compare;
    j["plane"] = p;
    j["slice"] = drawn;
    j["slice_chosen"] = slice < 0 ? "most foreground in SEG" : "given";
    j["scale"] = scale;
    j["png"] = out;
    write_text(a.get("--json"), j.dump(2));
  }
  if (!a.has("--quiet") && a.get("--json") != "-")
    std::printf("wrote %s: %s slice %lld%s\n", out.c_str(), p.c_str(),
                static_cast<long long>(drawn), slice < 0 ? " (the most foreground in SEG)" : "");
  return 0;
}

}  // namespace cli
