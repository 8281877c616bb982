// A data message on its way to many receivers. Immutable after construction; its encodings
// (raw bytes for simple clients, the JSON body, the protobuf body) are produced lazily, at most
// once each, and shared by every receiver on every worker. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <optional>

#include "protocol/client_kind.h"
#include "protocol/frames.h"
#include "protocol/service_messages.h"

namespace wps::core {

class OutboundMessage {
 public:
  explicit OutboundMessage(protocol::DataMessage message, bool jsonAsTextForProtobuf = false,
                           TimePoint deadline = TimePoint::max())
      : message_(std::move(message)), jsonAsText_(jsonAsTextForProtobuf), deadline_(deadline) {}

  // `deadline`: the message's TTL deadline (core/message_ttl.h), TimePoint::max() = none.
  static std::shared_ptr<const OutboundMessage> make(protocol::DataMessage message,
                                                     TimePoint deadline = TimePoint::max()) {
    return std::make_shared<const OutboundMessage>(std::move(message), false, deadline);
  }

  const protocol::DataMessage& message() const { return message_; }
  // Every receiver's frame carries it as OutFrame::expiresAt.
  TimePoint deadline() const { return deadline_; }

  // The frame for one receiver of `kind`; `sequenceId` only for reliable receivers. The frame
  // expires at deadline().
  protocol::OutFrame frameFor(protocol::ClientKind kind, std::optional<uint64_t> sequenceId) const;

 private:
  protocol::OutFrame encodedFrameFor(protocol::ClientKind kind,
                                     std::optional<uint64_t> sequenceId) const;
  const protocol::SharedBytes& raw() const;
  const protocol::SharedBytes& json() const;
  const protocol::SharedBytes& protobuf() const;

  protocol::DataMessage message_;
  bool jsonAsText_;
  TimePoint deadline_;
  mutable std::once_flag rawOnce_, jsonOnce_, protobufOnce_;
  mutable protocol::SharedBytes raw_, json_, protobuf_;
};

using OutboundMessagePtr = std::shared_ptr<const OutboundMessage>;

}  // namespace wps::core
