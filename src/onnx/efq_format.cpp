#include "onnx/efq_format.hpp"

#include <onnx/onnx_pb.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/memory_budget.hpp"
#include "onnx/export.hpp"
#include "onnx/import.hpp"

namespace efq {

namespace {

constexpr uint32_t kVersion = 1;
constexpr uint32_t kGraph = 1, kLayer = 2;
constexpr int64_t kMaxFile = int64_t{2} << 30;

struct Writer {
  std::string b;
  template <typename T>
  void put(T v) {
    char tmp[sizeof(T)];
    std::memcpy(tmp, &v, sizeof(T));  // little-endian hosts only (x86-64, arm64)
    b.append(tmp, sizeof(T));
  }
  void str(const std::string& s) {
    if (s.size() > 65535) fail(ErrorCode::kUnsupported, "name longer than 65535 bytes: " + s.substr(0, 40));
    put<uint16_t>(static_cast<uint16_t>(s.size()));
    b += s;
  }
};

struct Reader {
  const std::string& b;
  size_t pos;
  size_t end;
  std::string what;
  void need(size_t n) {
    if (n > end - pos) fail(ErrorCode::kFormat, what + ": truncated section (needs " + std::to_string(n) + " more bytes)");
  }
  template <typename T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, b.data() + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  std::string str() {
    const uint16_t n = get<uint16_t>();
    need(n);
    std::string s = b.substr(pos, n);
    pos += n;
    return s;
  }
};

int grid_code(const std::string& g) { return g == "faithful" ? 0 : g == "symmetric" ? 1 : 2; }
std::string grid_name(int c) { return c == 0 ? "faithful" : c == 1 ? "symmetric" : "asymmetric"; }

// Which value each quantized node reads as its weights.
std::vector<std::pair<const Node*, int>> quantized_weights(const Graph& g) {
  std::vector<std::pair<const Node*, int>> out;
  for (const Node& n : g.nodes) {
    auto it = g.weight_quant.find(n.name);
    if (it == g.weight_quant.end() || n.inputs.size() < 2 || n.inputs[1] < 0) continue;
    const Value& v = g.values[n.inputs[1]];
    if (!v.constant || it->second.codes.size() != static_cast<size_t>(v.data.numel())) continue;
    out.emplace_back(&n, n.inputs[1]);
  }
  return out;
}

}  // namespace

std::string efq_bytes(const Graph& g) {
  const auto layers = quantized_weights(g);
  std::vector<int> omit;
  for (const auto& l : layers) {
    // The weight must not feed anything but its layer, or omitting it would break the graph.
    int uses = 0;
    for (const Node& n : g.nodes)
      for (int in : n.inputs) uses += in == l.second;
    if (uses == 1) omit.push_back(l.second);
  }
  Writer payload;
  const std::string graph = export_onnx_bytes(g, OnnxFormat::kFakeQuant, nullptr, &omit);
  payload.put<uint32_t>(kGraph);
  payload.put<uint64_t>(graph.size());
  payload.b += graph;
  for (const auto& [node, vid] : layers) {
    if (std::find(omit.begin(), omit.end(), vid) == omit.end()) continue;
    const WeightQuant& q = g.weight_quant.at(node->name);
    const Tensor& w = g.values[vid].data;
    Writer s;
    s.str(node->name);
    s.str(g.values[vid].name);
    s.put<uint8_t>(static_cast<uint8_t>(q.bits));
    s.put<uint8_t>(static_cast<uint8_t>(grid_code(q.grid)));
    s.put<uint8_t>(static_cast<uint8_t>(q.axis));
    s.put<uint8_t>(0);
    s.put<int32_t>(static_cast<int32_t>(q.qmin));
    s.put<int32_t>(static_cast<int32_t>(q.qstep));
    s.put<int32_t>(static_cast<int32_t>(q.qmax));
    s.put<uint32_t>(static_cast<uint32_t>(w.shape.size()));
    for (int64_t d : w.shape) s.put<int64_t>(d);
    s.put<uint32_t>(static_cast<uint32_t>(q.scale.size()));
    for (double sc : q.scale) s.put<double>(sc);
    for (int64_t z : q.zero_point) s.put<int32_t>(static_cast<int32_t>(z));
    s.put<uint64_t>(static_cast<uint64_t>(q.codes.size()));
    std::string packed((q.codes.size() * q.bits + 7) / 8, '\0');
    for (size_t k = 0; k < q.codes.size(); ++k) {
      const int64_t u = (q.codes[k] - q.qmin) / q.qstep;
      if (u < 0 || u >= (int64_t{1} << q.bits))
        fail(ErrorCode::kInternal, node->name + ": code out of its " + std::to_string(q.bits) + "-bit range");
      for (int bit = 0; bit < q.bits; ++bit)
        if (u >> bit & 1) {
          const size_t at = k * q.bits + bit;
          packed[at / 8] = static_cast<char>(packed[at / 8] | (1 << (at % 8)));
        }
    }
    s.b += packed;
    payload.put<uint32_t>(kLayer);
    payload.put<uint64_t>(s.b.size());
    payload.b += s.b;
  }
  Writer file;
  file.b = "EFQ1";
  file.put<uint32_t>(kVersion);
  file.put<uint64_t>(payload.b.size());
  file.b += payload.b;
  file.put<uint32_t>(static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(payload.b.data()), static_cast<uInt>(payload.b.size()))));
  return file.b;
}

void save_efq_file(const Graph& g, const std::string& path) { write_file_atomically(path, efq_bytes(g)); }

Graph load_efq_bytes(const std::string& b, const std::string& what) {
  if (b.size() < 20 || b.compare(0, 4, "EFQ1") != 0)
    fail(ErrorCode::kFormat, what + ": not an .efq file (bad magic)");
  Reader hdr{b, 4, b.size(), what};
  const uint32_t version = hdr.get<uint32_t>();
  if (version != kVersion)
    fail(ErrorCode::kUnsupported, what + ": .efq version " + std::to_string(version) + " (this library reads 1)");
  const uint64_t psize = hdr.get<uint64_t>();
  if (psize != b.size() - 20) fail(ErrorCode::kFormat, what + ": payload size does not match the file size (truncated?)");
  uint32_t crc;
  std::memcpy(&crc, b.data() + 16 + psize, 4);
  const uint32_t have = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(b.data() + 16), static_cast<uInt>(psize)));
  if (crc != have) fail(ErrorCode::kFormat, what + ": checksum mismatch (the file is corrupt)");
  Reader r{b, 16, 16 + psize, what};
  onnx::ModelProto model;
  bool have_graph = false;
  struct Layer {
    std::string node, weight;
    WeightQuant q;
    Shape shape;
  };
  std::vector<Layer> layers;
  while (r.pos < r.end) {
    const uint32_t type = r.get<uint32_t>();
    const uint64_t len = r.get<uint64_t>();
    r.need(len);
    Reader s{b, r.pos, r.pos + len, what};
    if (type == kGraph) {
      if (!model.ParseFromArray(b.data() + r.pos, static_cast<int>(len)))
        fail(ErrorCode::kFormat, what + ": the graph section is not a valid ONNX model");
      have_graph = true;
    } else if (type == kLayer) {
      Layer l;
      l.node = s.str();
      l.weight = s.str();
      l.q.bits = s.get<uint8_t>();
      l.q.grid = grid_name(s.get<uint8_t>());
      l.q.axis = s.get<uint8_t>();
      s.get<uint8_t>();
      l.q.qmin = s.get<int32_t>();
      l.q.qstep = s.get<int32_t>();
      l.q.qmax = s.get<int32_t>();
      if (l.q.bits < 1 || l.q.bits > 16 || l.q.qstep < 1 || l.q.qmax < l.q.qmin ||
          l.q.qmax > l.q.qmin + l.q.qstep * ((int64_t{1} << l.q.bits) - 1))
        fail(ErrorCode::kFormat, what + ": layer '" + l.node + "' has an invalid code range");
      const uint32_t rank = s.get<uint32_t>();
      if (rank > 8) fail(ErrorCode::kFormat, what + ": layer '" + l.node + "' has rank " + std::to_string(rank));
      int64_t n = 1;
      for (uint32_t d = 0; d < rank; ++d) {
        l.shape.push_back(s.get<int64_t>());
        if (l.shape.back() < 0)
          fail(ErrorCode::kFormat, what + ": layer '" + l.node + "' has a negative dimension");
        n = mul_sat(n, l.shape.back());
      }
      // Codes, dequantized weights and the ONNX copy: checked before allocating any of them.
      check_memory(mul_sat(n, sizeof(l.q.codes[0]) + 8), what + ": layer '" + l.node + "' of shape " + shape_str(l.shape));
      const uint32_t ns = s.get<uint32_t>();
      if (ns == 0 || ns > n) fail(ErrorCode::kFormat, what + ": layer '" + l.node + "' has " + std::to_string(ns) + " scales");
      for (uint32_t k = 0; k < ns; ++k) l.q.scale.push_back(s.get<double>());
      for (uint32_t k = 0; k < ns; ++k) l.q.zero_point.push_back(s.get<int32_t>());
      const uint64_t nc = s.get<uint64_t>();
      if (static_cast<int64_t>(nc) != n) fail(ErrorCode::kFormat, what + ": layer '" + l.node + "' code count differs from its shape");
      const size_t bytes = (nc * l.q.bits + 7) / 8;
      s.need(bytes);
      const unsigned char* p = reinterpret_cast<const unsigned char*>(b.data() + s.pos);
      l.q.codes.resize(nc);
      // Little-endian bit order: code k occupies bits [k·bits, (k+1)·bits) of the stream. Read
      // through a 64-bit window (bits ≤ 16, so a code spans at most 3 bytes of it).
      const uint64_t mask = (uint64_t{1} << l.q.bits) - 1;
      for (uint64_t k = 0; k < nc; ++k) {
        const uint64_t at = k * l.q.bits, byte = at / 8;
        uint64_t window = 0;
        std::memcpy(&window, p + byte, std::min<uint64_t>(8, bytes - byte));
        const int64_t u = static_cast<int64_t>((window >> (at % 8)) & mask);
        l.q.codes[k] = l.q.qmin + u * l.q.qstep;
        if (l.q.codes[k] > l.q.qmax)
          fail(ErrorCode::kFormat, what + ": layer '" + l.node + "' holds a code above its range");
      }
      layers.push_back(std::move(l));
    }  // unknown sections are skipped
    r.pos += len;
  }
  if (!have_graph) fail(ErrorCode::kFormat, what + ": no graph section");
  // Rebuild each quantized weight exactly as the quantizer stored it.
  for (const Layer& l : layers) {
    const int64_t axis = l.q.axis;
    if (axis < 0 || axis >= static_cast<int64_t>(l.shape.size()))
      fail(ErrorCode::kFormat, what + ": layer '" + l.node + "' has an invalid channel axis");
    int64_t inner = 1;
    for (size_t d = axis + 1; d < l.shape.size(); ++d) inner *= l.shape[d];
    const int64_t ch = l.shape[axis];
    if (l.q.scale.size() != 1 && static_cast<int64_t>(l.q.scale.size()) != ch)
      fail(ErrorCode::kFormat, what + ": layer '" + l.node + "' scale count does not match its channel axis");
    auto* t = model.mutable_graph()->add_initializer();
    t->set_name(l.weight);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : l.shape) t->add_dims(d);
    std::string* raw = t->mutable_raw_data();
    raw->resize(l.q.codes.size() * 4);
    float* w = reinterpret_cast<float*>(raw->data());
    const int64_t* codes = l.q.codes.data();
    const bool per_channel = l.q.scale.size() != 1;
    for (int64_t k = 0, total = static_cast<int64_t>(l.q.codes.size()); k < total;) {
      const size_t c = per_channel ? static_cast<size_t>((k / inner) % ch) : 0;  // one block per channel
      const int64_t z = l.q.zero_point[c], end = std::min(total, k + (per_channel ? inner : total));
      const float sc = static_cast<float>(l.q.scale[c]);
      for (; k < end; ++k) w[k] = static_cast<float>(codes[k] - z) * sc;
    }
  }
  Graph g = import_onnx_model(model, what);
  for (Layer& l : layers) g.weight_quant[l.node] = std::move(l.q);
  return g;
}

Graph load_efq_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) fail(ErrorCode::kIo, path + ": cannot open");
  const std::streamoff size = f.tellg();
  if (size < 0 || size > kMaxFile) fail(ErrorCode::kFormat, path + ": absurd file size");
  check_memory(mul_sat(size, 3), path + ": reading an .efq file of " + std::to_string(size) + " bytes");
  std::string bytes(static_cast<size_t>(size), '\0');
  f.seekg(0);
  if (!f.read(bytes.data(), size)) fail(ErrorCode::kIo, path + ": read error");
  return load_efq_bytes(bytes, path);
}

EfqSize efq_size(const Graph& g) {
  EfqSize s;
  for (const auto& [node, vid] : quantized_weights(g)) {
    const WeightQuant& q = g.weight_quant.at(node->name);
    s.packed_code_bytes += static_cast<int64_t>((q.codes.size() * q.bits + 7) / 8);
    s.fp32_weight_bytes += g.values[vid].data.numel() * 4;
  }
  s.file_bytes = static_cast<int64_t>(efq_bytes(g).size());
  return s;
}

}  // namespace efq
