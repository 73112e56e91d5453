#include "io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/sendfile.h>
#endif

namespace hayate {

namespace {

int SetNonBlockCloexec(int fd) {
  const int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -errno;
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return -errno;
  return 0;
}

int NewSocket(int family) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
  const int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd < 0 ? -errno : fd;
#else
  const int fd = socket(family, SOCK_STREAM, 0);
  if (fd < 0) return -errno;
  const int r = SetNonBlockCloexec(fd);
  if (r < 0) {
    close(fd);
    return r;
  }
  return fd;
#endif
}

// Fills `ss` from a numeric address. Returns the address length or -EINVAL.
int ParseAddress(const char* host, int port, sockaddr_storage* ss) {
  memset(ss, 0, sizeof *ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    return sizeof(sockaddr_in);
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    return sizeof(sockaddr_in6);
  }
  return -EINVAL;
}

}  // namespace

int Listen(const char* host, int port, int backlog, bool reusePort) {
  sockaddr_storage ss;
  const int len = ParseAddress(host, port, &ss);
  if (len < 0) return len;
  const int fd = NewSocket(ss.ss_family);
  if (fd < 0) return fd;
  const int one = 1;
  int r = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
#ifdef SO_REUSEPORT
  if (r == 0 && reusePort) r = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
#else
  if (reusePort) r = -1, errno = ENOSYS;
#endif
  if (r == 0 && ss.ss_family == AF_INET6) r = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (r == 0) r = bind(fd, reinterpret_cast<sockaddr*>(&ss), static_cast<socklen_t>(len));
  if (r == 0) r = listen(fd, backlog);
  if (r < 0) {
    const int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

int LocalPort(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return -errno;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return -EAFNOSUPPORT;
}

int Accept(int listenFd) {
  int fd;
#if defined(__linux__) || defined(__FreeBSD__)
  do {
    fd = accept4(listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return -errno;
#else
  do {
    fd = accept(listenFd, nullptr, nullptr);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return -errno;
  const int r = SetNonBlockCloexec(fd);
  if (r < 0) {
    close(fd);
    return r;
  }
#endif
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef SO_NOSIGPIPE
  setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
  return fd;
}

int PeerName(int fd, char* out, size_t outLen) {
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) return -errno;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    if (inet_ntop(AF_INET, &a->sin_addr, out, static_cast<socklen_t>(outLen)) == nullptr) return -errno;
    return ntohs(a->sin_port);
  }
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    if (inet_ntop(AF_INET6, &a->sin6_addr, out, static_cast<socklen_t>(outLen)) == nullptr) return -errno;
    return ntohs(a->sin6_port);
  }
  return -EAFNOSUPPORT;
}

ssize_t Read(int fd, uint8_t* buf, size_t len) {
  ssize_t n;
  do {
    n = read(fd, buf, len);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : n;
}

ssize_t Writev(int fd, const struct iovec* iov, int count) {
  msghdr msg{};
  msg.msg_iov = const_cast<struct iovec*>(iov);
  msg.msg_iovlen = static_cast<decltype(msg.msg_iovlen)>(count);
#ifdef MSG_NOSIGNAL
  const int flags = MSG_NOSIGNAL;
#else
  const int flags = 0;  // SO_NOSIGPIPE is set on accepted sockets instead.
#endif
  ssize_t n;
  do {
    n = sendmsg(fd, &msg, flags);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : n;
}

ssize_t SendFile(int outFd, int inFd, int64_t offset, size_t length) {
#if defined(__linux__)
  off_t off = static_cast<off_t>(offset);
  ssize_t n;
  do {
    n = sendfile(outFd, inFd, &off, length);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : n;
#elif defined(__APPLE__)
  // macOS: sendfile(file, socket, offset, &len, hdtr, flags); on EAGAIN `len` still holds the bytes sent.
  off_t len = static_cast<off_t>(length);
  const int r = sendfile(inFd, outFd, static_cast<off_t>(offset), &len, nullptr, 0);
  if (r < 0 && len == 0) return -errno;
  return static_cast<ssize_t>(len);
#elif defined(__FreeBSD__) || defined(__DragonFly__)
  off_t sent = 0;
  const int r = sendfile(inFd, outFd, static_cast<off_t>(offset), length, nullptr, &sent, 0);
  if (r < 0 && sent == 0) return -errno;
  return static_cast<ssize_t>(sent);
#else
  // No zero-copy call: copy through a stack buffer with pread + write.
  uint8_t buf[65536];
  const size_t want = length < sizeof buf ? length : sizeof buf;
  const ssize_t got = pread(inFd, buf, want, static_cast<off_t>(offset));
  if (got <= 0) return got < 0 ? -errno : 0;
  const ssize_t n = write(outFd, buf, static_cast<size_t>(got));
  return n < 0 ? -errno : n;
#endif
}

int Shutdown(int fd) { return shutdown(fd, SHUT_WR) < 0 ? -errno : 0; }

int Close(int fd) {
  // POSIX leaves the fd state unspecified after EINTR from close; Linux always releases it, so no retry.
  return close(fd) < 0 ? -errno : 0;
}

int SetSendBuffer(int fd, int bytes) {
  return setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes) < 0 ? -errno : 0;
}

int SocketPair(int fds[2]) {
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0) return -errno;
  for (int i = 0; i < 2; i++) {
    const int r = SetNonBlockCloexec(fds[i]);
    if (r < 0) {
      close(fds[0]);
      close(fds[1]);
      return r;
    }
  }
  return 0;
}

int Connect(const char* host, int port) {
  sockaddr_storage ss;
  const int len = ParseAddress(host, port, &ss);
  if (len < 0) return len;
  const int fd = NewSocket(ss.ss_family);
  if (fd < 0) return fd;
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), static_cast<socklen_t>(len)) < 0 && errno != EINPROGRESS) {
    const int e = errno;
    close(fd);
    return -e;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace hayate
