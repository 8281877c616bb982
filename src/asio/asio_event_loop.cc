#include "asio/asio_event_loop.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace wps::asio_loop {
namespace {

class AsioTimer : public Timer {
 public:
  AsioTimer(boost::asio::io_context& io, Duration delay, EventLoop::Task task)
      : state_(std::make_shared<State>(io)) {
    state_->task = std::move(task);
    state_->timer.expires_after(delay);
    state_->timer.async_wait([s = state_](const boost::system::error_code& ec) {
      if (ec || s->cancelled) return;
      auto t = std::move(s->task);
      s->task = nullptr;
      if (t) t();
    });
  }
  ~AsioTimer() override { cancel(); }
  void cancel() override {
    state_->cancelled = true;
    state_->task = nullptr;
    state_->timer.cancel();
  }

 private:
  struct State {
    explicit State(boost::asio::io_context& io) : timer(io) {}
    boost::asio::steady_timer timer;
    EventLoop::Task task;
    bool cancelled = false;
  };
  std::shared_ptr<State> state_;
};

}  // namespace

void AsioEventLoop::post(Task task) {
  boost::asio::post(io_, std::move(task));
}

std::unique_ptr<Timer> AsioEventLoop::schedule(Duration delay, Task task) {
  return std::make_unique<AsioTimer>(io_, delay, std::move(task));
}

}  // namespace wps::asio_loop
