// A FIFO queue on a growable circular buffer. Unlike std::deque it allocates nothing until the
// first push, and frees its storage with shrink(), so idle connections cost no heap memory.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace wps {

template <class T>
class RingQueue {
 public:
  RingQueue() = default;
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;
  RingQueue(RingQueue&& o) noexcept { swap(o); }
  RingQueue& operator=(RingQueue&& o) noexcept {
    RingQueue tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~RingQueue() { clear(); }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  T& front() { return slot(0); }
  const T& front() const { return slot(0); }
  T& back() { return slot(size_ - 1); }
  // Element `i` counted from the front.
  T& operator[](size_t i) { return slot(i); }
  const T& operator[](size_t i) const { return slot(i); }

  void push_back(T value) {
    if (size_ == capacity_) grow();
    new (&raw()[(head_ + size_) % capacity_]) T(std::move(value));
    ++size_;
  }

  void pop_front() {
    slot(0).~T();
    head_ = (head_ + 1) % capacity_;
    --size_;
    if (size_ == 0) head_ = 0;
  }

  void clear() {
    while (size_ > 0)
      pop_front();
    storage_.reset();
    capacity_ = 0;
    head_ = 0;
  }

  // Releases the storage when empty.
  void shrink() {
    if (size_ == 0) clear();
  }

 private:
  using Storage = std::aligned_storage_t<sizeof(T), alignof(T)>;
  T* raw() { return reinterpret_cast<T*>(storage_.get()); }
  const T* raw() const { return reinterpret_cast<const T*>(storage_.get()); }
  T& slot(size_t i) { return raw()[(head_ + i) % capacity_]; }
  const T& slot(size_t i) const { return raw()[(head_ + i) % capacity_]; }

  void grow() {
    size_t cap = capacity_ == 0 ? 4 : capacity_ * 2;
    std::unique_ptr<Storage[]> next(new Storage[cap]);
    T* dst = reinterpret_cast<T*>(next.get());
    for (size_t i = 0; i < size_; ++i) {
      new (&dst[i]) T(std::move(slot(i)));
      slot(i).~T();
    }
    storage_ = std::move(next);
    capacity_ = cap;
    head_ = 0;
  }

  void swap(RingQueue& o) noexcept {
    std::swap(storage_, o.storage_);
    std::swap(capacity_, o.capacity_);
    std::swap(head_, o.head_);
    std::swap(size_, o.size_);
  }

  std::unique_ptr<Storage[]> storage_;
  size_t capacity_ = 0;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace wps
