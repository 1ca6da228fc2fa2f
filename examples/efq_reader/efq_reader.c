#include "efq_reader.h"

#include <stdio.h>
#include <string.h>

static uint32_t rd32(const unsigned char* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const unsigned char* p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static uint16_t rd16(const unsigned char* p) { return (uint16_t)(p[0] | p[1] << 8); }

uint32_t efqr_crc32(const unsigned char* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  size_t i;
  int k;
  for (i = 0; i < n; ++i) {
    c ^= p[i];
    for (k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

int efqr_open(const unsigned char* f, size_t size, const unsigned char** graph, uint64_t* gsize,
              char msg[128]) {
  uint64_t psize;
  if (size < 20 || memcmp(f, "EFQ1", 4) != 0) {
    snprintf(msg, 128, "not an .efq file");
    return -1;
  }
  if (rd32(f + 4) != 1) {
    snprintf(msg, 128, "unsupported version %u", (unsigned)rd32(f + 4));
    return -2;
  }
  psize = rd64(f + 8);
  if (psize != size - 20) {
    snprintf(msg, 128, "payload size mismatch (truncated?)");
    return -3;
  }
  if (efqr_crc32(f + 16, (size_t)psize) != rd32(f + 16 + psize)) {
    snprintf(msg, 128, "checksum mismatch");
    return -4;
  }
  if (psize < 12 || rd32(f + 16) != 1) {
    snprintf(msg, 128, "the first section is not the graph");
    return -5;
  }
  *gsize = rd64(f + 20);
  if (*gsize > psize - 12) {
    snprintf(msg, 128, "graph section overruns the payload");
    return -6;
  }
  *graph = f + 28;
  return 0;
}

static int copy_name(const unsigned char** p, const unsigned char* end, char out[256]) {
  uint16_t n;
  if (end - *p < 2) return -1;
  n = rd16(*p);
  *p += 2;
  if (n > 255 || end - *p < n) return -1;
  memcpy(out, *p, n);
  out[n] = 0;
  *p += n;
  return 0;
}

int efqr_layer_at(const unsigned char* f, size_t size, unsigned index, efqr_layer* L, char msg[128]) {
  const unsigned char* p = f + 16;
  const unsigned char* end = f + size - 4;
  unsigned seen = 0;
  uint32_t d;
  while (end - p >= 12) {
    uint32_t type = rd32(p);
    uint64_t len = rd64(p + 4);
    const unsigned char* s = p + 12;
    const unsigned char* se;
    if ((uint64_t)(end - s) < len) {
      snprintf(msg, 128, "section overruns the file");
      return -1;
    }
    se = s + len;
    p = se;
    if (type != 2 || seen++ != index) continue;
    if (copy_name(&s, se, L->node) || copy_name(&s, se, L->weight) || se - s < 20) goto bad;
    L->bits = s[0];
    L->grid = s[1];
    L->axis = s[2];
    L->qmin = (int32_t)rd32(s + 4);
    L->qstep = (int32_t)rd32(s + 8);
    L->qmax = (int32_t)rd32(s + 12);
    L->rank = rd32(s + 16);
    s += 20;
    if (L->bits < 1 || L->bits > 16 || L->rank > 8 || (size_t)(se - s) < 8u * L->rank + 4) goto bad;
    for (d = 0; d < L->rank; ++d) L->shape[d] = (int64_t)rd64(s + 8 * d);
    s += 8 * L->rank;
    L->num_scales = rd32(s);
    s += 4;
    if ((uint64_t)(se - s) < 12ull * L->num_scales + 8) goto bad;
    L->scales = s;
    L->zero_points = s + 8 * L->num_scales;
    s += 12 * L->num_scales;
    L->num_codes = rd64(s);
    s += 8;
    if ((uint64_t)(se - s) < (L->num_codes * (uint64_t)L->bits + 7) / 8) goto bad;
    L->packed = s;
    return 0;
  }
  return 1;
bad:
  snprintf(msg, 128, "layer section %u is malformed", index);
  return -2;
}

int64_t efqr_code(const efqr_layer* L, uint64_t k) {
  int64_t u = 0;
  int b;
  for (b = 0; b < L->bits; ++b) {
    uint64_t at = k * (uint64_t)L->bits + (uint64_t)b;
    u |= (int64_t)((L->packed[at / 8] >> (at % 8)) & 1) << b;
  }
  return L->qmin + u * L->qstep;
}

float efqr_weight(const efqr_layer* L, uint64_t k) {
  uint64_t inner = 1, c = 0, ch;
  double scale;
  int32_t zp;
  uint32_t d;
  uint64_t bits;
  for (d = (uint32_t)L->axis + 1; d < L->rank; ++d) inner *= (uint64_t)L->shape[d];
  ch = (uint64_t)L->shape[L->axis];
  if (L->num_scales > 1) c = (k / inner) % ch;
  bits = rd64(L->scales + 8 * c);
  memcpy(&scale, &bits, 8);
  zp = (int32_t)rd32(L->zero_points + 4 * c);
  return (float)(efqr_code(L, k) - zp) * (float)scale;
}
