// Fuzz target for the REST API's request handling: target parsing, authentication and the route
// table (api/rest_api), driven through RestApi::handle over an engine with one manual loop and
// no connections (so no state survives a run). Input: a flags byte, then "METHOD\nTARGET\n"
// and the body. Flags: bit 0 adds a bearer token signed for the target with the configured
// key, bit 1 instead adds one signed with a wrong key, bit 2 adds Content-Type
// application/json. Invariants:
//   - every request is answered exactly once, with a status the REST API documents;
//   - without a token made with the configured key, nothing but /api/health is ever 2xx;
//   - every error carries x-ms-error-code (401 carries WWW-Authenticate), JSON bodies parse;
//   - a client token from :generateToken verifies for its hub.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/rest_api.h"
#include "auth/jwt.h"
#include "common/strings.h"
#include "core/engine.h"
#include "core/request_token.h"
#include "fakes/fake_upstream_client.h"
#include "fakes/manual_event_loop.h"
#include "fuzz/fuzz_input.h"

namespace {

using wps::fuzz::check;
using wps::http::HttpResponse;

constexpr const char* kKey = "rest-fuzz-access-key-0123456789abcdefghij";
constexpr const char* kWrongKey = "rest-fuzz-wrong-key-0123456789abcdefghijk";
constexpr const char* kHost = "localhost:8080";

wps::config::ServerSettings makeSettings() {
  wps::config::ServerSettings s;
  s.accessKeys = {kKey};
  s.workers = 1;
  return s;
}

// One engine for the whole run; requests leave no state behind (there are no connections).
struct Fixture {
  wps::test::ManualEventLoop loop;
  wps::config::ServerSettings settings = makeSettings();
  wps::test::FakeUpstreamClient client{loop};
  wps::core::Engine engine{settings, {{&loop, &client}}};
  wps::api::RestApi api{engine};
};

std::string tokenFor(Fixture& f, std::string_view target, const char* key) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(f.loop.wallNow().time_since_epoch());
  std::string payload = "{\"aud\":";
  wps::appendJsonString(payload, "http://" + std::string(kHost) + std::string(target));
  payload += ",\"exp\":" + std::to_string(now.count() + 3600) + "}";
  return wps::auth::signJwt(payload, key);
}

bool documentedStatus(int s) {
  for (int ok : {200, 202, 204, 400, 401, 403, 404, 405, 409, 413, 415, 501}) {
    if (s == ok) return true;
  }
  return false;
}

bool isHealth(const wps::api::ParsedTarget& t) {
  const auto& s = t.segments;
  return t.valid && s.size() >= 2 && s.size() <= 3 && s[0] == "api" && s[1] == "health";
}

void checkGeneratedToken(Fixture& f, const wps::api::ParsedTarget& t, const HttpResponse& r) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.body, ec);
  check(!ec && v.is_object() && v.as_object().contains("token"));
  const auto& token = v.as_object().at("token").as_string();
  auto claims =
      wps::core::verifyRequestToken(f.settings, std::string_view(token.data(), token.size()),
                                    f.loop.wallNow(), "/client/hubs/" + t.segments[2], kHost);
  check(claims.isOk());
}

void checkResponse(Fixture& f, const wps::api::RestRequest& req, bool authorized,
                   const HttpResponse& r) {
  check(documentedStatus(r.status));
  wps::api::ParsedTarget t = wps::api::parseTarget(req.target);
  if (!authorized && !isHealth(t)) check(r.status == 400 || r.status == 401 || r.status == 404);
  if (r.status == 401) check(wps::http::findHeader(r.headers, "WWW-Authenticate").has_value());
  if (r.status >= 400 && r.status != 401) {
    check(wps::http::findHeader(r.headers, "x-ms-error-code").has_value());
  }
  auto type = wps::http::findHeader(r.headers, "Content-Type");
  if (type && wps::http::mediaType(*type) == "application/json" && !r.body.empty()) {
    boost::system::error_code ec;
    boost::json::parse(r.body, ec);
    check(!ec);
  }
  bool generate =
      req.method == "POST" && t.segments.size() == 4 && t.segments[3] == ":generateToken";
  if (r.status == 200 && generate) checkGeneratedToken(f, t, r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* f = new Fixture();  // never destroyed: libFuzzer exits without cleanup
  if (size == 0) return 0;
  uint8_t flags = data[0];
  wps::fuzz::LineReader in(data + 1, size - 1);
  wps::api::RestRequest req;
  req.method = std::string(in.line());
  req.target = std::string(in.line());
  req.body = std::string(in.rest());
  req.host = kHost;
  bool authorized = (flags & 1) && !(flags & 2);
  if (flags & 3) {
    req.headers.push_back(
        {"Authorization", "Bearer " + tokenFor(*f, req.target, (flags & 2) ? kWrongKey : kKey)});
  }
  if (flags & 4) req.headers.push_back({"Content-Type", "application/json"});
  int answers = 0;
  HttpResponse out;
  f->api.handle(req, [&](HttpResponse r) {
    ++answers;
    out = std::move(r);
  });
  f->loop.runPending();
  check(answers == 1);
  checkResponse(*f, req, authorized, out);
  check(f->client.count() == 0);  // the REST API never calls the upstream
  return 0;
}
