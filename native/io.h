// Socket and file I/O primitives. Every function returns a count or 0 on success and -errno (platform value)
// on failure; nothing throws. The addon maps errno to the portable codes of gen/constants.h.
#pragma once
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

namespace hayate {

// Creates a non-blocking, close-on-exec listening TCP socket bound to host:port. `host` is a numeric IPv4
// or IPv6 address; IPv6 sockets are v6-only. `reusePort` sets SO_REUSEPORT so several processes or threads
// can each bind and accept (Linux balances connections between them).
int Listen(const char* host, int port, int backlog, bool reusePort);
// The bound port of a socket, or -errno.
int LocalPort(int fd);
// Accepts one pending connection: non-blocking, close-on-exec, TCP_NODELAY. Returns the fd or -errno.
int Accept(int listenFd);
// Writes "address" and "port" of the peer into `out` (at least 64 bytes). Returns the port or -errno.
int PeerName(int fd, char* out, size_t outLen);
ssize_t Read(int fd, uint8_t* buf, size_t len);
// Gathers `count` buffers into one sendmsg call (no SIGPIPE). Returns bytes written or -errno.
ssize_t Writev(int fd, const struct iovec* iov, int count);
// Copies up to `length` bytes of file `inFd` from `offset` to socket `outFd`. Returns bytes sent or -errno.
ssize_t SendFile(int outFd, int inFd, int64_t offset, size_t length);
int Shutdown(int fd);
int Close(int fd);
int SetSendBuffer(int fd, int bytes);
int SocketPair(int fds[2]);
// Connects a non-blocking TCP socket to host:port (EINPROGRESS is success). Returns the fd or -errno.
int Connect(const char* host, int port);

}  // namespace hayate
