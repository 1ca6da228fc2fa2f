// Minimal reader for the float32 little-endian C-order .npy fixtures the tests compare against.
#pragma once

#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

#include "core/tensor.hpp"

namespace efq::test {

inline Tensor read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  char magic[6];
  f.read(magic, 6);
  if (std::memcmp(magic, "\x93NUMPY", 6) != 0) throw std::runtime_error("not npy: " + path);
  unsigned char ver[2];
  f.read(reinterpret_cast<char*>(ver), 2);
  uint32_t hlen = 0;
  if (ver[0] == 1) {
    uint16_t h;
    f.read(reinterpret_cast<char*>(&h), 2);
    hlen = h;
  } else {
    f.read(reinterpret_cast<char*>(&hlen), 4);
  }
  std::string header(hlen, '\0');
  f.read(header.data(), hlen);
  if (header.find("'<f4'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
    throw std::runtime_error("fixture must be float32 C-order: " + path);
  Shape shape;
  auto p = header.find('(');
  auto q = header.find(')', p);
  std::string dims = header.substr(p + 1, q - p - 1);
  size_t pos = 0;
  while (pos < dims.size()) {
    size_t comma = dims.find(',', pos);
    std::string tok = dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (tok.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoll(tok));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  Tensor t = Tensor::zeros(shape);
  f.read(reinterpret_cast<char*>(t.f.data()), static_cast<std::streamsize>(t.f.size() * 4));
  if (!f) throw std::runtime_error("truncated npy: " + path);
  return t;
}

inline float max_abs_diff(const Tensor& a, const Tensor& b) {
  float m = 0;
  for (size_t k = 0; k < a.f.size(); ++k) m = std::max(m, std::abs(a.f[k] - b.f[k]));
  return m;
}

}  // namespace efq::test
