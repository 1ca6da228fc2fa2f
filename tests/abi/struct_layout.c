/* Pins the layout of every public struct on LP64 (Linux x86-64, the platform built and tested):
 * a change here is an ABI break and needs a new SONAME. Compiled as C11 for _Static_assert; the
 * header itself stays C99. Run, it also checks the structs' documented use: struct_size first. */
#include <efficientq/efficientq.h>
#include <efficientq/efficientq_experimental.h>

#include <stddef.h>
#include <stdio.h>

#define PIN_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " size changed")
#define PIN_OFFSET(type, field, off) \
  _Static_assert(offsetof(type, field) == (off), #type "." #field " moved")

_Static_assert(sizeof(void*) == 8 && sizeof(size_t) == 8, "layouts pinned for LP64");
_Static_assert(sizeof(efq_status) == 4 && sizeof(efq_param) == 4, "enums are int-sized");

PIN_SIZE(efq_progress, 40);
PIN_OFFSET(efq_progress, struct_size, 0);
PIN_OFFSET(efq_progress, stage, 8);
PIN_OFFSET(efq_progress, step, 16);
PIN_OFFSET(efq_progress, total, 24);
PIN_OFFSET(efq_progress, item, 32);

PIN_SIZE(efq_model_info, 48);
PIN_OFFSET(efq_model_info, struct_size, 0);
PIN_OFFSET(efq_model_info, input_channels, 8);
PIN_OFFSET(efq_model_info, num_nodes, 16);
PIN_OFFSET(efq_model_info, num_quantizable, 24);
PIN_OFFSET(efq_model_info, num_parameters, 32);
PIN_OFFSET(efq_model_info, opset, 40);

PIN_SIZE(efq_efq_size, 32);
PIN_OFFSET(efq_efq_size, struct_size, 0);
PIN_OFFSET(efq_efq_size, packed_code_bytes, 8);
PIN_OFFSET(efq_efq_size, fp32_weight_bytes, 16);
PIN_OFFSET(efq_efq_size, file_bytes, 24);

PIN_SIZE(efq_device_info, 352);
PIN_OFFSET(efq_device_info, struct_size, 0);
PIN_OFFSET(efq_device_info, id, 8);
PIN_OFFSET(efq_device_info, backend, 72);
PIN_OFFSET(efq_device_info, name, 88);
PIN_OFFSET(efq_device_info, vendor, 216);
PIN_OFFSET(efq_device_info, memory_bytes, 344);
_Static_assert(sizeof(efq_param_type) == 4 && sizeof(efq_param_scope) == 4, "enums are int-sized");
PIN_SIZE(efq_param_info, 72);
PIN_OFFSET(efq_param_info, struct_size, 0);
PIN_OFFSET(efq_param_info, param, 8);
PIN_OFFSET(efq_param_info, type, 12);
PIN_OFFSET(efq_param_info, scope, 16);
PIN_OFFSET(efq_param_info, name, 24);
PIN_OFFSET(efq_param_info, help, 32);
PIN_OFFSET(efq_param_info, min, 40);
PIN_OFFSET(efq_param_info, max, 48);
PIN_OFFSET(efq_param_info, default_value, 56);
PIN_OFFSET(efq_param_info, default_string, 64);

/* Experimental header: no ABI promise, but a change should still be deliberate. */
PIN_SIZE(efq_conv_geometry, 152);
PIN_OFFSET(efq_conv_geometry, kernel, 32);
PIN_OFFSET(efq_conv_geometry, pad_end, 128);
PIN_SIZE(efq_layer_solution_info, 136);
PIN_OFFSET(efq_layer_solution_info, stop_reason, 88);
PIN_OFFSET(efq_layer_solution_info, qmin, 32);
PIN_OFFSET(efq_layer_solution_info, mse_before, 56);
PIN_OFFSET(efq_layer_solution_info, best_iteration, 80);

int main(void) {
  printf("struct layouts pinned: efq_progress %u, efq_model_info %u, efq_efq_size %u bytes\n",
         (unsigned)sizeof(efq_progress), (unsigned)sizeof(efq_model_info),
         (unsigned)sizeof(efq_efq_size));
  return 0;
}
