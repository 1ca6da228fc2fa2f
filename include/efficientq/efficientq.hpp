// efficientq.hpp — optional header-only C++17 RAII wrapper over the C ABI (efficientq.h).
// It adds no ABI of its own: everything goes through the C functions, failures become
// efq::Exception carrying the efq_status and efq_last_error_message().
// @since 0.1
#ifndef EFFICIENTQ_HPP
#define EFFICIENTQ_HPP

#include <efficientq/efficientq.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace efq {

/// A failed call: status() is the efq_status, what() the library's message.
class Exception : public std::runtime_error {
 public:
  Exception(efq_status s, const std::string& msg) : std::runtime_error(msg), status_(s) {}
  efq_status status() const noexcept { return status_; }

 private:
  efq_status status_;
};

inline void check(efq_status s) {
  if (s != EFQ_OK) {
    const char* m = efq_last_error_message();
    throw Exception(s, (m && *m) ? m : efq_status_string(s));
  }
}

namespace detail {
template <typename T, void (*Destroy)(T*)>
struct Deleter {
  void operator()(T* p) const noexcept { Destroy(p); }
};
template <typename T, void (*Destroy)(T*)>
using Handle = std::unique_ptr<T, Deleter<T, Destroy>>;
inline std::string take_string(char* s) {
  std::string out = s ? s : "";
  efq_string_free(s);
  return out;
}
}  // namespace detail

class Context {
 public:
  Context() {
    efq_context* p = nullptr;
    check(efq_context_create(&p));
    h_.reset(p);
  }
  efq_context* get() const noexcept { return h_.get(); }

 private:
  detail::Handle<efq_context, efq_context_destroy> h_;
};

class Config {
 public:
  Config() {
    efq_config* p = nullptr;
    check(efq_config_create(&p));
    h_.reset(p);
  }
  Config& set(efq_param p, int64_t v) { check(efq_config_set_int(h_.get(), p, v)); return *this; }
  Config& set(efq_param p, int v) { return set(p, static_cast<int64_t>(v)); }
  Config& set(efq_param p, double v) { check(efq_config_set_real(h_.get(), p, v)); return *this; }
  Config& set(efq_param p, const std::string& v) {
    check(efq_config_set_string(h_.get(), p, v.c_str()));
    return *this;
  }
  const efq_config* get() const noexcept { return h_.get(); }

 private:
  detail::Handle<efq_config, efq_config_destroy> h_;
};

/// What the library knows about `p` (efq_param_get_info): type, scope, bounds, default, name and
/// help. The strings are the library's static storage, valid for the process; never free them.
/// Throws efq::Exception (EFQ_ERR_INVALID_ARGUMENT) for a value that is not a parameter of the
/// loaded library. Thread-safe. @since 0.1
inline efq_param_info param_info(efq_param p) {
  efq_param_info i{};
  i.struct_size = sizeof(i);
  check(efq_param_get_info(p, &i));
  return i;
}

/// Every parameter the loaded library knows, in increasing value (efq_param_list). A library
/// newer than this header may list values the header does not name; param_info describes them.
/// Thread-safe. @since 0.1
inline std::vector<efq_param> param_list() {
  size_t n = 0;
  check(efq_param_list(nullptr, 0, &n));
  std::vector<efq_param> out(n);
  check(efq_param_list(out.data(), out.size(), &n));
  out.resize(std::min(n, out.size()));  // the table is static: n does not change in between
  return out;
}

/// Draws one slice of `image` with the contours of the label map `seg` (and of `compare_seg`
/// unless it is "") as an 8-bit RGB PNG, atomically (efq_render_overlay_png); `slice` -1 picks
/// the slice with the most labelled voxels. `ctx` may be nullptr (then nothing is logged).
/// Returns the slice drawn. Thread-safe for distinct outputs. @since 0.1
inline int64_t render_overlay_png(const Context* ctx, const std::string& image,
                                  const std::string& seg, const std::string& compare_seg,
                                  efq_plane plane, int64_t slice, const std::string& png) {
  int64_t drawn = -1;
  check(efq_render_overlay_png(ctx ? ctx->get() : nullptr, image.c_str(), seg.c_str(),
                               compare_seg.empty() ? nullptr : compare_seg.c_str(), plane, slice,
                               png.c_str(), &drawn));
  return drawn;
}

/// render_overlay_png with each voxel drawn as `scale` x `scale` pixels, `scale` in 1..16
/// (efq_render_overlay_png_scaled); scale 1 writes exactly what render_overlay_png writes.
/// Returns the slice drawn. @since 0.1
inline int64_t render_overlay_png_scaled(const Context* ctx, const std::string& image,
                                         const std::string& seg, const std::string& compare_seg,
                                         efq_plane plane, int64_t slice, int64_t scale,
                                         const std::string& png) {
  int64_t drawn = -1;
  check(efq_render_overlay_png_scaled(ctx ? ctx->get() : nullptr, image.c_str(), seg.c_str(),
                                      compare_seg.empty() ? nullptr : compare_seg.c_str(), plane,
                                      slice, scale, png.c_str(), &drawn));
  return drawn;
}

class Report {
 public:
  explicit Report(efq_report* p) : h_(p) {}
  std::string json() const {
    char* s = nullptr;
    check(efq_report_to_json(h_.get(), &s));
    return detail::take_string(s);
  }
  double mean_foreground_dice() const {
    double d = 0;
    check(efq_report_get_mean_foreground_dice(h_.get(), &d));
    return d;
  }
  /// The mean fidelity of an evaluate_fidelity() report.
  double mean_fidelity() const {
    double d = 0;
    check(efq_report_get_mean_fidelity(h_.get(), &d));
    return d;
  }

 private:
  detail::Handle<efq_report, efq_report_destroy> h_;
};

class Volume {
 public:
  Volume(const Context& ctx, const std::vector<std::string>& paths) {
    std::vector<const char*> c;
    for (const auto& p : paths) c.push_back(p.c_str());
    efq_volume* v = nullptr;
    check(efq_volume_load_nifti(ctx.get(), c.data(), c.size(), &v));
    h_.reset(v);
  }
  const efq_volume* get() const noexcept { return h_.get(); }

 private:
  detail::Handle<efq_volume, efq_volume_destroy> h_;
};

class Model {
 public:
  /// Loads an ONNX file (FP32, fake-quant or QDQ) or, for a ".efq" path, the packed format.
  static Model load(const Context& ctx, const std::string& path) {
    efq_model* m = nullptr;
    const bool efq_file = path.size() > 4 && path.compare(path.size() - 4, 4, ".efq") == 0;
    check(efq_file ? efq_model_load_efq(ctx.get(), path.c_str(), &m)
                   : efq_model_load_onnx(ctx.get(), path.c_str(), &m));
    return Model(m);
  }
  efq_model_info info() const {
    efq_model_info i{};
    i.struct_size = sizeof(i);
    check(efq_model_get_info(h_.get(), &i));
    return i;
  }
  /// A new quantized model (this one is unchanged) and its report.
  std::pair<Model, Report> quantize(const Context& ctx, const std::vector<const Volume*>& calib,
                                    const Config& cfg) const {
    std::vector<const efq_volume*> v;
    for (const Volume* c : calib) v.push_back(c->get());
    efq_model* q = nullptr;
    efq_report* r = nullptr;
    check(efq_quantize(ctx.get(), h_.get(), v.data(), v.size(), cfg.get(), &q, &r));
    return {Model(q), Report(r)};
  }
  void save_onnx(const std::string& path) const { check(efq_model_save_onnx(h_.get(), path.c_str())); }
  std::string save_onnx_qdq(const std::string& path) const {
    char* notes = nullptr;
    check(efq_model_save_onnx_qdq(h_.get(), path.c_str(), &notes));
    return detail::take_string(notes);
  }
  efq_efq_size save_efq(const std::string& path) const {
    efq_efq_size s{};
    s.struct_size = sizeof(s);
    check(efq_model_save_efq(h_.get(), path.c_str(), &s));
    return s;
  }
  Report evaluate_dice(const Context& ctx, const std::string& dataset_dir, const Config* cfg = nullptr) const {
    efq_report* r = nullptr;
    check(efq_evaluate_dice(ctx.get(), h_.get(), dataset_dir.c_str(), cfg ? cfg->get() : nullptr, &r));
    return Report(r);
  }
  /// Fidelity: this model's labels scored against `reference`'s (efq_evaluate_fidelity).
  Report evaluate_fidelity(const Context& ctx, const Model& reference, const std::string& images_dir,
                           const Config* cfg = nullptr) const {
    efq_report* r = nullptr;
    check(efq_evaluate_fidelity(ctx.get(), h_.get(), reference.get(), images_dir.c_str(),
                                cfg ? cfg->get() : nullptr, &r));
    return Report(r);
  }
  const efq_model* get() const noexcept { return h_.get(); }

 private:
  explicit Model(efq_model* m) : h_(m) {}
  detail::Handle<efq_model, efq_model_destroy> h_;
};

}  // namespace efq

#endif  // EFFICIENTQ_HPP
