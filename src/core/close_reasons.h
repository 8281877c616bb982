// The stable label (metrics::CloseReason) of a close the server starts, from the close code and
// reason it sends: the reasons of the catalogue (common/errors.h) by their text, the transport's
// protocol violations by their code. Pure.
#pragma once

#include <cstdint>
#include <string_view>

#include "metrics/reasons.h"

namespace wps::core {

metrics::CloseReason closeReasonOf(uint16_t code, std::string_view reason);

}  // namespace wps::core
