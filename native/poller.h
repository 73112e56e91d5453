// Readiness poller: epoll on Linux (poller_epoll.cc), kqueue on macOS/BSD (poller_kqueue.cc).
// Exactly one implementation is compiled in; both are level-triggered (see README.md: "Triggering").
#pragma once
#include <cstdint>

namespace hayate {

// One readiness report. `mask` uses the HAYATE_EV_* bits; `kind` is the HAYATE_KIND_* given to Add.
struct RawEvent {
  int fd;
  uint32_t kind;
  uint32_t mask;
};

class Poller {
 public:
  Poller() = default;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  ~Poller();

  // Creates the kernel object. Returns 0 or -errno (platform errno; the caller maps it).
  int Open();
  // The fd that becomes readable when any registered fd is ready (watched by uv_poll_t).
  int fd() const { return fd_; }
  // Registers `fd` with an interest mask of HAYATE_EV_READABLE | HAYATE_EV_WRITABLE.
  int Add(int fd, uint32_t kind, uint32_t interest);
  // Replaces the interest mask (0 parks the fd: it stays registered but reports nothing).
  int Modify(int fd, uint32_t kind, uint32_t interest);
  // Unregisters `fd` (closing an fd also unregisters it on both platforms).
  int Remove(int fd);
  // Non-blocking wait: fills up to `max` events, returns the count or -errno.
  int Wait(RawEvent* out, int max);
  void Close();

 private:
  int fd_ = -1;
};

}  // namespace hayate
