// UDP sockets for QUIC (Linux): recvmmsg/sendmmsg batches, UDP GSO (UDP_SEGMENT) and GRO (UDP_GRO), ECN
// read (IP_RECVTOS / IPV6_RECVTCLASS) and set (IP_TOS / IPV6_TCLASS cmsg). Elsewhere UdpOpen fails with
// -ENOSYS and the transport uses node:dgram. Buffers belong to JS (addon.cc holds references to them while
// the socket lives); the metadata layout is HAYATE_UDP_* from gen/constants.h.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hayate {

struct Udp;

// Where a socket's batches live: `recv` holds `batch` slots of `slotBytes`, `recvMeta` and `sendMeta`
// hold `batch` records each, `send` holds the bytes the send records point into.
struct UdpBuffers {
  uint8_t* recv;
  size_t recvBytes;
  int32_t* recvMeta;
  uint8_t* send;
  size_t sendBytes;
  int32_t* sendMeta;
  int batch;
  size_t slotBytes;
};

// Opens a non-blocking, close-on-exec UDP socket bound to host:port (numeric address; an IPv6 socket is
// dual-stack) with SO_RCVBUF/SO_SNDBUF of `bufferBytes` (kernel caps apply). Returns nullptr with
// `*err` = -errno on failure.
Udp* UdpOpen(const char* host, int port, const UdpBuffers& buffers, int bufferBytes, int* err);
// Closes the socket and frees it.
void UdpFree(Udp* u);
int UdpFd(const Udp* u);
// Connects to host:port; sends with FAMILY 0 then go there. 0 or -errno.
int UdpConnect(Udp* u, const char* host, int port);
// One recvmmsg batch into the receive buffer and metadata: the datagram count, or -errno (-EAGAIN when
// nothing was waiting).
int UdpRecv(Udp* u);
// Sends the first `count` send records with sendmmsg, equal-sized runs to one destination as one GSO
// message. Returns how many records were consumed (sent, or dropped for a per-datagram error such as
// EMSGSIZE), or -EAGAIN when the first could not be sent for lack of buffer space.
int UdpSend(Udp* u, int count);
// HAYATE_UDP_INFO_* bits.
int UdpInfo(const Udp* u);
// Test hook: the next `count` UdpSend calls fail with -EAGAIN without sending (loopback never runs out of
// send buffer, so the EAGAIN path cannot be provoked there otherwise).
void UdpFailSends(Udp* u, int count);
// Datagrams dropped by UdpSend for a non-retryable error.
uint32_t UdpDropped(const Udp* u);

}  // namespace hayate
