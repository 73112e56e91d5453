// kqueue(2) poller for macOS and the BSDs, level-triggered like the epoll one (no EV_CLEAR).
// Each fd has two filters (EVFILT_READ, EVFILT_WRITE); both are always registered and switched with
// EV_ENABLE/EV_DISABLE, so Modify needs no memory of the previous mask. One fd can therefore appear twice
// in a batch (once per filter); the JS side handles records independently, so that is harmless.
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__DragonFly__) || defined(HAYATE_FORCE_KQUEUE)
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include "gen/constants.h"
#include "poller.h"

namespace hayate {

namespace {

void* KindToUdata(uint32_t kind) { return reinterpret_cast<void*>(static_cast<uintptr_t>(kind)); }

int Apply(int kq, int fd, uint32_t kind, uint32_t interest, bool adding) {
  struct kevent changes[2];
  const unsigned short base = adding ? EV_ADD : 0;
  EV_SET(&changes[0], static_cast<uintptr_t>(fd), EVFILT_READ,
         base | ((interest & HAYATE_EV_READABLE) ? EV_ENABLE : EV_DISABLE), 0, 0, KindToUdata(kind));
  EV_SET(&changes[1], static_cast<uintptr_t>(fd), EVFILT_WRITE,
         base | ((interest & HAYATE_EV_WRITABLE) ? EV_ENABLE : EV_DISABLE), 0, 0, KindToUdata(kind));
  const struct timespec zero = {0, 0};
  int r;
  do {
    r = kevent(kq, changes, 2, nullptr, 0, &zero);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : 0;
}

}  // namespace

Poller::~Poller() { Close(); }

int Poller::Open() {
  fd_ = kqueue();
  if (fd_ < 0) return -errno;
  fcntl(fd_, F_SETFD, FD_CLOEXEC);
  return 0;
}

int Poller::Add(int fd, uint32_t kind, uint32_t interest) { return Apply(fd_, fd, kind, interest, true); }

int Poller::Modify(int fd, uint32_t kind, uint32_t interest) {
  // EV_ADD on an existing filter updates it, so Modify and Add are the same call.
  return Apply(fd_, fd, kind, interest, true);
}

int Poller::Remove(int fd) {
  struct kevent changes[2];
  EV_SET(&changes[0], static_cast<uintptr_t>(fd), EVFILT_READ, EV_DELETE, 0, 0, nullptr);
  EV_SET(&changes[1], static_cast<uintptr_t>(fd), EVFILT_WRITE, EV_DELETE, 0, 0, nullptr);
  const struct timespec zero = {0, 0};
  // ENOENT for a filter never added is fine: the goal is that nothing stays registered.
  const int r = kevent(fd_, changes, 2, nullptr, 0, &zero);
  return (r < 0 && errno != ENOENT) ? -errno : 0;
}

int Poller::Wait(RawEvent* out, int max) {
  struct kevent evs[HAYATE_REC_BATCH_MAX];
  if (max > HAYATE_REC_BATCH_MAX) max = HAYATE_REC_BATCH_MAX;
  const struct timespec zero = {0, 0};
  int n;
  do {
    n = kevent(fd_, nullptr, 0, evs, max, &zero);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  for (int i = 0; i < n; i++) {
    uint32_t m = 0;
    if (evs[i].filter == EVFILT_READ) m |= HAYATE_EV_READABLE;
    if (evs[i].filter == EVFILT_WRITE) m |= HAYATE_EV_WRITABLE;
    if (evs[i].flags & EV_EOF) m |= HAYATE_EV_HANGUP;
    if (evs[i].flags & EV_ERROR) m |= HAYATE_EV_ERROR;
    out[i].fd = static_cast<int>(evs[i].ident);
    out[i].kind = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(evs[i].udata));
    out[i].mask = m;
  }
  return n;
}

void Poller::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace hayate
#endif  // kqueue platforms
