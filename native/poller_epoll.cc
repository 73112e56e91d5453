// epoll(7) poller, level-triggered: an fd with unread input or free send buffer space is reported on every
// wait, so a consumer that stops early (batch full, arena empty, backpressure) loses nothing.
#ifdef __linux__
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "gen/constants.h"
#include "poller.h"

namespace hayate {

namespace {

// The kind rides in the upper half of the 64-bit user data, the fd in the lower half.
uint64_t Pack(int fd, uint32_t kind) {
  return (static_cast<uint64_t>(kind) << 32) | static_cast<uint32_t>(fd);
}

uint32_t ToEpoll(uint32_t interest) {
  uint32_t ev = 0;
  if (interest & HAYATE_EV_READABLE) ev |= EPOLLIN | EPOLLRDHUP;
  if (interest & HAYATE_EV_WRITABLE) ev |= EPOLLOUT;
  return ev;
}

}  // namespace

Poller::~Poller() { Close(); }

int Poller::Open() {
  fd_ = epoll_create1(EPOLL_CLOEXEC);
  return fd_ < 0 ? -errno : 0;
}

int Poller::Add(int fd, uint32_t kind, uint32_t interest) {
  epoll_event ev{};
  ev.events = ToEpoll(interest);
  ev.data.u64 = Pack(fd, kind);
  return epoll_ctl(fd_, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int Poller::Modify(int fd, uint32_t kind, uint32_t interest) {
  epoll_event ev{};
  ev.events = ToEpoll(interest);
  ev.data.u64 = Pack(fd, kind);
  return epoll_ctl(fd_, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int Poller::Remove(int fd) {
  epoll_event ev{};
  return epoll_ctl(fd_, EPOLL_CTL_DEL, fd, &ev) < 0 ? -errno : 0;
}

int Poller::Wait(RawEvent* out, int max) {
  epoll_event evs[HAYATE_REC_BATCH_MAX];
  if (max > HAYATE_REC_BATCH_MAX) max = HAYATE_REC_BATCH_MAX;
  int n;
  do {
    n = epoll_wait(fd_, evs, max, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  for (int i = 0; i < n; i++) {
    uint32_t m = 0;
    const uint32_t e = evs[i].events;
    if (e & EPOLLIN) m |= HAYATE_EV_READABLE;
    if (e & EPOLLOUT) m |= HAYATE_EV_WRITABLE;
    if (e & (EPOLLHUP | EPOLLRDHUP)) m |= HAYATE_EV_HANGUP | HAYATE_EV_READABLE;
    if (e & EPOLLERR) m |= HAYATE_EV_ERROR;
    out[i].fd = static_cast<int>(evs[i].data.u64 & 0xffffffffu);
    out[i].kind = static_cast<uint32_t>(evs[i].data.u64 >> 32);
    out[i].mask = m;
  }
  return n;
}

void Poller::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace hayate
#endif  // __linux__
