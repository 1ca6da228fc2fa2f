#include "quant/calibration_batch.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "infer/segment.hpp"

namespace efq::quant {

CalibrationBatch make_calibration_batch(const Graph& g,
                                        const std::vector<const std::vector<io::Image>*>& cases,
                                        const Conventions& conv, const QuantOptions& opt) {
  if (cases.empty()) fail(ErrorCode::kInvalidArgument, "no calibration volume given");
  std::vector<Tensor> crops;
  std::vector<int64_t> crop = opt.calib_crop;
  for (const std::vector<io::Image>* modalities : cases) {
    check_modalities(g, *modalities, conv);
    Tensor x = prepare_input(*modalities, conv, nullptr, nullptr);
    if (crop.empty()) crop = default_calibration_crop({x.shape[2], x.shape[3], x.shape[4]});
    crops.push_back(center_crop(x, crop));
  }
  const int64_t count = static_cast<int64_t>(crops.size());
  CalibrationBatch b;
  b.input = Tensor::zeros({count, crops[0].shape[1], crop[0], crop[1], crop[2]});
  const int64_t per = crops[0].numel();
  for (int64_t i = 0; i < count; ++i)
    std::copy(crops[i].f.begin(), crops[i].f.end(), b.input.f.begin() + i * per);
  crops.clear();
  if (opt.body_mask) {
    const Tensor& calib = b.input;
    b.has_body = true;
    b.body = Tensor::zeros({calib.shape[0], 1, crop[0], crop[1], crop[2]});
    const int64_t vox = crop[0] * crop[1] * crop[2];
    for (int64_t n = 0; n < calib.shape[0]; ++n)
      for (int64_t v = 0; v < vox; ++v)
        b.body.f[n * vox + v] = calib.f[n * calib.shape[1] * vox + v] != 0.f ? 1.f : 0.f;
  }
  return b;
}

std::vector<int64_t> default_calibration_crop(const Shape& s) {
  std::vector<int64_t> c;
  for (int64_t d : s) {
    int64_t v = std::min<int64_t>(d, 192) / 64 * 64;  // METHOD §1.4
    if (v == 0) v = d >= 16 ? d / 16 * 16 : d;        // small volumes: keep pooling-friendly
    c.push_back(v);
  }
  return c;
}

Tensor center_crop(const Tensor& x, const std::vector<int64_t>& crop) {
  const int64_t n = x.shape[0], c = x.shape[1];
  Tensor y = Tensor::zeros({n, c, crop[0], crop[1], crop[2]});
  int64_t off[3];
  for (int d = 0; d < 3; ++d) off[d] = (x.shape[2 + d] - crop[d]) / 2;  // negative: pad
  for (int64_t bc = 0; bc < n * c; ++bc)
    for (int64_t a = 0; a < crop[0]; ++a)
      for (int64_t b = 0; b < crop[1]; ++b)
        for (int64_t e = 0; e < crop[2]; ++e) {
          const int64_t za = a + off[0], zb = b + off[1], ze = e + off[2];
          if (za < 0 || zb < 0 || ze < 0 || za >= x.shape[2] || zb >= x.shape[3] || ze >= x.shape[4])
            continue;
          y.f[((bc * crop[0] + a) * crop[1] + b) * crop[2] + e] =
              x.f[((bc * x.shape[2] + za) * x.shape[3] + zb) * x.shape[4] + ze];
        }
  return y;
}

}  // namespace efq::quant
