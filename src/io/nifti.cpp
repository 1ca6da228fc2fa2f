// NIfTI I/O on libnifti's nifti2 API. Reading validates the raw header (absurd dimensions are
// rejected before anything is allocated), parses it with nifti_image_read(path, 0), then reads
// the voxel bytes through znzlib (nifti_image_load would silently zero NaN/Inf). Writing
// serialises the header with libnifti but writes the bytes ourselves, because
// nifti_image_write() reports no errors; every write goes to a temp file that is renamed.
#include "io/nifti.hpp"

#include <nifti2_io.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/memory_budget.hpp"

namespace efq::io {
namespace {

namespace fs = std::filesystem;

struct NimDeleter {
  void operator()(nifti_image* p) const { nifti_image_free(p); }
};
using NimPtr = std::unique_ptr<nifti_image, NimDeleter>;

constexpr int64_t kMaxVoxels = int64_t{1} << 31;

std::string quoted(const std::string& path) { return "'" + path + "'"; }

/// Throws kFormat unless dim[0..7] describe one volume of 1..2^31 voxels.
void check_dims(const int64_t d[8], const std::string& path) {
  const std::string bad = "invalid NIfTI header in " + quoted(path) + ": ";
  const int64_t ndim = d[0];
  if (ndim < 1 || ndim > 7) fail(ErrorCode::kFormat, bad + "dim[0] is " + std::to_string(ndim));
  int64_t total = 1, volumes = 1;
  std::string dims;
  for (int64_t a = 1; a <= ndim; ++a) {
    if (d[a] <= 0)
      fail(ErrorCode::kFormat, bad + "dimension " + std::to_string(a) + " has size " +
                                   std::to_string(d[a]) + " (must be >= 1)");
    total = (total > kMaxVoxels) ? total : total * d[a];  // saturates, never overflows
    volumes *= a >= 4 ? d[a] : 1;
    dims += (a == 1 ? "" : "x") + std::to_string(d[a]);
  }
  if (total > kMaxVoxels)
    fail(ErrorCode::kFormat, bad + "dimensions " + dims + " exceed 2^31 voxels");
  if (volumes != 1)
    fail(ErrorCode::kFormat, quoted(path) + " holds " + std::to_string(volumes) +
                                 " volumes; expected a single 3-D volume");
}

/// Validates the dimensions of the raw header. libnifti's own reader silently turns a dimension
/// <= 0 into 1, so this must look at the bytes on disk; it also runs before any allocation.
/// Returns the bytes reading the voxels will allocate (raw buffer + float copy).
int64_t check_raw_header(const std::string& path) {
  int nver = 0;
  void* raw = nifti_read_header(path.c_str(), &nver, 0);
  if (raw == nullptr) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr)
      fail(ErrorCode::kIo, "cannot read " + quoted(path) + ": " + std::strerror(errno));
    std::fclose(f);
    fail(ErrorCode::kFormat, "not a NIfTI file: " + quoted(path) + " has no NIfTI-1/2 header");
  }
  int64_t d[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int datatype = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (nver == 2) {
      const auto* h = static_cast<const nifti_2_header*>(raw);
      for (int a = 0; a < 8; ++a) d[a] = h->dim[a];
      datatype = h->datatype;
    } else {
      const auto* h = static_cast<const nifti_1_header*>(raw);
      for (int a = 0; a < 8; ++a) d[a] = h->dim[a];
      datatype = h->datatype;
    }
    if (d[0] >= 1 && d[0] <= 7) break;
    swap_nifti_header(raw, nver == 2 ? 2 : 1);  // foreign byte order, if not swapped already
  }
  free(raw);
  check_dims(d, path);
  // Before nifti_image_read, which prints its own complaint about an unknown datatype to stderr.
  if (!nifti_is_valid_datatype(datatype))
    fail(ErrorCode::kFormat, "invalid NIfTI header in " + quoted(path) + ": unknown datatype code " +
                                 std::to_string(datatype));
  int nbyper = 0, swapsize = 0;
  nifti_datatype_sizes(datatype, &nbyper, &swapsize);
  int64_t voxels = 1;
  for (int64_t a = 1; a <= d[0]; ++a) voxels *= d[a];  // <= 2^31 after check_dims
  return voxels * (std::max(nbyper, 1) + 4);
}

/// Reads the raw voxel bytes. Not nifti_image_load: it silently replaces NaN/Inf by 0, and the
/// caller must see (and reject) them.
std::vector<char> read_voxels(const nifti_image& nim, const std::string& path) {
  const size_t want = static_cast<size_t>(nim.nvox) * static_cast<size_t>(nim.nbyper);
  if (!nifti_is_gzfile(nim.iname)) {  // a lying header is caught before the buffer is allocated
    std::error_code ec;
    const auto have = fs::file_size(nim.iname, ec);
    if (!ec && have < static_cast<uintmax_t>(nim.iname_offset) + want)
      fail(ErrorCode::kFormat, "cannot read the voxel data of " + quoted(path) + ": the header needs " +
                                   std::to_string(want) + " bytes at offset " + std::to_string(nim.iname_offset) +
                                   ", the file has " + std::to_string(have) + " (file truncated or corrupt)");
  }
  std::vector<char> buf(want);
  znzFile fp = znzopen(nim.iname, "rb", nifti_is_gzfile(nim.iname));
  if (znz_isnull(fp))
    fail(ErrorCode::kIo,
         "cannot open the voxel data of " + quoted(path) + " (" + quoted(nim.iname) + ")");
  bool ok = znzseek(fp, static_cast<znz_off_t>(nim.iname_offset), SEEK_SET) >= 0;
  size_t got = 0;
  while (ok && got < want) {
    const size_t n = std::min<size_t>(want - got, size_t{1} << 26);
    const size_t r = znzread(buf.data() + got, 1, n, fp);
    if (r > n) {  // zlib's error (-1): the compressed stream is corrupt
      znzclose(fp);
      fail(ErrorCode::kFormat, "cannot read the voxel data of " + quoted(path) +
                                   ": the compressed data is corrupt after " + std::to_string(got) +
                                   " of " + std::to_string(want) + " bytes");
    }
    got += r;
    ok = r == n;
  }
  znzclose(fp);
  if (got != want)
    fail(ErrorCode::kFormat, "cannot read the voxel data of " + quoted(path) + ": expected " +
                                 std::to_string(want) + " bytes at offset " +
                                 std::to_string(nim.iname_offset) + ", got " + std::to_string(got) +
                                 " (file truncated or corrupt)");
  if (nim.swapsize > 1 && nim.byteorder != nifti_short_order())
    nifti_swap_Nbytes(nim.nvox, nim.swapsize, buf.data());
  return buf;
}

template <typename T>
void convert(const void* src, int64_t n, double slope, double inter, bool scale, float* dst) {
  const T* s = static_cast<const T*>(src);
  if (scale) {
    for (int64_t v = 0; v < n; ++v)
      dst[v] = static_cast<float>(static_cast<double>(s[v]) * slope + inter);
  } else {
    for (int64_t v = 0; v < n; ++v) dst[v] = static_cast<float>(s[v]);
  }
}

using Converter = void (*)(const void*, int64_t, double, double, bool, float*);

/// The converter of a real scalar datatype to float; null for the others (complex, RGB, ...).
Converter converter_for(int datatype) {
  static const struct {
    int code;
    Converter fn;
  } kTable[] = {{DT_UINT8, convert<uint8_t>}, {DT_INT8, convert<int8_t>},
                {DT_INT16, convert<int16_t>}, {DT_UINT16, convert<uint16_t>},
                {DT_INT32, convert<int32_t>}, {DT_UINT32, convert<uint32_t>},
                {DT_INT64, convert<int64_t>}, {DT_UINT64, convert<uint64_t>},
                {DT_FLOAT32, convert<float>}, {DT_FLOAT64, convert<double>}};
  for (const auto& e : kTable)
    if (e.code == datatype) return e.fn;
  return nullptr;
}

Grid grid_from(const nifti_image& nim, const std::string& path) {
  Grid g;
  const int64_t n[3] = {nim.nx, nim.ny, nim.nz};  // for a 2-D file nz may be 0
  for (int a = 0; a < 3; ++a) {
    g.dim[a] = a < nim.dim[0] ? n[a] : 1;
    const double p = std::fabs(nim.pixdim[a + 1]);
    if (!(p > 0.0) || !std::isfinite(p))
      fail(ErrorCode::kFormat, "invalid NIfTI header in " + quoted(path) + ": pixdim[" +
                                   std::to_string(a + 1) + "] is " +
                                   std::to_string(nim.pixdim[a + 1]) + " (voxel size must be > 0)");
    g.spacing[a] = p;
  }
  const nifti_dmat44* m =
      nim.sform_code > 0 ? &nim.sto_xyz : (nim.qform_code > 0 ? &nim.qto_xyz : nullptr);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      g.affine[r][c] = m ? m->m[r][c] : (r == c ? (r < 3 ? g.spacing[r] : 1.0) : 0.0);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c)
      if (!std::isfinite(g.affine[r][c]))
        fail(ErrorCode::kFormat, "invalid NIfTI header in " + quoted(path) +
                                     ": the voxel-to-world transform has non-finite entries");
  return g;
}

}  // namespace

Image read_nifti(const std::string& path) {
  nifti_set_debug_level(0);
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) fail(ErrorCode::kIo, "cannot read " + quoted(path) + ": no such file");
  if (!fs::is_regular_file(st))
    fail(ErrorCode::kIo, "cannot read " + quoted(path) + ": not a regular file");

  const int64_t need = check_raw_header(path);
  check_memory(need, "reading " + quoted(path));
  NimPtr nim(nifti_image_read(path.c_str(), 0));  // header only
  if (!nim)
    fail(ErrorCode::kFormat, "invalid NIfTI header in " + quoted(path) +
                                 ": libnifti rejected it (inconsistent or corrupt fields)");
  if (nim->nifti_type == NIFTI_FTYPE_ASCII || nim->iname == nullptr)
    fail(ErrorCode::kUnsupported, "cannot read " + quoted(path) + ": ASCII NIfTI is not supported");
  check_dims(nim->dim, path);  // again on libnifti's view, in case it reinterpreted the header
  const Converter convert_fn = converter_for(nim->datatype);
  if (convert_fn == nullptr)
    fail(ErrorCode::kUnsupported, "unsupported NIfTI datatype " +
                                      std::string(nifti_datatype_string(nim->datatype)) + " in " +
                                      quoted(path) + " (need a real scalar type)");

  Image img;
  img.grid = grid_from(*nim, path);
  nifti_image* hdr = nifti_copy_nim_info(nim.get());
  if (hdr == nullptr) fail(ErrorCode::kOutOfMemory, "cannot copy the header of " + quoted(path));
  img.grid.header = std::shared_ptr<const void>(hdr, [](const void* p) {
    nifti_image_free(static_cast<nifti_image*>(const_cast<void*>(p)));
  });

  const int64_t n = nim->nvox;
  const std::vector<char> raw = read_voxels(*nim, path);
  const double slope = nim->scl_slope, inter = nim->scl_inter;
  const bool scale = slope != 0.0 && std::isfinite(slope) && std::isfinite(inter) &&
                     !(slope == 1.0 && inter == 0.0);
  img.data.resize(static_cast<size_t>(n));
  convert_fn(raw.data(), n, slope, inter, scale, img.data.data());

  int64_t bad = 0;
  for (float v : img.data) bad += std::isfinite(v) ? 0 : 1;
  if (bad > 0)
    fail(ErrorCode::kNumerical, quoted(path) + " contains " + std::to_string(bad) + " of " +
                                    std::to_string(n) + " voxels that are NaN or Inf");
  return img;
}

int64_t nifti_read_bytes(const std::string& path) {
  nifti_set_debug_level(0);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    fail(ErrorCode::kIo, "cannot read " + quoted(path) + ": no such file");
  return check_raw_header(path);
}

// ---------------------------------------------------------------------------------------------
// Writing

namespace {

/// A header for `like` with the given datatype and number of channels (nt), never with data.
NimPtr make_header(const Grid& like, int datatype, int64_t channels, const std::string& path) {
  const int64_t dims[8] = {
      channels > 1 ? 4 : 3, like.dim[0], like.dim[1], like.dim[2], channels, 1, 1, 1};
  NimPtr nim;
  const auto* src = static_cast<const nifti_image*>(like.header.get());
  if (src && src->nx == like.dim[0] && src->ny == like.dim[1] && src->nz == like.dim[2]) {
    nim.reset(nifti_copy_nim_info(src));
    if (nim) nifti_free_extensions(nim.get());
  } else {
    nim.reset(nifti_make_new_nim(dims, DT_FLOAT32, 0));
    if (nim) {
      nifti_dmat44 m;
      for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 4; ++c) m.m[r][c] = like.affine[r][c];
      nim->sto_xyz = m;
      nim->sform_code = NIFTI_XFORM_SCANNER_ANAT;
      double dx, dy, dz;
      nifti_dmat44_to_quatern(m, &nim->quatern_b, &nim->quatern_c, &nim->quatern_d, &nim->qoffset_x,
                              &nim->qoffset_y, &nim->qoffset_z, &dx, &dy, &dz, &nim->qfac);
      nim->qform_code = NIFTI_XFORM_SCANNER_ANAT;
      for (int a = 0; a < 3; ++a) nim->pixdim[a + 1] = like.spacing[a];
      nim->xyz_units = NIFTI_UNITS_MM;
    }
  }
  if (!nim) fail(ErrorCode::kOutOfMemory, "cannot allocate a NIfTI header for " + quoted(path));
  std::copy(dims, dims + 8, nim->dim);
  if (nim->pixdim[4] == 0.0) nim->pixdim[4] = 1.0;
  nifti_update_dims_from_array(nim.get());
  nim->datatype = datatype;
  nifti_datatype_sizes(datatype, &nim->nbyper, &nim->swapsize);
  nim->scl_slope = 1.0;
  nim->scl_inter = 0.0;
  nim->cal_min = nim->cal_max = 0.0;
  nim->intent_code = datatype == DT_UINT8 && channels == 1 ? NIFTI_INTENT_LABEL : NIFTI_INTENT_NONE;
  nim->intent_p1 = nim->intent_p2 = nim->intent_p3 = 0.0;
  std::memset(nim->intent_name, 0, sizeof nim->intent_name);
  std::memset(nim->descrip, 0, sizeof nim->descrip);
  std::strncpy(nim->descrip, "efficientq", sizeof nim->descrip - 1);
  std::memset(nim->aux_file, 0, sizeof nim->aux_file);
  return nim;
}


/// Writes header + data to `path` atomically.
void write_atomic(const std::string& path, nifti_image* nim, const void* bytes, size_t nbytes) {
  auto ends_with = [&](const std::string& e) {
    return path.size() > e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  const bool gz = ends_with(".nii.gz");
  if (!gz && !ends_with(".nii"))
    fail(ErrorCode::kInvalidArgument,
         "cannot write NIfTI file " + quoted(path) + ": the name must end in .nii or .nii.gz");
  const std::string ending = gz ? ".nii.gz" : ".nii";

  // Serialise the header; NIfTI-2 only when a dimension does not fit NIfTI-1's int16.
  const bool need2 = nim->nifti_type == NIFTI_FTYPE_NIFTI2_1 ||
                     std::max({nim->nx, nim->ny, nim->nz, nim->nt}) > 32767;
  nifti_1_header h1;
  nifti_2_header h2;
  const void* hdr = nullptr;
  size_t hdr_size = 0;
  if (need2) {
    nim->nifti_type = NIFTI_FTYPE_NIFTI2_1;
    if (nifti_convert_nim2n2hdr(nim, &h2) != 0)
      fail(ErrorCode::kInternal, "cannot build the NIfTI-2 header for " + quoted(path));
    h2.sizeof_hdr = 540;
    std::memcpy(h2.magic, "n+2\0\r\n\032\n", 8);
    h2.vox_offset = 544;
    hdr = &h2;
    hdr_size = 540;
  } else {
    nim->nifti_type = NIFTI_FTYPE_NIFTI1_1;
    if (nifti_convert_nim2n1hdr(nim, &h1) != 0)
      fail(ErrorCode::kInternal, "cannot build the NIfTI-1 header for " + quoted(path));
    h1.sizeof_hdr = 348;
    std::memcpy(h1.magic, "n+1\0", 4);
    h1.vox_offset = 352.0f;
    hdr = &h1;
    hdr_size = 348;
  }

  const std::string tmp = temporary_path_for(path, ending);
  // gzip level 1, as nibabel: 3-5x faster than the default 6, files ~10% larger.
  znzFile fp = znzopen(tmp.c_str(), gz ? "wb1" : "wb", gz ? 1 : 0);
  if (znz_isnull(fp))
    fail(ErrorCode::kIo, "cannot create " + quoted(tmp) + " (to write " + quoted(path) +
                             "): " + std::strerror(errno));
  const char extender[4] = {0, 0, 0, 0};  // "no extensions"
  bool ok = znzwrite(hdr, 1, hdr_size, fp) == hdr_size && znzwrite(extender, 1, 4, fp) == 4;
  // znzwrite hands gzwrite at most 1 GiB at a time; still chunk to keep each call modest.
  const char* p = static_cast<const char*>(bytes);
  for (size_t off = 0; ok && off < nbytes;) {
    const size_t n = std::min<size_t>(nbytes - off, size_t{1} << 26);
    ok = znzwrite(p + off, 1, n, fp) == n;
    off += n;
  }
  const int err = errno;
  const bool closed = znzclose(fp) == 0;
  if (!ok || !closed) {
    std::remove(tmp.c_str());
    fail(ErrorCode::kIo, "cannot write " + quoted(path) + ": writing the temporary file failed (" +
                             std::strerror(err ? err : EIO) + ")");
  }
  commit_temporary(tmp, path);
}

void check_size(const std::string& path, const Grid& like, size_t got, int64_t channels) {
  if (like.voxels() <= 0 || channels < 1 || static_cast<int64_t>(got) != like.voxels() * channels)
    fail(ErrorCode::kInvalidArgument,
         "cannot write " + quoted(path) + ": " + std::to_string(got) + " values given for a " +
             std::to_string(like.dim[0]) + "x" + std::to_string(like.dim[1]) + "x" +
             std::to_string(like.dim[2]) + " grid x " + std::to_string(channels) + " channel(s)");
}

template <typename T>
std::vector<T> round_clamp(const std::vector<float>& data) {
  const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
  const double hi = static_cast<double>(std::numeric_limits<T>::max());
  std::vector<T> out(data.size());
  for (size_t v = 0; v < data.size(); ++v) {
    const double x = std::isnan(data[v]) ? 0.0 : std::round(static_cast<double>(data[v]));
    out[v] = static_cast<T>(std::clamp(x, lo, hi));
  }
  return out;
}

}  // namespace

void write_nifti_labels(const std::string& path, const Grid& like,
                        const std::vector<uint8_t>& labels) {
  check_size(path, like, labels.size(), 1);
  NimPtr nim = make_header(like, DT_UINT8, 1, path);
  write_atomic(path, nim.get(), labels.data(), labels.size());
}

void write_nifti_float(const std::string& path, const Grid& like, const std::vector<float>& data,
                       int64_t channels) {
  check_size(path, like, data.size(), channels);
  NimPtr nim = make_header(like, DT_FLOAT32, channels, path);
  write_atomic(path, nim.get(), data.data(), data.size() * sizeof(float));
}

void write_nifti_image(const std::string& path, const Grid& like, const std::vector<float>& data,
                       int datatype) {
  check_size(path, like, data.size(), 1);
  if (datatype != DT_UINT8 && datatype != DT_INT16 && datatype != DT_FLOAT32)
    fail(ErrorCode::kInvalidArgument, "cannot write " + quoted(path) + ": datatype " +
                                          std::to_string(datatype) +
                                          " is not one of uint8 (2), int16 (4), float32 (16)");
  NimPtr nim = make_header(like, datatype, 1, path);
  nim->intent_code = NIFTI_INTENT_NONE;  // an image, not a label map
  if (datatype == DT_UINT8) {
    const std::vector<uint8_t> v = round_clamp<uint8_t>(data);
    write_atomic(path, nim.get(), v.data(), v.size());
  } else if (datatype == DT_INT16) {
    const std::vector<int16_t> v = round_clamp<int16_t>(data);
    write_atomic(path, nim.get(), v.data(), v.size() * sizeof(int16_t));
  } else {
    write_atomic(path, nim.get(), data.data(), data.size() * sizeof(float));
  }
}

}  // namespace efq::io
