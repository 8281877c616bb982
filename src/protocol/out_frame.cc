#include "protocol/out_frame.h"

namespace wps::protocol {

std::string OutFrame::flatten() const {
  std::string s;
  s.reserve(size());
  s.append(head());
  s.append(bodyView());
  s.append(tail());
  return s;
}

}  // namespace wps::protocol
