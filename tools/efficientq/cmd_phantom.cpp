// efficientq phantom liver|brats -o DIR
#include <efficientq/efficientq_experimental.h>

#include <cstdio>

#include "cli.hpp"

namespace cli {

int cmd_phantom(int argc, char** argv) {
  Args a = parse(argc, argv, {"-o", "--train", "--test", "--seed", "--size"}, {"--help"});
  if (a.has("--help") || a.positional.size() != 1) {
    std::printf(
        "usage: efficientq phantom liver|brats [--train N] [--test M] [--seed S]\n"
        "                          [--size D,H,W] -o DATASET_DIR\n"
        "Writes an nnU-Net v2 raw dataset of deterministic synthetic cases:\n"
        "  liver  LiTS-like abdominal CT in HU; labels 0 background, 1 liver, 2 tumor\n"
        "  brats  BraTS-like FLAIR, T1, T1ce, T2; labels 0, 1 necrotic core, 2 edema, 3 enhancing\n");
    return a.has("--help") ? 0 : 2;
  }
  efq_phantom_kind kind;
  if (a.positional[0] == "liver") kind = EFQ_PHANTOM_LIVER;
  else if (a.positional[0] == "brats") kind = EFQ_PHANTOM_BRATS;
  else throw Failure("phantom kind must be liver or brats", 2);
  std::string out = a.get("-o");
  if (out.empty()) throw Failure("phantom needs -o DATASET_DIR", 2);
  int ntrain = std::stoi(a.get("--train", "4")), ntest = std::stoi(a.get("--test", "2"));
  unsigned long long seed = std::stoull(a.get("--seed", "1"));
  int64_t dims[3];
  const int64_t* dp = nullptr;
  if (a.has("--size")) {
    if (std::sscanf(a.get("--size").c_str(), "%ld,%ld,%ld", &dims[0], &dims[1], &dims[2]) != 3)
      throw Failure("--size needs D,H,W", 2);
    dp = dims;
  }
  check(efq_phantom_write_dataset(kind, ntrain, ntest, seed, dp, out.c_str()), "phantom");
  std::printf("wrote %s: %d training and %d test cases (seed %llu)\n", out.c_str(), ntrain, ntest, seed);
  return 0;
}

}  // namespace cli
