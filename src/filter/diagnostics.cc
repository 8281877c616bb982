#include "filter/diagnostics.h"

namespace wps::filter {

Status filterError(std::string_view subject, std::string_view detail) {
  std::string message;
  message.reserve(subject.size() + detail.size() + 48);
  message.append("Invalid syntax for '").append(subject).append("': ").append(detail);
  message.append(" (Parameter 'filter')");
  return invalidArgument(std::move(message));
}

std::string typeMismatch(std::string_view actual, std::string_view expected) {
  std::string s = "Type '";
  s.append(actual).append("', expect '").append(expected).append("'.");
  return s;
}

std::string notSupported(std::string_view token) {
  std::string s = "Token '";
  s.append(token).append("' is not supported.");
  return s;
}

std::string invalidToken(std::string_view token) {
  std::string s = "Invalid token '";
  s.append(token).append("'.");
  return s;
}

}  // namespace wps::filter
