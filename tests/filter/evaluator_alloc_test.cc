// Fan-out evaluates a filter once per candidate connection, so the common filters must not
// allocate. This file replaces the global operator new/delete of the test binary with counting
// versions (counting only while a test enables it on its own thread).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <string>

#include "filter/fake_subject.h"
#include "filter/filter.h"

namespace {

thread_local bool gCounting = false;
thread_local size_t gAllocations = 0;

}  // namespace

void* operator new(std::size_t size) {
  if (gCounting) ++gAllocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace wps::filter {
namespace {

using testing::FakeSubject;

// Allocations made by one matches() call (after a warm-up call).
size_t allocationsOf(const Filter& filter, const FakeSubject& subject) {
  (void)filter.matches(subject);
  gAllocations = 0;
  gCounting = true;
  (void)filter.matches(subject);
  gCounting = false;
  return gAllocations;
}

TEST(EvaluatorAllocations, CommonFiltersDoNotAllocate) {
  // Long ids and literals, so small-string optimisation cannot hide an allocation.
  const std::string user = "a-rather-long-user-identifier-0001";
  const FakeSubject subject("a-rather-long-connection-identifier", user,
                            {"a-rather-long-group-name-1", "group2"}, "json.webpubsub.azure.v1");
  const FakeSubject anonymous("another-rather-long-connection-id", std::nullopt);
  for (const char* text : {
           "userId eq 'a-rather-long-user-identifier-0001'",
           "userId ne 'a-rather-long-user-identifier-0002' and connectionId ne 'x'",
           "userId eq null or userId eq 'b'",
           "userId in ('a-rather-long-user-identifier-0000', 'a-rather-long-user-identifier-0001')",
           "'a-rather-long-group-name-1' in groups or 'group3' in groups",
           "not('a-rather-long-group-name-1' in groups)",
           "startswith(userId, 'a-rather-long-') and endswith(connectionId, 'id')",
           "contains(userId, 'long') and indexof(userId, 'user') gt 3",
           "length(groups) gt 1 and length(userId) le 40",
           "trim(userId) eq 'a-rather-long-user-identifier-0001'",
           "protocol eq 'json.webpubsub.azure.v1' or protocol eq null",
           "userId eq 'x' or userId eq 'y' or userId eq 'z' or 'g' in groups",
       }) {
    StatusOr<Filter> f = Filter::parse(text);
    ASSERT_TRUE(f.isOk()) << text << " -> " << f.status().message();
    EXPECT_EQ(allocationsOf(*f, subject), 0u) << text;
    EXPECT_EQ(allocationsOf(*f, anonymous), 0u) << text;
  }
}

TEST(EvaluatorAllocations, CounterSeesStringFunctions) {
  // Guards the test itself: a function that builds a long string must be counted.
  StatusOr<Filter> f = Filter::parse("tolower(userId) eq 'x'");
  ASSERT_TRUE(f.isOk());
  EXPECT_GT(allocationsOf(*f, FakeSubject("c", "A-RATHER-LONG-USER-IDENTIFIER")), 0u);
}

}  // namespace
}  // namespace wps::filter
