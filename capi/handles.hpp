// The C handles are the C++ objects (oneDNN style): no casts, no lookup tables.
#pragma once

#include <efficientq/efficientq.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "graph/graph.hpp"
#include "infer/conventions.hpp"
#include "infer/evaluate.hpp"
#include "infer/segment.hpp"
#include "io/image.hpp"
#include "quant/options.hpp"

struct efq_context final {
  efq_log_fn log_fn = nullptr;
  void* log_user = nullptr;
  efq_log_level log_max = EFQ_LOG_INFO;
  efq_progress_fn progress_fn = nullptr;
  void* progress_user = nullptr;
  int64_t memory_limit_mb = 0;  // EFQ_PARAM_MEMORY_LIMIT_MB, 0 = default

  void log(efq_log_level level, const std::string& msg) const {
    if (log_fn && level <= log_max) log_fn(log_user, level, msg.c_str());
  }
  /// Reports progress; returns false when the host asked to cancel.
  bool progress(const char* stage, int64_t step, int64_t total, const std::string& item) const {
    if (!progress_fn) return true;
    efq_progress p{sizeof(efq_progress), stage, step, total, item.c_str()};
    return progress_fn(progress_user, &p) == 0;
  }
};

struct efq_config final {
  std::map<int, int64_t> ints;
  std::map<int, double> reals;
  std::map<int, std::string> strings;
};

struct efq_model final {
  std::string path;
  efq::Graph graph;
  efq::Conventions conventions;  // from the metadata
};

struct efq_volume final {
  std::vector<efq::io::Image> modalities;
  std::vector<std::string> paths;
};

struct efq_segmentation final {
  efq::Segmentation seg;
  efq::Conventions conventions;
};

struct efq_report final {
  std::string json;
  double mean_foreground_dice = -1;  // evaluation reports with labels only
  double mean_fidelity = -1;         // fidelity reports only
};
