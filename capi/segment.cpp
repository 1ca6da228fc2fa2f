// Segmentation and evaluation entry points.
#include <cmath>

#include "backends/backend.hpp"
#include "capi/guard.hpp"
#include "capi/params.hpp"
#include "core/memory_budget.hpp"
#include "capi/config_options.hpp"
#include "capi/handles.hpp"
#include "infer/evaluate.hpp"
#include "io/nifti.hpp"

using efq::capi::guarded;
using efq::capi::require;

namespace efq::capi {
char* dup_string(const std::string& s);
}

extern "C" {

efq_status efq_segment(efq_context* ctx, const efq_model* model, const efq_volume* volume,
                       const efq_config* config, efq_segmentation** out) {
  return guarded([&] {
    const efq::MemoryLimitScope memory(efq::capi::memory_limit_bytes(ctx, config));
    require(model, "model");
    require(volume, "volume");
    require(out, "segmentation_out");
    *out = nullptr;
    auto be = efq::create_backend(efq::capi::config_device(config),
                                  efq::capi::config_threads(config));
    efq::SegmentRequest req;
    req.conventions = efq::capi::effective_conventions(*model, config);
    req.want_probabilities = efq::capi::config_want_probabilities(config);
    req.int8 = efq::capi::config_int8(config);
    if (ctx)
      req.on_window = [ctx](int done, int total) {
        return ctx->progress("segment", done, total, "");
      };
    auto s = std::make_unique<efq_segmentation>();
    s->conventions = req.conventions;
    s->seg = efq::segment(model->graph, *be, volume->modalities, req);
    *out = s.release();
  });
}

void efq_segmentation_destroy(efq_segmentation* s) { delete s; }

efq_status efq_segmentation_get_labels(const efq_segmentation* s, const uint8_t** labels,
                                       int64_t dims[3]) {
  return guarded([&] {
    require(s, "segmentation");
    if (labels) *labels = s->seg.labels.data();
    if (dims)
      for (int d = 0; d < 3; ++d) dims[d] = s->seg.grid.dim[d];
  });
}

efq_status efq_segmentation_save_nifti(const efq_segmentation* s, const char* labels_path,
                                       const char* probs_path) {
  return guarded([&] {
    require(s, "segmentation");
    if (!labels_path && !probs_path)
      efq::fail(efq::ErrorCode::kInvalidArgument, "no output path given");
    if (probs_path && s->seg.probabilities.empty())
      efq::fail(efq::ErrorCode::kInvalidState,
                "probabilities were not kept: set EFQ_PARAM_WANT_PROBABILITIES before segmenting");
    if (labels_path) efq::io::write_nifti_labels(labels_path, s->seg.grid, s->seg.labels);
    if (probs_path)
      efq::io::write_nifti_float(probs_path, s->seg.grid, s->seg.probabilities, s->seg.channels);
  });
}

efq_status efq_segmentation_dice(const efq_segmentation* s, const efq_volume* ref, double* dice,
                                 size_t capacity, size_t* count) {
  return guarded([&] {
    require(s, "segmentation");
    require(ref, "reference");
    const auto& img = ref->modalities.at(0);
    for (int d = 0; d < 3; ++d)
      if (img.grid.dim[d] != s->seg.grid.dim[d])
        efq::fail(efq::ErrorCode::kInvalidArgument, "reference grid differs from the segmentation");
    std::vector<uint8_t> labels(img.data.size());
    for (size_t v = 0; v < labels.size(); ++v) {
      float x = img.data[v];
      if (!(x >= 0 && x <= 255)) efq::fail(efq::ErrorCode::kFormat, "reference label out of 0..255");
      labels[v] = static_cast<uint8_t>(std::lround(x));
    }
    efq::CaseDice cd = efq::case_dice(s->seg.labels, labels, s->seg.channels, s->conventions,
                                      nullptr, nullptr);
    if (dice)
      for (size_t k = 0; k < cd.dice.size() && k < capacity; ++k) dice[k] = cd.dice[k];
    if (count) *count = cd.dice.size();
  });
}

efq_status efq_evaluate_dice(efq_context* ctx, const efq_model* model, const char* dir,
                             const efq_config* config, efq_report** out) {
  return guarded([&] {
    const efq::MemoryLimitScope memory(efq::capi::memory_limit_bytes(ctx, config));
    require(model, "model");
    require(dir, "dataset_dir");
    require(out, "report_out");
    *out = nullptr;
    auto be = efq::create_backend(efq::capi::config_device(config),
                                  efq::capi::config_threads(config));
    efq::SegmentRequest req;
    req.conventions = efq::capi::effective_conventions(*model, config);
    req.int8 = efq::capi::config_int8(config);
    const std::string split = efq::capi::config_split(config);
    auto on_case = [ctx](int i, int n, const std::string& name) {
      if (ctx) ctx->log(EFQ_LOG_INFO, "case " + std::to_string(i + 1) + "/" + std::to_string(n) + ": " + name);
      return ctx ? ctx->progress("evaluate", i, n, name) : true;
    };
    efq::Evaluation ev = efq::evaluate_dataset(model->graph, *be, dir, split, req, on_case);
    auto r = std::make_unique<efq_report>();
    r->json = ev.json();
    r->mean_foreground_dice = ev.mean_foreground_dice;
    *out = r.release();
  });
}

efq_status efq_evaluate_fidelity(efq_context* ctx, const efq_model* model,
                                 const efq_model* reference, const char* dir,
                                 const efq_config* config, efq_report** out) {
  return guarded([&] {
    require(model, "model");
    require(reference, "reference");
    require(dir, "images_dir");
    require(out, "report_out");
    *out = nullptr;
    auto be = efq::create_backend(efq::capi::config_device(config),
                                  efq::capi::config_threads(config));
    efq::SegmentRequest mreq, rreq;
    mreq.conventions = efq::capi::effective_conventions(*model, config);
    rreq.conventions = efq::capi::effective_conventions(*reference, config);
    mreq.int8 = rreq.int8 = efq::capi::config_int8(config);
    const std::string split = efq::capi::config_split(config);
    auto on_case = [ctx](int i, int n, const std::string& name) {
      if (ctx) ctx->log(EFQ_LOG_INFO, "case " + std::to_string(i + 1) + "/" + std::to_string(n) + ": " + name);
      return ctx ? ctx->progress("evaluate", i, n, name) : true;
    };
    efq::FidelityEvaluation fe = efq::evaluate_fidelity(model->graph, mreq, reference->graph, rreq,
                                                        *be, dir, split, on_case);
    auto r = std::make_unique<efq_report>();
    r->json = fe.json();
    r->mean_fidelity = fe.fidelity.mean_foreground_dice;
    if (fe.labelled) r->mean_foreground_dice = fe.dice.mean_foreground_dice;
    *out = r.release();
  });
}

efq_status efq_report_get_mean_fidelity(const efq_report* r, double* out) {
  return guarded([&] {
    require(r, "report");
    require(out, "out");
    if (r->mean_fidelity < 0)
      efq::fail(efq::ErrorCode::kInvalidState,
                "this report has no fidelity (not from efq_evaluate_fidelity)");
    *out = r->mean_fidelity;
  });
}

efq_status efq_report_get_mean_foreground_dice(const efq_report* r, double* out) {
  return guarded([&] {
    require(r, "report");
    require(out, "out");
    if (r->mean_foreground_dice < 0)
      efq::fail(efq::ErrorCode::kInvalidState, "this report has no Dice against labels (not an evaluation, or a fidelity "
                "evaluation of unlabelled images)");
    *out = r->mean_foreground_dice;
  });
}

efq_status efq_report_to_json(const efq_report* r, char** out) {
  return guarded([&] {
    require(r, "report");
    require(out, "json_out");
    *out = efq::capi::dup_string(r->json);
  });
}

void efq_report_destroy(efq_report* r) { delete r; }

}  // extern "C"
