/* A minimal reader of the .efq packed model format (docs/efq-format.md) in C99, with no C++ and
 * no dependency beyond the C library: proof that firmware toolchains can consume the format.
 * It checks the header and CRC-32 and decodes each quantized layer's bit-packed codes. */
#ifndef EFQ_READER_H
#define EFQ_READER_H

#include <stddef.h>
#include <stdint.h>

typedef struct efqr_layer {
  char node[256];
  char weight[256];
  int bits, grid, axis;
  int32_t qmin, qstep, qmax;
  uint32_t rank;
  int64_t shape[8];
  uint32_t num_scales;
  const unsigned char* scales;      /* num_scales little-endian f64, unaligned */
  const unsigned char* zero_points; /* num_scales little-endian i32, unaligned */
  uint64_t num_codes;
  const unsigned char* packed;      /* ceil(num_codes*bits/8) bytes */
} efqr_layer;

/* Checks magic, version, sizes and CRC of a whole file held in memory; on success sets the
 * graph section (an ONNX ModelProto) and returns 0, else returns a negative error and fills msg. */
int efqr_open(const unsigned char* file, size_t size, const unsigned char** graph,
              uint64_t* graph_size, char msg[128]);
/* Iterates the LAYER sections: fills *layer for the index-th one; returns 0, or 1 past the end,
 * or a negative error. */
int efqr_layer_at(const unsigned char* file, size_t size, unsigned index, efqr_layer* layer,
                  char msg[128]);
/* The k-th integer code of a layer. */
int64_t efqr_code(const efqr_layer* layer, uint64_t k);
/* The k-th dequantized weight, exactly as the library stores it. */
float efqr_weight(const efqr_layer* layer, uint64_t k);
uint32_t efqr_crc32(const unsigned char* p, size_t n);

#endif
