// efq_quantize and efq_model_save_onnx.
#include "capi/guard.hpp"
#include "capi/params.hpp"
#include "core/memory_budget.hpp"
#include "capi/config_options.hpp"
#include "capi/handles.hpp"
#include "capi/struct_size.hpp"
#include "core/sha256.hpp"
#include "infer/segment.hpp"
#include "onnx/efq_format.hpp"
#include "onnx/export.hpp"
#include "quant/driver.hpp"
#include "quant/report.hpp"

namespace efq::capi {
char* dup_string(const std::string& s);
}

using efq::capi::guarded;
using efq::capi::require;

extern "C" {

efq_status efq_quantize(efq_context* ctx, const efq_model* model,
                        const efq_volume* const* calibration, size_t count,
                        const efq_config* config, efq_model** out, efq_report** report_out) {
  return guarded([&] {
    const efq::MemoryLimitScope memory(efq::capi::memory_limit_bytes(ctx, config));
    require(model, "model");
    require(calibration, "calibration");
    require(out, "quantized_out");
    *out = nullptr;
    if (report_out) *report_out = nullptr;
    if (count == 0) efq::fail(efq::ErrorCode::kInvalidArgument, "no calibration volume given");
    const efq::quant::QuantOptions opt = efq::capi::quant_options(config);
    const efq::Conventions conv = efq::capi::effective_conventions(*model, config);
    auto be = efq::create_backend(efq::capi::config_device(config),
                                  efq::capi::config_threads(config));
    std::vector<const std::vector<efq::io::Image>*> cases;
    for (size_t i = 0; i < count; ++i) {
      require(calibration[i], "calibration[i]");
      cases.push_back(&calibration[i]->modalities);
    }
    const efq::quant::CalibrationBatch batch =
        efq::quant::make_calibration_batch(model->graph, cases, conv, opt);
    auto q = std::make_unique<efq_model>(*model);
    auto progress = [ctx](int layer, int layers, const std::string& name, int it, double loss) {
      if (!ctx) return true;
      if (it < 0) ctx->log(EFQ_LOG_DEBUG, "layer " + std::to_string(layer + 1) + "/" + std::to_string(layers) + ": " + name);
      (void)loss;
      return ctx->progress("quantize", layer, layers, name);
    };
    efq::quant::QuantResult res = efq::quant::quantize_graph(
        q->graph, *be, batch.input, batch.body_or_null(), conv, opt, progress);
    if (ctx) ctx->progress("quantize", static_cast<int64_t>(res.layers.size()),
                           static_cast<int64_t>(res.layers.size()), "");
    if (report_out) {
      efq::quant::ReportInputs in;
      in.model_path = model->path;
      in.model_sha256 = model->path.empty() ? "" : efq::sha256_file(model->path);
      for (size_t i = 0; i < count; ++i)
        for (const auto& p : calibration[i]->paths) {
          in.calibration_paths.push_back(p);
          in.calibration_sha256.push_back(efq::sha256_file(p));
        }
      in.threads = be->info().threads;
      auto r = std::make_unique<efq_report>();
      r->json = efq::quant::report_json(res, opt, in);
      *report_out = r.release();
    }
    q->path.clear();
    *out = q.release();
  });
}

efq_status efq_model_save_onnx(const efq_model* model, const char* path) {
  return guarded([&] {
    require(model, "model");
    require(path, "path");
    efq::export_onnx_file(model->graph, path);
  });
}

efq_status efq_model_save_onnx_qdq(const efq_model* model, const char* path, char** notes_out) {
  return guarded([&] {
    require(model, "model");
    require(path, "path");
    if (notes_out) *notes_out = nullptr;
    if (model->graph.weight_quant.empty())
      efq::fail(efq::ErrorCode::kInvalidState,
                "the model is not quantized (quantize it first, or load a QDQ file as is)");
    std::vector<std::string> notes;
    efq::export_onnx_file(model->graph, path, efq::OnnxFormat::kQdq, &notes);
    if (notes_out) {
      std::string joined;
      for (const auto& n : notes) joined += n + "\n";
      *notes_out = efq::capi::dup_string(joined);
    }
  });
}

efq_status efq_model_save_efq(const efq_model* model, const char* path, efq_efq_size* size_out) {
  return guarded([&] {
    require(model, "model");
    require(path, "path");
    if (model->graph.weight_quant.empty())
      efq::fail(efq::ErrorCode::kInvalidState, "the model is not quantized (nothing to pack)");
    if (size_out)  // before writing: a bad struct_size must not leave a file behind
      efq::capi::check_struct_size(size_out->struct_size, efq::capi::kEfqSizeV1Size, "size_out");
    efq::save_efq_file(model->graph, path);
    if (size_out) {
      const efq::EfqSize s = efq::efq_size(model->graph);
      efq_efq_size full{};
      full.packed_code_bytes = s.packed_code_bytes;
      full.fp32_weight_bytes = s.fp32_weight_bytes;
      full.file_bytes = s.file_bytes;
      efq::capi::copy_out_fitting(full, size_out, efq::capi::kEfqSizeV1Size, "size_out");
    }
  });
}

efq_status efq_model_load_efq(efq_context* ctx, const char* path, efq_model** out) {
  return guarded([&] {
    const efq::MemoryLimitScope memory(efq::capi::memory_limit_bytes(ctx, nullptr));
    require(path, "path");
    require(out, "model_out");
    *out = nullptr;
    auto m = std::make_unique<efq_model>();
    m->path = path;
    m->graph = efq::load_efq_file(path);
    m->conventions = efq::model_conventions(m->graph, path);
    if (ctx) ctx->log(EFQ_LOG_INFO, std::string("loaded ") + path);
    *out = m.release();
  });
}

}  // extern "C"
