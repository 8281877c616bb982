#include "filter/filter.h"

#include <utility>

#include "filter/ast.h"
#include "filter/checker.h"
#include "filter/evaluator.h"
#include "filter/parser.h"

namespace wps::filter {

StatusOr<Filter> Filter::parse(std::string_view text) {
  if (text.empty()) return Filter();
  StatusOr<Program> program = parseProgram(text);
  if (!program) return program.status();
  if (Status checked = checkProgram(*program); !checked) return checked;
  return Filter(std::make_shared<const Program>(std::move(program).value()));
}

std::string_view Filter::text() const {
  return program_ ? std::string_view(program_->text) : std::string_view();
}

bool Filter::matches(const FilterSubject& subject) const {
  return program_ == nullptr || evaluate(*program_, subject);
}

}  // namespace wps::filter
