#include "protocol/data_type.h"

#include <gtest/gtest.h>

#include "protocol/payload.h"

namespace wps::protocol {
namespace {

TEST(DataType, NamesAndTheirInverse) {
  static_assert(dataTypeName(DataType::kProtobuf) == "protobuf");  // usable at compile time
  EXPECT_EQ(dataTypeName(DataType::kText), "text");
  EXPECT_EQ(dataTypeName(DataType::kJson), "json");
  EXPECT_EQ(dataTypeName(DataType::kBinary), "binary");
  EXPECT_EQ(dataTypeName(static_cast<DataType>(9)), "binary");
  for (DataType t : {DataType::kText, DataType::kJson, DataType::kBinary, DataType::kProtobuf}) {
    EXPECT_EQ(parseDataType(dataTypeName(t)), t);
  }
  EXPECT_EQ(parseDataType("JSON"), DataType::kJson);
  EXPECT_EQ(parseDataType("ProtoBuf"), DataType::kProtobuf);
  EXPECT_FALSE(parseDataType("xml"));
  EXPECT_FALSE(parseDataType(""));
}

}  // namespace
}  // namespace wps::protocol
