#include "protocol/payload.h"

#include "common/strings.h"

namespace wps::protocol {

std::string_view dataTypeName(DataType type) {
  switch (type) {
    case DataType::kText:
      return "text";
    case DataType::kJson:
      return "json";
    case DataType::kBinary:
      return "binary";
    case DataType::kProtobuf:
      return "protobuf";
  }
  return "binary";
}

std::optional<DataType> parseDataType(std::string_view name) {
  if (iequals(name, "text")) return DataType::kText;
  if (iequals(name, "json")) return DataType::kJson;
  if (iequals(name, "binary")) return DataType::kBinary;
  if (iequals(name, "protobuf")) return DataType::kProtobuf;
  return std::nullopt;
}

}  // namespace wps::protocol
