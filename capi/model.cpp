// Model and volume handles.
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "backends/backend.hpp"
#include "capi/guard.hpp"
#include "capi/params.hpp"
#include "core/memory_budget.hpp"
#include "capi/handles.hpp"
#include "capi/struct_size.hpp"
#include "infer/executor.hpp"
#include "io/nifti.hpp"
#include "onnx/import.hpp"

using efq::capi::guarded;
using efq::capi::require;

namespace efq::capi {

char* dup_string(const std::string& s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

}  // namespace efq::capi

extern "C" {

efq_status efq_model_load_onnx(efq_context* ctx, const char* path, efq_model** out) {
  return guarded([&] {
    const efq::MemoryLimitScope memory(efq::capi::memory_limit_bytes(ctx, nullptr));
    require(path, "path");
    require(out, "model_out");
    *out = nullptr;
    auto m = std::make_unique<efq_model>();
    m->path = path;
    m->graph = efq::import_onnx_file(path);
    m->conventions = efq::model_conventions(m->graph, path);
    if (ctx)
      ctx->log(EFQ_LOG_INFO, std::string("loaded ") + path + ": " +
                                 std::to_string(m->graph.nodes.size()) + " nodes, opset " +
                                 std::to_string(m->graph.opset));
    *out = m.release();
  });
}

void efq_model_destroy(efq_model* m) { delete m; }

efq_status efq_model_get_info(const efq_model* m, efq_model_info* info) {
  return guarded([&] {
    require(m, "model");
    require(info, "info_out");
    efq::capi::check_struct_size(info->struct_size, efq::capi::kModelInfoV1Size, "info_out");
    efq_model_info full{};
    full.input_channels = efq::model_input_channels(m->graph);
    full.num_nodes = static_cast<int64_t>(m->graph.nodes.size());
    full.num_quantizable = static_cast<int64_t>(efq::quantizable_nodes(m->graph).size());
    full.num_parameters = m->graph.parameter_count();
    full.opset = m->graph.opset;
    efq::capi::copy_out_fitting(full, info, efq::capi::kModelInfoV1Size, "info_out");
  });
}

efq_status efq_model_describe_json(const efq_model* m, const int64_t* roi, char** out) {
  return guarded([&] {
    require(m, "model");
    require(out, "json_out");
    const efq::Graph& g = m->graph;
    nlohmann::ordered_json j;
    j["path"] = m->path;
    j["opset"] = g.opset;
    j["producer"] = g.producer;
    for (int id : g.inputs)
      j["inputs"].push_back({{"name", g.values[id].name}, {"shape", g.values[id].declared_shape}});
    for (int id : g.outputs)
      j["outputs"].push_back({{"name", g.values[id].name}, {"shape", g.values[id].declared_shape}});
    // Shapes for one input window: the given ROI, else the model's ROI, else the declared shape.
    efq::Shape in = g.values[g.inputs[0]].declared_shape;
    std::vector<efq::Shape> shapes;
    if (in.size() == 5) {
      in[0] = 1;
      std::vector<int64_t> r = m->conventions.roi;
      if (roi) r = {roi[0], roi[1], roi[2]};
      for (int d = 0; d < 3; ++d)
        if (!r.empty()) in[2 + d] = r[d];
      bool known = in[1] > 0 && in[2] > 0 && in[3] > 0 && in[4] > 0;
      if (known && g.inputs.size() == 1) {
        auto be = efq::create_backend("cpu", 1);
        efq::Executor ex(g, *be);
        shapes = ex.infer_shapes({in});
        j["shapes_for_input"] = in;
      }
    }
    std::vector<int> q = efq::quantizable_nodes(g);
    j["layers"] = nlohmann::ordered_json::array();
    for (size_t k = 0; k < g.nodes.size(); ++k) {
      const efq::Node& n = g.nodes[k];
      nlohmann::ordered_json l{{"name", n.name}, {"op", n.op}};
      if (!shapes.empty()) l["output_shape"] = shapes[n.outputs[0]];
      bool quant = std::find(q.begin(), q.end(), static_cast<int>(k)) != q.end();
      if (quant) l["weight_shape"] = g.values[n.inputs[1]].data.shape;
      l["quantizable"] = quant;
      j["layers"].push_back(l);
    }
    j["num_quantizable"] = q.size();
    j["num_parameters"] = g.parameter_count();
    j["metadata"] = efq::conventions_to_json(m->conventions);
    j["has_metadata"] = g.metadata.count("efficientq") != 0;
    *out = efq::capi::dup_string(j.dump(2));
  });
}

efq_status efq_volume_load_nifti(efq_context* ctx, const char* const* paths, size_t count,
                                 efq_volume** out) {
  return guarded([&] {
    const efq::MemoryLimitScope memory(efq::capi::memory_limit_bytes(ctx, nullptr));
    require(paths, "paths");
    require(out, "volume_out");
    *out = nullptr;
    if (count == 0 || count > 64)
      efq::fail(efq::ErrorCode::kInvalidArgument, "a volume needs 1 to 64 modality files");
    // All modalities together, from their headers, before reading any voxel.
    int64_t need = 0;
    for (size_t k = 0; k < count; ++k) {
      require(paths[k], "paths[k]");
      need = efq::add_sat(need, efq::io::nifti_read_bytes(paths[k]));
    }
    if (count > 1) efq::check_memory(need, "reading " + std::to_string(count) + " modality files");
    auto v = std::make_unique<efq_volume>();
    for (size_t k = 0; k < count; ++k) {
      require(paths[k], "paths[k]");
      v->modalities.push_back(efq::io::read_nifti(paths[k]));
      v->paths.push_back(paths[k]);
      const auto& g0 = v->modalities[0].grid;
      const auto& gk = v->modalities[k].grid;
      if (gk.dim[0] != g0.dim[0] || gk.dim[1] != g0.dim[1] || gk.dim[2] != g0.dim[2])
        efq::fail(efq::ErrorCode::kInvalidArgument,
                  std::string(paths[k]) + ": grid " + std::to_string(gk.dim[0]) + "x" +
                      std::to_string(gk.dim[1]) + "x" + std::to_string(gk.dim[2]) +
                      " differs from the first modality's " + std::to_string(g0.dim[0]) + "x" +
                      std::to_string(g0.dim[1]) + "x" + std::to_string(g0.dim[2]));
    }
    if (ctx) ctx->log(EFQ_LOG_DEBUG, "loaded volume with " + std::to_string(count) + " modalities");
    *out = v.release();
  });
}

void efq_volume_destroy(efq_volume* v) { delete v; }

efq_status efq_volume_get_dims(const efq_volume* v, int64_t dims[3], int64_t* channels) {
  return guarded([&] {
    require(v, "volume");
    if (dims)
      for (int d = 0; d < 3; ++d) dims[d] = v->modalities.at(0).grid.dim[d];
    if (channels) *channels = static_cast<int64_t>(v->modalities.size());
  });
}

}  // extern "C"
