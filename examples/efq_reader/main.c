/* efq_reader FILE.efq: checks an .efq file and prints each quantized layer (C99 only). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "efq_reader.h"

int main(int argc, char** argv) {
  FILE* fp;
  long n;
  unsigned char* buf;
  const unsigned char* graph;
  uint64_t gsize, k, total_codes = 0, packed_bytes = 0;
  char msg[128];
  unsigned i;
  efqr_layer L;
  int r;
  if (argc != 2) {
    fprintf(stderr, "usage: efq_reader FILE.efq\n");
    return 2;
  }
  fp = fopen(argv[1], "rb");
  if (!fp) {
    fprintf(stderr, "efq_reader: cannot open %s\n", argv[1]);
    return 1;
  }
  fseek(fp, 0, SEEK_END);
  n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  buf = (unsigned char*)malloc(n > 0 ? (size_t)n : 1);
  if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
    fprintf(stderr, "efq_reader: read error\n");
    return 1;
  }
  fclose(fp);
  if (efqr_open(buf, (size_t)n, &graph, &gsize, msg) != 0) {
    fprintf(stderr, "efq_reader: %s: %s\n", argv[1], msg);
    return 1;
  }
  printf("graph %llu bytes\n", (unsigned long long)gsize);
  for (i = 0; (r = efqr_layer_at(buf, (size_t)n, i, &L, msg)) == 0; ++i) {
    static unsigned char seen[65536]; /* codes are within 16 bits */
    int64_t lo = 0, hi = 0, sum = 0, distinct = 0;
    memset(seen, 0, sizeof seen);
    for (k = 0; k < L.num_codes; ++k) {
      int64_t c = efqr_code(&L, k);
      unsigned idx = (unsigned)((c + 32768) & 0xffff);
      if (k == 0 || c < lo) lo = c;
      if (k == 0 || c > hi) hi = c;
      sum += c;
      if (!seen[idx]) {
        seen[idx] = 1;
        ++distinct;
      }
    }
    total_codes += L.num_codes;
    packed_bytes += (L.num_codes * (uint64_t)L.bits + 7) / 8;
    printf("layer %s bits %d scales %u codes %llu min %lld max %lld sum %lld distinct %lld\n", L.node,
           L.bits, L.num_scales, (unsigned long long)L.num_codes, (long long)lo, (long long)hi,
           (long long)sum, (long long)distinct);
  }
  if (r < 0) {
    fprintf(stderr, "efq_reader: %s\n", msg);
    return 1;
  }
  printf("%u layers, %llu codes in %llu packed bytes\n", i, (unsigned long long)total_codes,
         (unsigned long long)packed_bytes);
  free(buf);
  return 0;
}
