/* The C tests' one assertion: counts failures and names the failed condition and the library's
 * last error; each test's main returns non-zero when `failures` is. */
#ifndef EFQ_TESTS_C_EXPECT_H
#define EFQ_TESTS_C_EXPECT_H

#include <stdio.h>
#include <stdlib.h>

#include "efficientq/efficientq.h"

static int failures = 0;
#define EXPECT(cond)                                                    \
  do {                                                                  \
    if (!(cond)) {                                                      \
      fprintf(stderr, "%s:%d: FAILED: %s (%s)\n", __FILE__, __LINE__,    \
              #cond, efq_last_error_message());                         \
      ++failures;                                                       \
    }                                                                   \
  } while (0)

/* The whole file as a malloc'd buffer (its size in *size); NULL when unreadable. */
static inline unsigned char* read_file(const char* path, long* size) {
  FILE* f = fopen(path, "rb");
  unsigned char* data;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *size = ftell(f);
  fseek(f, 0, SEEK_SET);
  data = (unsigned char*)malloc((size_t)*size + 1);
  if (data && fread(data, 1, (size_t)*size, f) != (size_t)*size) {
    free(data);
    data = NULL;
  }
  fclose(f);
  return data;
}

#endif
