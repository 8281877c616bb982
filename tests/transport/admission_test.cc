#include "transport/admission.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>
#include <thread>
#include <vector>

namespace wps::transport {
namespace {

using boost::asio::ip::make_address;
using Verdict = Admission::Verdict;

TEST(AdmissionTest, TheNodeLimitRefusesBeyondItAndAReleasedPlaceIsReusable) {
  Admission admission(2, 0);
  Admission::Ticket a, b, c;
  EXPECT_EQ(admission.admit(make_address("127.0.0.1"), &a), Verdict::kAdmitted);
  EXPECT_EQ(admission.admit(make_address("10.0.0.1"), &b), Verdict::kAdmitted);
  EXPECT_EQ(admission.admit(make_address("10.0.0.2"), &c), Verdict::kServerFull);
  EXPECT_FALSE(c.valid());
  EXPECT_EQ(admission.connections(), 2u);
  a.release();
  a.release();  // idempotent
  EXPECT_EQ(admission.connections(), 1u);
  EXPECT_EQ(admission.admit(make_address("10.0.0.2"), &c), Verdict::kAdmitted);
  EXPECT_EQ(admission.connections(), 2u);
}

TEST(AdmissionTest, ThePerAddressLimitCountsIpv4AndItsMappedIpv6FormAsOneHost) {
  Admission admission(100, 2);
  Admission::Ticket a, b, c, other;
  EXPECT_EQ(admission.admit(make_address("192.0.2.7"), &a), Verdict::kAdmitted);
  EXPECT_EQ(admission.admit(make_address("::ffff:192.0.2.7"), &b), Verdict::kAdmitted);
  EXPECT_EQ(admission.admit(make_address("192.0.2.7"), &c), Verdict::kTooManyFromAddress);
  EXPECT_EQ(admission.connectionsFrom(make_address("::ffff:192.0.2.7")), 2u);
  EXPECT_EQ(admission.admit(make_address("192.0.2.8"), &other), Verdict::kAdmitted);
  EXPECT_EQ(admission.admit(make_address("2001:db8::1"), &c), Verdict::kAdmitted);
  EXPECT_EQ(admission.connections(), 4u);  // a refusal holds no place
  b = Admission::Ticket();                 // assigning over a ticket releases it
  EXPECT_EQ(admission.connectionsFrom(make_address("192.0.2.7")), 1u);
  EXPECT_EQ(admission.admit(make_address("192.0.2.7"), &b), Verdict::kAdmitted);
}

TEST(AdmissionTest, NewLimitsApplyToLaterAdmissionsAndAdmittedClientsStay) {
  Admission admission(3, 0);
  Admission::Ticket a, b, c, d;
  EXPECT_EQ(admission.admit(make_address("10.0.0.1"), &a), Verdict::kAdmitted);
  EXPECT_EQ(admission.admit(make_address("10.0.0.1"), &b), Verdict::kAdmitted);
  admission.setLimits(1, 0);  // a reload lowers the node limit below the clients it holds
  EXPECT_TRUE(a.valid() && b.valid());
  EXPECT_EQ(admission.admit(make_address("10.0.0.2"), &c), Verdict::kServerFull);
  a.release();
  b.release();
  admission.setLimits(10, 1);  // and turns per-address counting on
  EXPECT_EQ(admission.admit(make_address("10.0.0.3"), &c), Verdict::kAdmitted);
  EXPECT_EQ(admission.admit(make_address("10.0.0.3"), &d), Verdict::kTooManyFromAddress);
  EXPECT_EQ(admission.connectionsFrom(make_address("10.0.0.3")), 1u);
}

TEST(AdmissionTest, AMovedTicketIsReleasedOnceAndMayOutliveItsAdmission) {
  Admission::Ticket kept;
  {
    Admission admission(10, 1);
    Admission::Ticket t;
    ASSERT_EQ(admission.admit(make_address("127.0.0.1"), &t), Verdict::kAdmitted);
    Admission::Ticket moved(std::move(t));
    EXPECT_FALSE(t.valid());
    EXPECT_EQ(admission.connections(), 1u);
    moved = Admission::Ticket();
    EXPECT_EQ(admission.connections(), 0u);
    EXPECT_EQ(admission.connectionsFrom(make_address("127.0.0.1")), 0u);
    ASSERT_EQ(admission.admit(make_address("127.0.0.1"), &kept), Verdict::kAdmitted);
  }
  kept.release();  // the shared counts are still alive
  EXPECT_FALSE(kept.valid());
}

TEST(AdmissionTest, ConcurrentAdmissionsNeverExceedTheLimit) {
  Admission admission(1000, 0);
  std::vector<std::vector<Admission::Ticket>> held(4);
  std::vector<std::thread> threads;
  for (auto& mine : held) {
    threads.emplace_back([&admission, &mine] {
      for (int i = 0; i < 500; ++i) {
        Admission::Ticket t;
        if (admission.admit(make_address("127.0.0.1"), &t) == Verdict::kAdmitted) {
          mine.push_back(std::move(t));
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  size_t admitted = 0;
  for (auto& mine : held)
    admitted += mine.size();
  EXPECT_EQ(admitted, 1000u);
  EXPECT_EQ(admission.connections(), 1000u);
  held.clear();
  EXPECT_EQ(admission.connections(), 0u);
}

}  // namespace
}  // namespace wps::transport
