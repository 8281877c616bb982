// The stable close-reason labels (core/close_reasons.h).
#include "core/close_reasons.h"

#include <gtest/gtest.h>

#include "common/errors.h"

namespace wps::core {
namespace {

using metrics::CloseReason;

TEST(CloseReasons, CatalogueReasonsByTextAndTransportErrorsByCode) {
  EXPECT_EQ(closeReasonOf(1001, errors::kServerShutdown.reason), CloseReason::kShutdown);
  EXPECT_EQ(closeReasonOf(1001, errors::kIdleTimeout.reason), CloseReason::kIdleTimeout);
  EXPECT_EQ(closeReasonOf(1007, errors::kInvalidProtobufMessage.reason),
            CloseReason::kInvalidMessage);
  EXPECT_EQ(closeReasonOf(1008, errors::kOutboundQueueFull.reason),
            CloseReason::kOutboundQueueFull);
  EXPECT_EQ(closeReasonOf(1011, errors::kUpstreamFailed.reason), CloseReason::kUpstreamFailed);
  EXPECT_EQ(closeReasonOf(1000, ""), CloseReason::kAppServer);
  EXPECT_EQ(closeReasonOf(1002, "Reserved bits are set."), CloseReason::kInvalidFrame);
  EXPECT_EQ(closeReasonOf(1009, "Message too big."), CloseReason::kMessageTooLarge);
  EXPECT_EQ(closeReasonOf(1008, "Something else."), CloseReason::kOther);
  // The text alone does not decide: the code must match too.
  EXPECT_EQ(closeReasonOf(1011, errors::kOutboundQueueFull.reason), CloseReason::kOther);
  EXPECT_EQ(metrics::closeCodeOf(CloseReason::kTooManyMessages), 1008);
  EXPECT_EQ(metrics::otherCloseCodeIndex(4000), metrics::kOtherCloseCodes - 1);
}

}  // namespace
}  // namespace wps::core
