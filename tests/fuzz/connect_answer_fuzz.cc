// Fuzz target for the interpretation of the upstream's answer to a `connect` event
// (upstream/connect_event). Input: see fuzz::responseFromInput (status byte, header lines,
// empty line, body). Invariants:
//   - errors are kInvalidArgument, and a bad ce-connectionState alone makes the answer fail;
//   - an accepted connection state is ASCII, within the limit, and the last header's value;
//   - accepted groups are valid group names, an accepted subprotocol is not empty;
//   - the decision, written back as a JSON answer, is read back as the same decision.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/strings.h"
#include "fuzz/fuzz_input.h"
#include "protocol/names.h"
#include "upstream/connect_event.h"

namespace {

using wps::fuzz::check;
using wps::upstream::ConnectDecision;

constexpr size_t kMaxStateBytes = 64;

boost::json::array toArray(const std::vector<std::string>& items) {
  boost::json::array out;
  for (const auto& s : items)
    out.emplace_back(s);
  return out;
}

// The decision as the JSON answer that produces it.
std::string answerFor(const ConnectDecision& d) {
  boost::json::object o;
  if (d.userId) o["userId"] = *d.userId;
  if (d.roles) o["roles"] = toArray(*d.roles);
  if (!d.groups.empty()) o["groups"] = toArray(d.groups);
  if (d.subprotocol) o["subprotocol"] = *d.subprotocol;
  return boost::json::serialize(o);
}

bool sameDecision(const ConnectDecision& a, const ConnectDecision& b) {
  return a.userId == b.userId && a.roles == b.roles && a.groups == b.groups &&
         a.subprotocol == b.subprotocol && a.connectionState == b.connectionState;
}

void checkDecision(const wps::http::HttpResponse& response, const ConnectDecision& d) {
  auto last = wps::http::findLastHeader(response.headers, "ce-connectionState");
  check(d.connectionState.has_value() == last.has_value());
  if (d.connectionState) {
    check(*d.connectionState == *last);
    check(wps::isAscii(*d.connectionState) && d.connectionState->size() <= kMaxStateBytes);
  }
  for (const auto& g : d.groups)
    check(wps::protocol::isValidGroupName(g));
  if (d.subprotocol) check(!d.subprotocol->empty());
  wps::http::HttpResponse again = response;
  again.body = answerFor(d);
  auto reread = wps::upstream::parseConnectAnswer(again, kMaxStateBytes);
  check(reread.isOk() && sameDecision(*reread, d));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wps::http::HttpResponse response = wps::fuzz::responseFromInput(data, size);
  auto decision = wps::upstream::parseConnectAnswer(response, kMaxStateBytes);
  auto state = wps::upstream::connectionStateUpdate(response, kMaxStateBytes);
  if (!state) check(!decision);
  if (!decision) {
    check(decision.status().code() == wps::StatusCode::kInvalidArgument);
    return 0;
  }
  check(state.isOk() && *state == decision->connectionState);
  checkDecision(response, *decision);
  return 0;
}
