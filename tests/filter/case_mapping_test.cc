#include "filter/case_mapping.h"

#include <gtest/gtest.h>

namespace wps::filter {
namespace {

TEST(CaseMapping, Ascii) {
  EXPECT_EQ(toLowerInvariant("User1-ABC_z"), "user1-abc_z");
  EXPECT_EQ(toUpperInvariant("User1-abc_Z"), "USER1-ABC_Z");
  EXPECT_EQ(toLowerInvariant(""), "");
}

TEST(CaseMapping, CodePoints) {
  EXPECT_EQ(toLowerCodePoint(0xC4), 0xE4u);  // Ä
  EXPECT_EQ(toUpperCodePoint(0xE4), 0xC4u);
  EXPECT_EQ(toLowerCodePoint(0x100), 0x101u);  // Ā (a stride-2 range)
  EXPECT_EQ(toLowerCodePoint(0x101), 0x101u);
  EXPECT_EQ(toUpperCodePoint(0x101), 0x100u);
  EXPECT_EQ(toLowerCodePoint(0x178), 0xFFu);       // Ÿ
  EXPECT_EQ(toLowerCodePoint(0x3A3), 0x3C3u);      // Σ
  EXPECT_EQ(toLowerCodePoint(0x410), 0x430u);      // А
  EXPECT_EQ(toLowerCodePoint(0x10400), 0x10428u);  // Deseret
  EXPECT_EQ(toUpperCodePoint(0xDF), 0xDFu);        // ß has no simple upper case
  EXPECT_EQ(toLowerCodePoint(0x4E2D), 0x4E2Du);    // CJK
  EXPECT_EQ(toLowerCodePoint(0x10FFFF), 0x10FFFFu);
  // .NET invariant exceptions.
  EXPECT_EQ(toLowerCodePoint(0x130), 0x130u);
  EXPECT_EQ(toUpperCodePoint(0x131), 0x131u);
  EXPECT_EQ(toUpperCodePoint(0x69), 0x49u);
}

TEST(CaseMapping, Text) {
  EXPECT_EQ(toLowerInvariant("\xC3\x84\xCE\xA3X"), "\xC3\xA4\xCF\x83x");  // ÄΣX
  EXPECT_EQ(toUpperInvariant("stra\xC3\x9F"
                             "e"),
            "STRA\xC3\x9F"
            "E");  // ß stays
  EXPECT_EQ(toLowerInvariant("a\xFF"
                             "B"),
            "a\xFF"
            "b");  // malformed kept
}

}  // namespace
}  // namespace wps::filter
