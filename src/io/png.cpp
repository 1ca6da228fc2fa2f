// PNG writing with libpng's classic API. libpng reports errors by longjmp from its error
// callback; a longjmp must never cross a C++ frame that owns something with a destructor, so
// every libpng call after png_create_write_struct lives in encode(), whose frame holds only
// plain data, and the C++ caller turns its `false` into an efq::Error. Everything else
// (validation, the temp file, the rename) happens in that caller.
#include "io/png.hpp"

#include <png.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace efq::io {
namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& path) { return "'" + path + "'"; }

/// libpng's own limit on either side (PNG_USER_WIDTH_MAX / PNG_USER_HEIGHT_MAX).
constexpr int64_t kMaxSide = 1000000;

/// What the error callback hands back to encode(): the message. Plain data only.
struct ErrorSink {
  char message[256];
};

[[noreturn]] void on_error(png_structp png, png_const_charp msg) {
  auto* sink = static_cast<ErrorSink*>(png_get_error_ptr(png));
  std::snprintf(sink->message, sizeof sink->message, "%s", msg ? msg : "unknown error");
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // library code never prints

/// pHYs counts pixels per metre, in 1..2^31-1.
png_uint_32 per_metre(double mm) {
  return static_cast<png_uint_32>(std::clamp(std::round(1000.0 / mm), 1.0, 2147483647.0));
}

/// Encodes `image` into the open file `f`. Returns false with sink->message set when libpng
/// failed (out of memory, a short write). The only place libpng may longjmp to is the setjmp
/// below, and between the two there are only C frames and this one: no destructor is skipped.
bool encode(FILE* f, const RgbImage& image, const PngInfo& info, png_text* texts, int num_texts,
            ErrorSink* sink) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, on_error, on_warning);
  if (png == nullptr) {
    std::snprintf(sink->message, sizeof sink->message, "out of memory (png_create_write_struct)");
    return false;
  }
  png_infop pinfo = png_create_info_struct(png);
  if (pinfo == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    std::snprintf(sink->message, sizeof sink->message, "out of memory (png_create_info_struct)");
    return false;
  }
  // png and pinfo are not modified after setjmp, so they keep their values after a longjmp.
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &pinfo);
    return false;
  }
  png_init_io(png, f);
  png_set_compression_level(png, 6);
  png_set_IHDR(png, pinfo, static_cast<png_uint_32>(image.width),
               static_cast<png_uint_32>(image.height), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (info.pixel_mm[0] > 0 && info.pixel_mm[1] > 0)
    png_set_pHYs(png, pinfo, per_metre(info.pixel_mm[0]), per_metre(info.pixel_mm[1]),
                 PNG_RESOLUTION_METER);
  if (num_texts > 0) png_set_text(png, pinfo, texts, num_texts);
  png_write_info(png, pinfo);
  const size_t stride = 3 * static_cast<size_t>(image.width);
  for (int64_t r = 0; r < image.height; ++r)
    png_write_row(png, image.rgb.data() + stride * static_cast<size_t>(r));
  png_write_end(png, pinfo);
  png_destroy_write_struct(&png, &pinfo);
  return true;
}

bool valid_keyword(const std::string& k) {
  if (k.empty() || k.size() > 79 || k.front() == ' ' || k.back() == ' ') return false;
  for (char c : k)
    if (c < 32 || c > 126) return false;
  return k.find("  ") == std::string::npos;
}

void validate(const std::string& path, const RgbImage& image, const PngInfo& info) {
  const std::string bad = "cannot write PNG file " + quoted(path) + ": ";
  std::string lower = path;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.size() <= 4 || lower.compare(lower.size() - 4, 4, ".png") != 0)
    fail(ErrorCode::kInvalidArgument, bad + "the name must end in .png");
  if (image.width < 1 || image.height < 1 || image.width > kMaxSide || image.height > kMaxSide)
    fail(ErrorCode::kInvalidArgument,
         bad + "a " + std::to_string(image.width) + "x" + std::to_string(image.height) +
             " picture (each side must be 1.." + std::to_string(kMaxSide) + " pixels)");
  if (image.rgb.size() != 3 * static_cast<size_t>(image.width * image.height))
    fail(ErrorCode::kInvalidArgument, bad + std::to_string(image.rgb.size()) +
                                          " bytes given for a " + std::to_string(image.width) +
                                          "x" + std::to_string(image.height) + " RGB picture");
  for (const auto& kv : info.text)
    if (!valid_keyword(kv.first))
      fail(ErrorCode::kInvalidArgument, bad + "invalid tEXt keyword " + quoted(kv.first));
}


}  // namespace

void write_png_rgb(const std::string& path, const RgbImage& image, const PngInfo& info) {
  validate(path, image, info);
  // libpng wants writable char pointers; they point into `info`, which outlives encode().
  std::vector<png_text> texts(info.text.size());
  for (size_t t = 0; t < texts.size(); ++t) {
    std::memset(&texts[t], 0, sizeof texts[t]);
    const std::string& value = info.text[t].second;
    const bool ascii = std::all_of(value.begin(), value.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    texts[t].compression = ascii ? PNG_TEXT_COMPRESSION_NONE : PNG_ITXT_COMPRESSION_NONE;
    texts[t].key = const_cast<char*>(info.text[t].first.c_str());
    texts[t].text = const_cast<char*>(value.c_str());
    (ascii ? texts[t].text_length : texts[t].itxt_length) = value.size();
  }

  const std::string tmp = temporary_path_for(path);
  FILE* f = std::fopen(tmp.c_str(), "wbx");  // x: never reuse an existing file
  if (f == nullptr)
    fail(ErrorCode::kIo, "cannot create " + quoted(tmp) + " (to write " + quoted(path) +
                             "): " + std::strerror(errno));
  ErrorSink sink{};
  errno = 0;
  const bool encoded = encode(f, image, info, texts.data(), static_cast<int>(texts.size()), &sink);
  const bool flushed = std::fflush(f) == 0 && std::ferror(f) == 0;
  const bool closed = std::fclose(f) == 0;
  const int err = errno;  // of the failed write, flush or close
  if (!encoded || !flushed || !closed) {
    std::remove(tmp.c_str());
    std::string why = !encoded ? std::string("libpng: ") + sink.message : "closing the file failed";
    if (err != 0) why += std::string(" (") + std::strerror(err) + ")";
    fail(ErrorCode::kIo, "cannot write " + quoted(path) + ": " + why);
  }
  commit_temporary(tmp, path);
}

}  // namespace efq::io
