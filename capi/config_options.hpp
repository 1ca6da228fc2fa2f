// A config (efq_config) turned into the options of the C++ core, through the parameter table.
#pragma once

#include <string>

#include "capi/handles.hpp"
#include "infer/conventions.hpp"
#include "quant/options.hpp"

namespace efq::capi {

/// The model's conventions overridden by the config's parameters (null config: the model's).
Conventions effective_conventions(const efq_model& m, const efq_config* cfg);
/// The quantizer's options: QuantOptions' defaults (QuantOptions::faithful() for the faithful
/// grid) overridden by the parameters set.
quant::QuantOptions quant_options(const efq_config* cfg);
int config_threads(const efq_config* cfg);
bool config_int8(const efq_config* cfg);
bool config_want_probabilities(const efq_config* cfg);
std::string config_device(const efq_config* cfg);
std::string config_split(const efq_config* cfg);

}  // namespace efq::capi
