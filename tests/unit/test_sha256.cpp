// SHA-256 (src/core/sha256.cpp, hand-written) against the known answers of FIPS 180-4's examples
// (NIST CSRC "SHA-256" example values): one-block, empty, two-block padding, 896-bit, and one
// million 'a' both in memory and as a file read in 64 KiB chunks.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace {

const std::string kMillionA(1000000, 'a');
const char* kMillionADigest = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

}  // namespace

TEST_CASE("SHA-256 of the FIPS 180-4 example messages") {
  CHECK(efq::sha256_bytes("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(efq::sha256_bytes("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // 448 bits: the padding needs a second block.
  CHECK(efq::sha256_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // 896 bits.
  CHECK(efq::sha256_bytes("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                          "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  CHECK(efq::sha256_bytes(kMillionA) == kMillionADigest);
}

TEST_CASE("SHA-256 of a file equals the known answer of its bytes") {
  const char* env = std::getenv("EFQ_TEST_TMP");
  const std::filesystem::path dir = env ? env : std::filesystem::temp_directory_path();
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "sha256_million_a.bin").string();
  {
    std::ofstream f(path, std::ios::binary);
    f << kMillionA;  // 1e6 bytes: 15 full 64 KiB reads and a partial one
  }
  CHECK(efq::sha256_file(path) == kMillionADigest);
  std::filesystem::remove(path);
  CHECK_THROWS_AS(efq::sha256_file(path), efq::Error);
}
