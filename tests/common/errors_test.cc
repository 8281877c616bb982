#include "common/errors.h"

#include <gtest/gtest.h>

namespace wps::errors {
namespace {

TEST(Errors, AppServerClosedMessage) {
  EXPECT_EQ(appServerClosedMessage(""), "Application server closed the connection.");
  EXPECT_EQ(appServerClosedMessage("kick"),
            "Application server closed the connection. Reason: kick");
}

TEST(Errors, TruncateCloseReasonKeepsUtf8Whole) {
  std::string s(122, 'a');
  s += "\xC3\xA4";  // 124 bytes; the last character would be split at 123
  EXPECT_EQ(truncateCloseReason(s).size(), 122u);
  EXPECT_EQ(truncateCloseReason("short"), "short");
}

TEST(Errors, AckMessages) {
  EXPECT_EQ(duplicateAckMessage(5), "Message with ack-id: 5 has been processed");
  EXPECT_EQ(forbiddenGroupMessage("join", "g"),
            "The client does not have permission to join group 'g'.");
}

}  // namespace
}  // namespace wps::errors
