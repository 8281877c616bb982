#include "protocol/payload.h"

#include "common/strings.h"

namespace wps::protocol {

std::optional<DataType> parseDataType(std::string_view name) {
  for (size_t i = 0; i < kDataTypeNames.size(); ++i) {
    if (iequals(name, kDataTypeNames[i])) return static_cast<DataType>(i);
  }
  return std::nullopt;
}

}  // namespace wps::protocol
