// The struct_size helper of the C boundary (capi/struct_size.hpp) with a struct that has grown
// since its first version, as it will in a later release: a caller compiled against the first
// version gets only the first version's fields; below the first version's size is refused.
// (tests/c/test_struct_size.c checks the public calls themselves.)
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>

#include "capi/struct_size.hpp"

namespace {

// A later release's struct; its first version ended after `b`.
struct Grown {
  size_t struct_size;
  int64_t a, b;
  int64_t added;  // the field the later release appended
};
constexpr size_t kGrownV1Size = sizeof(size_t) + 2 * sizeof(int64_t);

// What a caller compiled against the first version passes: its struct, then memory the library
// must not touch.
struct OldCaller {
  Grown view;  // only struct_size, a, b belong to the caller's struct
  unsigned char guard[16];
};

constexpr int64_t kSentinel = 0x5A5A5A5A5A5A5A5A;
const int64_t kGuardWord = static_cast<int64_t>(0xA5A5A5A5A5A5A5A5ULL);

OldCaller old_caller(size_t struct_size) {
  OldCaller c;
  std::memset(&c, 0xA5, sizeof c);
  c.view.struct_size = struct_size;
  c.view.added = kSentinel;
  return c;
}

bool guard_intact(const OldCaller& c) {
  for (unsigned char g : c.guard)
    if (g != 0xA5) return false;
  return true;
}

}  // namespace

TEST_CASE("struct_size: an output struct grown by one field fills only the caller's first-version fields") {
  const Grown full{0, 11, 22, 33};
  OldCaller c = old_caller(kGrownV1Size);
  efq::capi::copy_out_fitting(full, &c.view, kGrownV1Size, "out");
  CHECK(c.view.struct_size == kGrownV1Size);
  CHECK(c.view.a == 11);
  CHECK(c.view.b == 22);
  CHECK(c.view.added == kSentinel);  // past the caller's struct_size: untouched
  CHECK(guard_intact(c));
  // A caller that knows the grown struct gets every field.
  c = old_caller(sizeof(Grown));
  efq::capi::copy_out_fitting(full, &c.view, kGrownV1Size, "out");
  CHECK(c.view.added == 33);
  CHECK(guard_intact(c));
}

TEST_CASE("struct_size: below the first version's size is refused and nothing is written") {
  const Grown full{0, 11, 22, 33};
  for (size_t size : {size_t{0}, sizeof(size_t), kGrownV1Size - 1}) {
    CAPTURE(size);
    OldCaller c = old_caller(size);
    try {
      efq::capi::copy_out_fitting(full, &c.view, kGrownV1Size, "info_out");
      FAIL("accepted struct_size " << size);
    } catch (const efq::Error& e) {
      CHECK(e.code() == efq::ErrorCode::kInvalidArgument);
      CHECK(std::string(e.what()).find("info_out: struct_size") != std::string::npos);
    }
    CHECK(c.view.a == kGuardWord);
    CHECK(c.view.added == kSentinel);
  }
}

TEST_CASE("struct_size: an input struct from the first version reads the fields it has, the rest is zero") {
  OldCaller c = old_caller(kGrownV1Size);
  c.view.a = 1;
  c.view.b = 2;
  const Grown in = efq::capi::copy_in_fitting(&c.view, kGrownV1Size, "geometry");
  CHECK(in.a == 1);
  CHECK(in.b == 2);
  CHECK(in.added == 0);  // the caller's memory past its struct is never read
  c.view.struct_size = kGrownV1Size - 8;
  CHECK_THROWS_AS(efq::capi::copy_in_fitting(&c.view, kGrownV1Size, "geometry"), efq::Error);
}
