/* efq_render_overlay_png_scaled from C99 on the real brain case (Colin27 and its label map):
 * scale 1 writes the bytes efq_render_overlay_png writes; scale N gives an N-times wider and
 * taller PNG whose every pixel is the scale-1 picture's pixel (r / N, c / N), decoded here with
 * zlib alone; scales outside 1..16 fail before anything is read and leave no file.
 * usage: test_overlay_scaled SOURCE_DIR BUILD_TESTS_DIR */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "expect.h"

typedef struct picture {
  uint32_t width, height;
  unsigned char* rgb; /* height * width * 3 */
} picture;

static uint32_t be32(const unsigned char* p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static int paeth(int a, int b, int c) {
  int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
  return pa <= pb && pa <= pc ? a : (pb <= pc ? b : c);
}

/* An 8-bit RGB, non-interlaced PNG (what the library writes); 0 on success. */
static int decode_png(const char* path, picture* out) {
  long size = 0, pos = 8;
  unsigned char* data = read_file(path, &size);
  unsigned char *idat = NULL, *raw = NULL;
  size_t idat_len = 0;
  uLongf raw_len;
  uint32_t r, x, stride;
  int ok = 0;
  memset(out, 0, sizeof *out);
  if (!data || size < 8 || memcmp(data, "\x89PNG\r\n\x1a\n", 8) != 0) goto done;
  while (pos + 12 <= size) {
    uint32_t n = be32(data + pos);
    const unsigned char* body = data + pos + 8;
    if (memcmp(data + pos + 4, "IHDR", 4) == 0) {
      out->width = be32(body);
      out->height = be32(body + 4);
      if (body[8] != 8 || body[9] != 2 || body[12] != 0) goto done;
    } else if (memcmp(data + pos + 4, "IDAT", 4) == 0) {
      idat = (unsigned char*)realloc(idat, idat_len + n);
      memcpy(idat + idat_len, body, n);
      idat_len += n;
    }
    pos += 12 + (long)n;
  }
  stride = 3 * out->width;
  raw_len = (uLongf)out->height * (stride + 1);
  raw = (unsigned char*)malloc(raw_len);
  out->rgb = (unsigned char*)malloc((size_t)out->height * stride);
  if (!raw || !out->rgb || uncompress(raw, &raw_len, idat, idat_len) != Z_OK) goto done;
  for (r = 0; r < out->height; ++r) {
    const unsigned char* in = raw + (size_t)r * (stride + 1);
    unsigned char* cur = out->rgb + (size_t)r * stride;
    const unsigned char* prev = r > 0 ? cur - stride : NULL;
    for (x = 0; x < stride; ++x) {
      int a = x >= 3 ? cur[x - 3] : 0, b = prev ? prev[x] : 0, c = (prev && x >= 3) ? prev[x - 3] : 0;
      int pred = in[0] == 0 ? 0 : in[0] == 1 ? a : in[0] == 2 ? b : in[0] == 3 ? (a + b) / 2 : paeth(a, b, c);
      cur[x] = (unsigned char)(in[1 + x] + pred);
    }
  }
  ok = 1;
done:
  free(data);
  free(idat);
  free(raw);
  return ok ? 0 : 1;
}

static int same_file(const char* a, const char* b) {
  long na = 0, nb = 0;
  unsigned char* da = read_file(a, &na);
  unsigned char* db = read_file(b, &nb);
  int same = da && db && na == nb && memcmp(da, db, (size_t)na) == 0;
  free(da);
  free(db);
  return same;
}

int main(int argc, char** argv) {
  char image[1200], seg[1200], plain[1200], one[1200], scaled[1200], bad[1200];
  picture p1, pn;
  const int64_t n = 3;
  int64_t slice_plain = -1, slice_one = -2, slice_n = -3;
  uint32_t r, c;
  long mismatches = 0;
  FILE* f;
  if (argc < 3) return 2;
  snprintf(image, sizeof image, "%s/tests/data/brain/imagesTs/colin_ch2_0000.nii.gz", argv[1]);
  snprintf(seg, sizeof seg, "%s/tests/data/brain/labelsTs/colin_ch2.nii.gz", argv[1]);
  snprintf(plain, sizeof plain, "%s/overlay_plain.png", argv[2]);
  snprintf(one, sizeof one, "%s/overlay_scale1.png", argv[2]);
  snprintf(scaled, sizeof scaled, "%s/overlay_scale3.png", argv[2]);
  snprintf(bad, sizeof bad, "%s/overlay_bad_scale.png", argv[2]);
  remove(bad);

  /* Scale 1 is the unscaled function, byte for byte. */
  EXPECT(efq_render_overlay_png(NULL, image, seg, NULL, EFQ_PLANE_CORONAL, -1, plain,
                                &slice_plain) == EFQ_OK);
  EXPECT(efq_render_overlay_png_scaled(NULL, image, seg, NULL, EFQ_PLANE_CORONAL, -1, 1, one,
                                       &slice_one) == EFQ_OK);
  EXPECT(slice_one == slice_plain);
  EXPECT(same_file(plain, one));

  /* Scale 3: three times the size, each pixel replicated. */
  EXPECT(efq_render_overlay_png_scaled(NULL, image, seg, seg, EFQ_PLANE_CORONAL, -1, n, scaled,
                                       &slice_n) == EFQ_OK);
  EXPECT(slice_n == slice_plain);
  /* The comparison map equal to SEG draws both contours in one colour: another picture than
   * `one`; redraw the scale-1 reference with the same arguments. */
  EXPECT(efq_render_overlay_png_scaled(NULL, image, seg, seg, EFQ_PLANE_CORONAL, -1, 1, one,
                                       NULL) == EFQ_OK);
  EXPECT(decode_png(one, &p1) == 0);
  EXPECT(decode_png(scaled, &pn) == 0);
  printf("scale 1: %ux%u, scale %d: %ux%u, coronal slice %d\n", (unsigned)p1.width,
         (unsigned)p1.height, (int)n, (unsigned)pn.width, (unsigned)pn.height, (int)slice_n);
  EXPECT(p1.width == 181 && p1.height == 181); /* Colin27 1 mm: 181 (i) x 181 (k) per coronal slice */
  EXPECT(pn.width == n * p1.width && pn.height == n * p1.height);
  if (p1.rgb && pn.rgb && pn.width == n * p1.width && pn.height == n * p1.height) {
    for (r = 0; r < pn.height; ++r)
      for (c = 0; c < pn.width; ++c)
        if (memcmp(pn.rgb + 3 * ((size_t)r * pn.width + c),
                   p1.rgb + 3 * ((size_t)(r / n) * p1.width + c / n), 3) != 0)
          ++mismatches;
    EXPECT(mismatches == 0);
    /* Not a blank picture: some pixels are contour colours (R != G). */
    for (r = 0, c = 0; r < (uint32_t)(p1.width * p1.height); ++r)
      c += p1.rgb[3 * r] != p1.rgb[3 * r + 1] ? 1 : 0;
    EXPECT(c > 100);
  }
  free(p1.rgb);
  free(pn.rgb);

  /* Out of range: refused before reading (a missing image is not even noticed), no file. */
  EXPECT(efq_render_overlay_png_scaled(NULL, "/nonexistent.nii", seg, NULL, EFQ_PLANE_AXIAL, -1,
                                       0, bad, NULL) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(strstr(efq_last_error_message(), "scale 0") != NULL);
  EXPECT(efq_render_overlay_png_scaled(NULL, image, seg, NULL, EFQ_PLANE_AXIAL, -1, 17, bad,
                                       NULL) == EFQ_ERR_INVALID_ARGUMENT);
  EXPECT(strstr(efq_last_error_message(), "[1, 16]") != NULL);
  f = fopen(bad, "rb");
  EXPECT(f == NULL);
  if (f) fclose(f);
  if (failures == 0) printf("test_overlay_scaled passed\n");
  return failures ? 1 : 0;
}
