/* The C tests' one assertion: counts failures and names the failed condition and the library's
 * last error; each test's main returns non-zero when `failures` is. */
#ifndef EFQ_TESTS_C_EXPECT_H
#define EFQ_TESTS_C_EXPECT_H

#include <stdio.h>

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

#endif
