// Experimental: synthetic phantom datasets.
#include <efficientq/efficientq_experimental.h>

#include "capi/guard.hpp"
#include "phantom/phantom.hpp"

using efq::capi::guarded;
using efq::capi::require;

extern "C" efq_status efq_phantom_write_dataset(efq_phantom_kind kind, int num_train,
                                                int num_test, uint64_t seed, const int64_t* dims,
                                                const char* out_dir) {
  return guarded([&] {
    require(out_dir, "out_dir");
    efq::phantom::Kind k;
    if (kind == EFQ_PHANTOM_LIVER) k = efq::phantom::Kind::kLiver;
    else if (kind == EFQ_PHANTOM_BRATS) k = efq::phantom::Kind::kBrats;
    else efq::fail(efq::ErrorCode::kInvalidArgument, "unknown phantom kind " + std::to_string(kind));
    efq::phantom::write_dataset(k, num_train, num_test, seed, dims, out_dir);
  });
}
