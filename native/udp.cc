// See udp.h. Linux only; the other platforms get the -ENOSYS stubs at the end.
#include "udp.h"

#include <errno.h>

#include "gen/constants.h"

#ifdef __linux__
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace hayate {

namespace {

// Control bytes per message: room for TOS/TCLASS plus GRO or UDP_SEGMENT, each an int at most.
constexpr size_t kCmsgBytes = 64;
constexpr int M = HAYATE_UDP_META_INTS;

int ParseAddr(const char* host, int port, sockaddr_storage* ss, socklen_t* len) {
  memset(ss, 0, sizeof *ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in);
    return 0;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof(sockaddr_in6);
    return 0;
  }
  return -EINVAL;
}

uint32_t Word(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
         (static_cast<uint32_t>(p[2]) << 8) | p[3];
}

void PutWord(uint8_t* p, uint32_t w) {
  p[0] = static_cast<uint8_t>(w >> 24);
  p[1] = static_cast<uint8_t>(w >> 16);
  p[2] = static_cast<uint8_t>(w >> 8);
  p[3] = static_cast<uint8_t>(w);
}

// Writes the FAMILY/PORT/ADDR fields of `m`; a v4-mapped IPv6 source is reported as IPv4.
void WriteAddr(const sockaddr_storage& ss, int32_t* m) {
  if (ss.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    m[HAYATE_UDP_FAMILY] = 4;
    m[HAYATE_UDP_PORT] = ntohs(a.sin_port);
    m[HAYATE_UDP_ADDR0] = static_cast<int32_t>(Word(reinterpret_cast<const uint8_t*>(&a.sin_addr)));
    m[HAYATE_UDP_ADDR1] = m[HAYATE_UDP_ADDR2] = m[HAYATE_UDP_ADDR3] = 0;
    return;
  }
  const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
  const uint8_t* b = a.sin6_addr.s6_addr;
  m[HAYATE_UDP_PORT] = ntohs(a.sin6_port);
  if (IN6_IS_ADDR_V4MAPPED(&a.sin6_addr)) {
    m[HAYATE_UDP_FAMILY] = 4;
    m[HAYATE_UDP_ADDR0] = static_cast<int32_t>(Word(b + 12));
    m[HAYATE_UDP_ADDR1] = m[HAYATE_UDP_ADDR2] = m[HAYATE_UDP_ADDR3] = 0;
    return;
  }
  m[HAYATE_UDP_FAMILY] = 6;
  for (int i = 0; i < 4; i++) m[HAYATE_UDP_ADDR0 + i] = static_cast<int32_t>(Word(b + 4 * i));
}

// The destination of send record `m` for a socket of `family`; 0 for the connected peer, -1 if invalid.
int ReadAddr(const int32_t* m, int family, sockaddr_storage* ss) {
  const int f = m[HAYATE_UDP_FAMILY];
  if (f == 0) return 0;
  memset(ss, 0, sizeof *ss);
  const uint16_t port = htons(static_cast<uint16_t>(m[HAYATE_UDP_PORT]));
  if (family == AF_INET) {
    if (f != 4) return -1;
    auto* a = reinterpret_cast<sockaddr_in*>(ss);
    a->sin_family = AF_INET;
    a->sin_port = port;
    PutWord(reinterpret_cast<uint8_t*>(&a->sin_addr), static_cast<uint32_t>(m[HAYATE_UDP_ADDR0]));
    return sizeof(sockaddr_in);
  }
  auto* a = reinterpret_cast<sockaddr_in6*>(ss);
  a->sin6_family = AF_INET6;
  a->sin6_port = port;
  uint8_t* b = a->sin6_addr.s6_addr;
  if (f == 4) {
    b[10] = b[11] = 0xff;
    PutWord(b + 12, static_cast<uint32_t>(m[HAYATE_UDP_ADDR0]));
  } else if (f == 6) {
    for (int i = 0; i < 4; i++) PutWord(b + 4 * i, static_cast<uint32_t>(m[HAYATE_UDP_ADDR0 + i]));
  } else {
    return -1;
  }
  return sizeof(sockaddr_in6);
}

bool SameDest(const int32_t* a, const int32_t* b) {
  for (int i = HAYATE_UDP_FAMILY; i <= HAYATE_UDP_ADDR3; i++) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

struct Udp {
  int fd = -1;
  int family = 0;
  // The connected peer is IPv4 (or v4-mapped): its ECN goes in an IP_TOS cmsg.
  bool isPeerV4 = false;
  bool gso = false;
  bool gro = false;
  UdpBuffers b{};
  uint32_t dropped = 0;
  int failSends = 0;
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iovs;
  std::vector<sockaddr_storage> addrs;
  std::vector<uint8_t> cmsgs;
  std::vector<int> groups;
};

Udp* UdpOpen(const char* host, int port, const UdpBuffers& buffers, int bufferBytes, int* err) {
  sockaddr_storage ss;
  socklen_t len;
  if (buffers.batch <= 0 || buffers.slotBytes == 0 ||
      buffers.recvBytes < static_cast<size_t>(buffers.batch) * buffers.slotBytes) {
    *err = -EINVAL;
    return nullptr;
  }
  if (ParseAddr(host, port, &ss, &len) < 0) {
    *err = -EINVAL;
    return nullptr;
  }
  const int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = -errno;
    return nullptr;
  }
  const int one = 1;
  const int zero = 0;
  // ECN of received datagrams arrives as IP_TOS / IPV6_TCLASS control messages (RFC 9000 §13.4).
  // A dual-stack IPv6 socket needs the IPv4 option too for v4-mapped peers; failures leave ECN at 0.
  setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof one);
  if (ss.ss_family == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one);
  }
  if (bufferBytes > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufferBytes, sizeof bufferBytes);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufferBytes, sizeof bufferBytes);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    *err = -errno;
    close(fd);
    return nullptr;
  }
  auto* u = new Udp();
  u->fd = fd;
  u->family = ss.ss_family;
  u->b = buffers;
  // Probing with gso_size 0 (the socket default) succeeds exactly where the kernel knows UDP_SEGMENT.
  u->gso = setsockopt(fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof zero) == 0;
  // GRO coalesces up to 64 KiB per message: only with slots that can hold that.
  if (buffers.slotBytes >= 65535) u->gro = setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
  const size_t n = static_cast<size_t>(buffers.batch);
  u->msgs.resize(n);
  u->iovs.resize(n);
  u->addrs.resize(n);
  u->cmsgs.resize(n * kCmsgBytes);
  u->groups.resize(n);
  return u;
}

void UdpFree(Udp* u) {
  if (u == nullptr) return;
  if (u->fd >= 0) close(u->fd);
  delete u;
}

int UdpFd(const Udp* u) { return u->fd; }

int UdpInfo(const Udp* u) { return (u->gso ? HAYATE_UDP_INFO_GSO : 0) | (u->gro ? HAYATE_UDP_INFO_GRO : 0); }

uint32_t UdpDropped(const Udp* u) { return u->dropped; }

void UdpFailSends(Udp* u, int count) { u->failSends = count; }

int UdpConnect(Udp* u, const char* host, int port) {
  sockaddr_storage ss;
  socklen_t len;
  if (ParseAddr(host, port, &ss, &len) < 0) return -EINVAL;
  u->isPeerV4 = ss.ss_family == AF_INET;
  if (u->family == AF_INET6 && ss.ss_family == AF_INET) {
    // A dual-stack socket reaches an IPv4 peer through its v4-mapped address.
    int32_t m[M] = {};
    WriteAddr(ss, m);
    len = static_cast<socklen_t>(ReadAddr(m, AF_INET6, &ss));
  } else if (u->family != ss.ss_family) {
    return -EAFNOSUPPORT;
  }
  return connect(u->fd, reinterpret_cast<sockaddr*>(&ss), len) < 0 ? -errno : 0;
}

int UdpRecv(Udp* u) {
  const UdpBuffers& b = u->b;
  for (int i = 0; i < b.batch; i++) {
    iovec& iov = u->iovs[static_cast<size_t>(i)];
    iov.iov_base = b.recv + static_cast<size_t>(i) * b.slotBytes;
    iov.iov_len = b.slotBytes;
    msghdr& h = u->msgs[static_cast<size_t>(i)].msg_hdr;
    h.msg_name = &u->addrs[static_cast<size_t>(i)];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    h.msg_control = &u->cmsgs[static_cast<size_t>(i) * kCmsgBytes];
    h.msg_controllen = kCmsgBytes;
    h.msg_flags = 0;
  }
  int n = -1;
  // ICMP errors on a connected socket surface as one failed call each: skip a few, then report.
  for (int tries = 0; tries < 4; tries++) {
    n = recvmmsg(u->fd, u->msgs.data(), static_cast<unsigned>(b.batch), MSG_DONTWAIT, nullptr);
    if (n >= 0 || (errno != EINTR && errno != ECONNREFUSED)) break;
  }
  if (n < 0) return -errno;
  for (int i = 0; i < n; i++) {
    const mmsghdr& mm = u->msgs[static_cast<size_t>(i)];
    int32_t* m = b.recvMeta + static_cast<size_t>(i) * M;
    m[HAYATE_UDP_OFFSET] = static_cast<int32_t>(static_cast<size_t>(i) * b.slotBytes);
    // A truncated datagram is useless to QUIC: reported with length 0 so JS skips it.
    m[HAYATE_UDP_LENGTH] = (mm.msg_hdr.msg_flags & MSG_TRUNC) ? 0 : static_cast<int32_t>(mm.msg_len);
    m[HAYATE_UDP_SEGMENT] = 0;
    m[HAYATE_UDP_ECN] = 0;
    msghdr* h = const_cast<msghdr*>(&mm.msg_hdr);
    for (cmsghdr* c = CMSG_FIRSTHDR(h); c != nullptr; c = CMSG_NXTHDR(h, c)) {
      if (c->cmsg_level == IPPROTO_IP && (c->cmsg_type == IP_TOS || c->cmsg_type == IP_RECVTOS)) {
        uint8_t tos;
        memcpy(&tos, CMSG_DATA(c), 1);
        m[HAYATE_UDP_ECN] = tos & 3;
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
        int tc;
        memcpy(&tc, CMSG_DATA(c), sizeof tc);
        m[HAYATE_UDP_ECN] = tc & 3;
      } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int seg;
        memcpy(&seg, CMSG_DATA(c), sizeof seg);
        m[HAYATE_UDP_SEGMENT] = seg;
      }
    }
    WriteAddr(u->addrs[static_cast<size_t>(i)], m);
  }
  return n;
}

namespace {

// Appends one control message carrying `value` (an int, or a uint16_t for UDP_SEGMENT).
cmsghdr* PutCmsg(msghdr* h, cmsghdr* c, int level, int type, const void* value, size_t size, size_t* used) {
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(size);
  memcpy(CMSG_DATA(c), value, size);
  *used += CMSG_SPACE(size);
  return CMSG_NXTHDR(h, c);
}

}  // namespace

int UdpSend(Udp* u, int count) {
  const UdpBuffers& b = u->b;
  if (u->failSends > 0 && count > 0) {
    u->failSends--;
    return -EAGAIN;
  }
  if (count > b.batch) count = b.batch;
  int consumed = 0;
  while (consumed < count) {
    int nmsg = 0;
    int i = consumed;
    while (i < count) {
      const int32_t* first = b.sendMeta + static_cast<size_t>(i) * M;
      const size_t seg = static_cast<size_t>(first[HAYATE_UDP_LENGTH]);
      int j = i + 1;
      size_t total = seg;
      if (u->gso) {
        // GSO cuts one buffer into seg-sized datagrams; only the last may be shorter.
        while (j < count && j - i < HAYATE_UDP_GSO_MAX_SEGMENTS) {
          const int32_t* m = b.sendMeta + static_cast<size_t>(j) * M;
          const size_t len = static_cast<size_t>(m[HAYATE_UDP_LENGTH]);
          const size_t prev = static_cast<size_t>(b.sendMeta[static_cast<size_t>(j - 1) * M + HAYATE_UDP_LENGTH]);
          if (prev != seg || len > seg || total + len > HAYATE_UDP_GSO_MAX_BYTES) break;
          if (m[HAYATE_UDP_ECN] != first[HAYATE_UDP_ECN] || !SameDest(first, m)) break;
          total += len;
          j++;
        }
      }
      mmsghdr& mm = u->msgs[static_cast<size_t>(nmsg)];
      msghdr& h = mm.msg_hdr;
      memset(&h, 0, sizeof h);
      bool isValid = true;
      for (int k = i; k < j; k++) {
        const int32_t* m = b.sendMeta + static_cast<size_t>(k) * M;
        const size_t off = static_cast<size_t>(static_cast<uint32_t>(m[HAYATE_UDP_OFFSET]));
        const size_t len = static_cast<size_t>(static_cast<uint32_t>(m[HAYATE_UDP_LENGTH]));
        if (off > b.sendBytes || len > b.sendBytes - off) isValid = false;
        u->iovs[static_cast<size_t>(k)] = iovec{b.send + off, len};
      }
      sockaddr_storage* ss = &u->addrs[static_cast<size_t>(nmsg)];
      const int alen = ReadAddr(first, u->family, ss);
      if (!isValid || alen < 0) {
        // A malformed record is the caller's bug; drop it rather than send garbage.
        if (nmsg > 0) break;
        u->dropped += static_cast<uint32_t>(j - i);
        consumed = i = j;
        continue;
      }
      h.msg_name = alen == 0 ? nullptr : ss;
      h.msg_namelen = static_cast<socklen_t>(alen);
      h.msg_iov = &u->iovs[static_cast<size_t>(i)];
      h.msg_iovlen = static_cast<size_t>(j - i);
      h.msg_control = &u->cmsgs[static_cast<size_t>(nmsg) * kCmsgBytes];
      h.msg_controllen = kCmsgBytes;
      memset(h.msg_control, 0, kCmsgBytes);
      size_t used = 0;
      cmsghdr* c = CMSG_FIRSTHDR(&h);
      if (j - i > 1) {
        const uint16_t gsoSize = static_cast<uint16_t>(seg);
        c = PutCmsg(&h, c, SOL_UDP, UDP_SEGMENT, &gsoSize, sizeof gsoSize, &used);
      }
      const int ecn = first[HAYATE_UDP_ECN] & 3;
      if (ecn != 0) {
        const int f = first[HAYATE_UDP_FAMILY];
        const bool isV4 = f == 4 || (f == 0 && (u->family == AF_INET || u->isPeerV4));
        if (isV4) {
          PutCmsg(&h, c, IPPROTO_IP, IP_TOS, &ecn, sizeof ecn, &used);
        } else {
          PutCmsg(&h, c, IPPROTO_IPV6, IPV6_TCLASS, &ecn, sizeof ecn, &used);
        }
      }
      h.msg_controllen = used;
      if (used == 0) h.msg_control = nullptr;
      u->groups[static_cast<size_t>(nmsg)] = j - i;
      nmsg++;
      i = j;
    }
    if (nmsg == 0) continue;
    int r;
    do {
      r = sendmmsg(u->fd, u->msgs.data(), static_cast<unsigned>(nmsg), MSG_DONTWAIT);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      const int e = errno;
      if (e == EAGAIN || e == EWOULDBLOCK) return consumed > 0 ? consumed : -EAGAIN;
      if (u->groups[0] > 1 && (e == EIO || e == EINVAL)) {
        // The device (or kernel) cannot segment: send without GSO from now on.
        u->gso = false;
        continue;
      }
      // RFC 9000 §14 lets QUIC lose datagrams: an error for one (EMSGSIZE, ENOBUFS, an ICMP report on a
      // connected socket) drops it, and recovery resends its frames.
      u->dropped += static_cast<uint32_t>(u->groups[0]);
      consumed += u->groups[0];
      continue;
    }
    for (int k = 0; k < r; k++) consumed += u->groups[static_cast<size_t>(k)];
  }
  return consumed;
}

}  // namespace hayate

#else  // !__linux__

namespace hayate {

Udp* UdpOpen(const char*, int, const UdpBuffers&, int, int* err) {
  *err = -ENOSYS;
  return nullptr;
}
void UdpFree(Udp*) {}
int UdpFd(const Udp*) { return -ENOSYS; }
int UdpConnect(Udp*, const char*, int) { return -ENOSYS; }
int UdpRecv(Udp*) { return -ENOSYS; }
int UdpSend(Udp*, int) { return -ENOSYS; }
int UdpInfo(const Udp*) { return 0; }
uint32_t UdpDropped(const Udp*) { return 0; }
void UdpFailSends(Udp*, int) {}

}  // namespace hayate

#endif  // __linux__
