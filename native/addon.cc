// hayate native addon: Node-API bindings for the poller, sockets, sendfile and the slot arena.
// Knows nothing of HTTP (STYLE §2). Every call returns a number: >= 0 on success, -code on failure where
// code is a portable value from gen/constants.h (HAYATE_ERRNO_LIST). Nothing throws except on wrong
// argument types, which are programming errors in src/transport/binding.ts.
//
// Event delivery: the poller's fd is watched by a uv_poll_t on Node's own loop (no thread). When it fires,
// one batch of up to HAYATE_REC_BATCH_MAX records is filled into an Int32Array shared with JS and the JS
// callback is made ONCE for the batch through napi_make_callback, so microtasks run after it.
#include <errno.h>
#include <napi.h>
#include <uv.h>

#include <cstring>
#include <unordered_map>
#include <vector>

#include "aead.h"
#include "arena.h"
#include "gen/constants.h"
#include "io.h"
#include "poller.h"
#include "udp.h"

namespace hayate {
namespace {

int32_t MapErr(long negErrno) {
  if (negErrno >= 0) return static_cast<int32_t>(negErrno);
  switch (static_cast<int>(-negErrno)) {
#define HAYATE_MAP(name, code) \
  case name:                   \
    return -(code);
    HAYATE_ERRNO_LIST(HAYATE_MAP)
#undef HAYATE_MAP
    default:
      return -static_cast<int32_t>(HAYATE_ERRNO_UNMAPPED_BASE - negErrno);
  }
}

// A UDP socket and references keeping its JS-owned buffers alive while the addon writes into them.
struct UdpEntry {
  Udp* udp = nullptr;
  napi_ref refs[4] = {nullptr, nullptr, nullptr, nullptr};
};

struct Instance {
  napi_env env = nullptr;
  Poller poller;
  bool pollerOpen = false;
  uv_poll_t* handle = nullptr;
  napi_ref callback = nullptr;
  napi_ref records = nullptr;
  int32_t* rec = nullptr;
  napi_async_context asyncContext = nullptr;
  Arena arena;
  napi_ref arenaBuffer = nullptr;
  bool referenced = true;
  RawEvent raw[HAYATE_REC_BATCH_MAX];
  std::unordered_map<int, UdpEntry> udp;
};

Instance* Get(const Napi::CallbackInfo& info) { return info.Env().GetInstanceData<Instance>(); }

int32_t I32(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }

Napi::Number Num(const Napi::CallbackInfo& info, double v) { return Napi::Number::New(info.Env(), v); }

// Fills one batch of records and returns how many. Listeners accept until the batch is full; sockets with an
// arena slot free are read into it (READ_DONE), otherwise their readiness is reported for JS to read.
int FillBatch(Instance* in) {
  const int n = in->poller.Wait(in->raw, HAYATE_REC_BATCH_MAX);
  if (n <= 0) return 0;
  int out = 0;
  int32_t* r = in->rec;
  for (int i = 0; i < n && out < HAYATE_REC_BATCH_MAX; i++) {
    const RawEvent& e = in->raw[i];
    if (e.kind == HAYATE_KIND_LISTENER) {
      while (out < HAYATE_REC_BATCH_MAX) {
        const int fd = Accept(e.fd);
        int32_t* rr = r + out * HAYATE_REC_RECORD_INTS;
        if (fd < 0) {
          if (fd != -EAGAIN && fd != -ECONNABORTED) {
            rr[HAYATE_REC_FD] = e.fd;
            rr[HAYATE_REC_FLAGS] = HAYATE_EV_ERROR;
            rr[HAYATE_REC_SLOT] = -1;
            rr[HAYATE_REC_RESULT] = MapErr(fd);
            out++;
          }
          break;
        }
        const int added = in->poller.Add(fd, HAYATE_KIND_SOCKET, HAYATE_EV_READABLE);
        if (added < 0) {
          Close(fd);
          continue;
        }
        rr[HAYATE_REC_FD] = fd;
        rr[HAYATE_REC_FLAGS] = HAYATE_EV_ACCEPTED;
        rr[HAYATE_REC_SLOT] = e.fd;
        rr[HAYATE_REC_RESULT] = 0;
        out++;
      }
      continue;
    }
    int32_t* rr = r + out * HAYATE_REC_RECORD_INTS;
    rr[HAYATE_REC_FD] = e.fd;
    rr[HAYATE_REC_FLAGS] = static_cast<int32_t>(e.mask);
    rr[HAYATE_REC_SLOT] = -1;
    rr[HAYATE_REC_RESULT] = 0;
    if (e.kind == HAYATE_KIND_UDP) {
      // One recvmmsg batch into the socket's own buffer; an error flag (an ICMP report) is cleared by it too.
      rr[HAYATE_REC_FLAGS] &= ~(HAYATE_EV_HANGUP | HAYATE_EV_ERROR);
      auto it = in->udp.find(e.fd);
      if (it != in->udp.end() && (e.mask & (HAYATE_EV_READABLE | HAYATE_EV_ERROR))) {
        const int got = UdpRecv(it->second.udp);
        rr[HAYATE_REC_FLAGS] &= ~HAYATE_EV_READABLE;
        if (got != -EAGAIN) {
          rr[HAYATE_REC_FLAGS] |= HAYATE_EV_READ_DONE;
          rr[HAYATE_REC_RESULT] = MapErr(got);
        }
      }
      if (rr[HAYATE_REC_FLAGS] == 0) continue;
      out++;
      continue;
    }
    if (e.kind == HAYATE_KIND_SOCKET && (e.mask & HAYATE_EV_READABLE) && in->arena.ready()) {
      const int32_t slot = in->arena.Acquire();
      if (slot >= 0) {
        const ssize_t got =
            Read(e.fd, in->arena.base() + static_cast<size_t>(slot) * in->arena.slotSize(), in->arena.slotSize());
        if (got > 0) {
          rr[HAYATE_REC_SLOT] = slot;
        } else {
          in->arena.Release(slot);
        }
        if (got == -EAGAIN) {
          // Spurious wakeup (another reader drained it): nothing to report unless writable too.
          rr[HAYATE_REC_FLAGS] &= ~HAYATE_EV_READABLE;
          if (rr[HAYATE_REC_FLAGS] == 0) continue;
        } else {
          rr[HAYATE_REC_FLAGS] |= HAYATE_EV_READ_DONE;
          rr[HAYATE_REC_RESULT] = MapErr(got);
        }
      }
    }
    out++;
  }
  return out;
}

void ReleaseUnkept(Instance* in, int count) {
  for (int i = 0; i < count; i++) {
    int32_t* rr = in->rec + i * HAYATE_REC_RECORD_INTS;
    if ((rr[HAYATE_REC_FLAGS] & HAYATE_EV_READ_DONE) && rr[HAYATE_REC_SLOT] >= 0) {
      in->arena.Release(rr[HAYATE_REC_SLOT]);
    }
  }
}

void OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* in = static_cast<Instance*>(handle->data);
  if (status < 0) return;
  const int count = FillBatch(in);
  if (count == 0) return;
  napi_env env = in->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, global, argv[1], result;
  napi_get_reference_value(env, in->callback, &cb);
  napi_get_global(env, &global);
  napi_create_int32(env, count, &argv[0]);
  const napi_status st = napi_make_callback(env, in->asyncContext, global, cb, 1, argv, &result);
  // Slots JS did not mark HAYATE_REC_SLOT_KEPT go back to the free list: their views are dead now.
  ReleaseUnkept(in, count);
  if (st == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  napi_close_handle_scope(env, scope);
}

void Cleanup(void* arg) {
  auto* in = static_cast<Instance*>(arg);
  for (auto& kv : in->udp) UdpFree(kv.second.udp);
  in->udp.clear();
  if (in->handle != nullptr) {
    uv_poll_stop(in->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(in->handle),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    in->handle = nullptr;
  }
  in->poller.Close();
  in->pollerOpen = false;
}

Napi::Value AbiVersion(const Napi::CallbackInfo& info) { return Num(info, HAYATE_ABI_VERSION); }

// pollerStart(callback) -> Int32Array of BATCH_MAX records, or -code. Idempotent per environment (thread).
Napi::Value PollerStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Instance* in = Get(info);
  if (!in->pollerOpen) {
    const int r = in->poller.Open();
    if (r < 0) return Num(info, MapErr(r));
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) return Num(info, MapErr(-ENOSYS));
    auto* h = new uv_poll_t;
    if (uv_poll_init(loop, h, in->poller.fd()) != 0) {
      delete h;
      return Num(info, MapErr(-ENOSYS));
    }
    h->data = in;
    uv_poll_start(h, UV_READABLE, OnPoll);
    in->handle = h;
    in->pollerOpen = true;
    // Unreferenced until JS registers something, so an idle poller never keeps the process alive.
    uv_unref(reinterpret_cast<uv_handle_t*>(h));
    in->referenced = false;
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, HAYATE_REC_BATCH_MAX * HAYATE_REC_RECORD_INTS * 4);
    in->rec = static_cast<int32_t*>(ab.Data());
    Napi::Int32Array view = Napi::Int32Array::New(env, HAYATE_REC_BATCH_MAX * HAYATE_REC_RECORD_INTS, ab, 0);
    napi_create_reference(env, view, 1, &in->records);
    napi_value name;
    napi_create_string_utf8(env, "hayate:poller", NAPI_AUTO_LENGTH, &name);
    napi_async_init(env, nullptr, name, &in->asyncContext);
    napi_add_env_cleanup_hook(env, Cleanup, in);
  }
  if (in->callback != nullptr) napi_delete_reference(env, in->callback);
  napi_create_reference(env, info[0], 1, &in->callback);
  napi_value view;
  napi_get_reference_value(env, in->records, &view);
  return Napi::Value(env, view);
}

// pollerRef(on): whether the poller keeps the event loop alive (JS turns it on while fds are registered).
Napi::Value PollerRef(const Napi::CallbackInfo& info) {
  Instance* in = Get(info);
  const bool on = info[0].As<Napi::Boolean>().Value();
  if (in->handle != nullptr && on != in->referenced) {
    if (on) {
      uv_ref(reinterpret_cast<uv_handle_t*>(in->handle));
    } else {
      uv_unref(reinterpret_cast<uv_handle_t*>(in->handle));
    }
    in->referenced = on;
  }
  return info.Env().Undefined();
}

Napi::Value PollerAdd(const Napi::CallbackInfo& info) {
  Instance* in = Get(info);
  if (!in->pollerOpen) return Num(info, MapErr(-EBADF));
  return Num(info, MapErr(in->poller.Add(I32(info, 0), static_cast<uint32_t>(I32(info, 1)),
                                         static_cast<uint32_t>(I32(info, 2)))));
}

Napi::Value PollerModify(const Napi::CallbackInfo& info) {
  Instance* in = Get(info);
  if (!in->pollerOpen) return Num(info, MapErr(-EBADF));
  return Num(info, MapErr(in->poller.Modify(I32(info, 0), static_cast<uint32_t>(I32(info, 1)),
                                            static_cast<uint32_t>(I32(info, 2)))));
}

Napi::Value PollerRemove(const Napi::CallbackInfo& info) {
  Instance* in = Get(info);
  if (!in->pollerOpen) return Num(info, MapErr(-EBADF));
  return Num(info, MapErr(in->poller.Remove(I32(info, 0))));
}

// arenaInit(slotSize, slotCount, hugetlb) -> 0 or -code. One arena per environment.
Napi::Value ArenaInit(const Napi::CallbackInfo& info) {
  Instance* in = Get(info);
  const int r = in->arena.Init(static_cast<size_t>(I32(info, 0)), static_cast<uint32_t>(I32(info, 1)),
                               info[2].As<Napi::Boolean>().Value());
  return Num(info, MapErr(r));
}

// arenaBuffer() -> the whole region as one external ArrayBuffer (zero-copy slot views), or undefined.
Napi::Value ArenaBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Instance* in = Get(info);
  if (!in->arena.ready()) return env.Undefined();
  if (in->arenaBuffer == nullptr) {
    // The region outlives every view: it is unmapped only when the environment's instance data is freed.
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, in->arena.base(), in->arena.size());
    napi_create_reference(env, ab, 1, &in->arenaBuffer);
  }
  napi_value v;
  napi_get_reference_value(env, in->arenaBuffer, &v);
  return Napi::Value(env, v);
}

Napi::Value ArenaAcquire(const Napi::CallbackInfo& info) {
  Instance* in = Get(info);
  if (!in->arena.ready()) return Num(info, MapErr(-EINVAL));
  const int32_t s = in->arena.Acquire();
  return Num(info, s < 0 ? MapErr(-ENOBUFS) : s);
}

Napi::Value ArenaRelease(const Napi::CallbackInfo& info) {
  Instance* in = Get(info);
  return Num(info, in->arena.Release(I32(info, 0)) ? 0 : MapErr(-EINVAL));
}

Napi::Value ArenaStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Instance* in = Get(info);
  Napi::Object o = Napi::Object::New(env);
  o.Set("slotSize", static_cast<double>(in->arena.slotSize()));
  o.Set("slotCount", static_cast<double>(in->arena.slotCount()));
  o.Set("slotsInUse", static_cast<double>(in->arena.inUse()));
  o.Set("sizeBytes", static_cast<double>(in->arena.size()));
  o.Set("hugetlb", in->arena.hugetlb());
  o.Set("madviseHugepage", in->arena.advised());
  const long kib = in->arena.hugetlb() ? static_cast<long>(in->arena.size() / 1024) : in->arena.AnonHugePagesKiB();
  o.Set("hugePageKiB", static_cast<double>(kib));
  o.Set("hugePageBacked", kib > 0);
  return o;
}

Napi::Value ListenFn(const Napi::CallbackInfo& info) {
  const std::string host = info[0].As<Napi::String>().Utf8Value();
  return Num(info, MapErr(Listen(host.c_str(), I32(info, 1), I32(info, 2), info[3].As<Napi::Boolean>().Value())));
}

Napi::Value ConnectFn(const Napi::CallbackInfo& info) {
  const std::string host = info[0].As<Napi::String>().Utf8Value();
  return Num(info, MapErr(Connect(host.c_str(), I32(info, 1))));
}

Napi::Value LocalPortFn(const Napi::CallbackInfo& info) { return Num(info, MapErr(LocalPort(I32(info, 0)))); }

Napi::Value AcceptFn(const Napi::CallbackInfo& info) { return Num(info, MapErr(Accept(I32(info, 0)))); }

// peerName(fd) -> "address" string (port via peerPort), or -code.
Napi::Value PeerNameFn(const Napi::CallbackInfo& info) {
  char buf[64];
  const int port = PeerName(I32(info, 0), buf, sizeof buf);
  if (port < 0) return Num(info, MapErr(port));
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("address", buf);
  o.Set("port", port);
  return o;
}

// read(fd, u8) -> bytes read (0 = EOF) or -code.
Napi::Value ReadFn(const Napi::CallbackInfo& info) {
  Napi::Uint8Array a = info[1].As<Napi::Uint8Array>();
  return Num(info, static_cast<double>(MapErr(Read(I32(info, 0), a.Data(), a.ByteLength()))));
}

// write(fd, u8, start, end) -> bytes written or -code.
Napi::Value WriteFn(const Napi::CallbackInfo& info) {
  Napi::Uint8Array a = info[1].As<Napi::Uint8Array>();
  const size_t start = static_cast<size_t>(I32(info, 2));
  const size_t end = static_cast<size_t>(I32(info, 3));
  if (start > end || end > a.ByteLength()) return Num(info, MapErr(-EINVAL));
  iovec iov{a.Data() + start, end - start};
  return Num(info, static_cast<double>(MapErr(Writev(I32(info, 0), &iov, 1))));
}

// writev(fd, chunks: Uint8Array[], firstOffset) -> bytes written or -code. `firstOffset` skips the part of
// chunks[0] already written by an earlier partial call, so JS never has to slice.
Napi::Value WritevFn(const Napi::CallbackInfo& info) {
  constexpr uint32_t kMaxIov = 64;
  Napi::Array arr = info[1].As<Napi::Array>();
  uint32_t count = arr.Length();
  if (count > kMaxIov) count = kMaxIov;
  const size_t firstOffset = static_cast<size_t>(I32(info, 2));
  iovec iov[kMaxIov];
  uint32_t used = 0;
  napi_env env = info.Env();
  for (uint32_t i = 0; i < count; i++) {
    napi_value el;
    if (napi_get_element(env, arr, i, &el) != napi_ok) return Num(info, MapErr(-EINVAL));
    napi_typedarray_type type;
    size_t length;
    void* data;
    napi_value ab;
    size_t byteOffset;
    if (napi_get_typedarray_info(env, el, &type, &length, &data, &ab, &byteOffset) != napi_ok ||
        type != napi_uint8_array) {
      return Num(info, MapErr(-EINVAL));
    }
    size_t skip = i == 0 ? firstOffset : 0;
    if (skip > length) return Num(info, MapErr(-EINVAL));
    if (length == skip) continue;
    iov[used].iov_base = static_cast<uint8_t*>(data) + skip;
    iov[used].iov_len = length - skip;
    used++;
  }
  if (used == 0) return Num(info, 0);
  return Num(info, static_cast<double>(MapErr(Writev(I32(info, 0), iov, static_cast<int>(used)))));
}

// maskCopy(dst, dstStart, src, srcStart, srcEnd, key, phase) -> 0 or -EINVAL. WebSocket payload masking
// (RFC 6455 §5.3): dst[dstStart + i] = src[srcStart + i] ^ key byte (phase + i) % 4, for i < srcEnd - srcStart.
// `key` holds the four masking-key bytes big-endian. Copy and unmask are one pass; src
// and dst may be the same array at the same offset (in place), not otherwise overlapping.
Napi::Value MaskCopyFn(const Napi::CallbackInfo& info) {
  Napi::Uint8Array dst = info[0].As<Napi::Uint8Array>();
  Napi::Uint8Array src = info[2].As<Napi::Uint8Array>();
  const int64_t dstStart = info[1].As<Napi::Number>().Int64Value();
  const int64_t srcStart = info[3].As<Napi::Number>().Int64Value();
  const int64_t srcEnd = info[4].As<Napi::Number>().Int64Value();
  const uint32_t key = info[5].As<Napi::Number>().Uint32Value();
  const uint32_t phase = info[6].As<Napi::Number>().Uint32Value();
  if (srcStart < 0 || srcEnd < srcStart || static_cast<uint64_t>(srcEnd) > src.ByteLength() || dstStart < 0 ||
      static_cast<uint64_t>(dstStart + (srcEnd - srcStart)) > dst.ByteLength()) {
    return Num(info, MapErr(-EINVAL));
  }
  uint8_t kb[8];
  for (uint32_t j = 0; j < 8; j++) kb[j] = static_cast<uint8_t>(key >> (24 - 8 * ((phase + j) & 3)));
  uint64_t k64;
  std::memcpy(&k64, kb, sizeof k64);
  const uint8_t* s = src.Data() + srcStart;
  uint8_t* d = dst.Data() + dstStart;
  const size_t n = static_cast<size_t>(srcEnd - srcStart);
  size_t i = 0;
  // 32 bytes a step in two 16-byte vectors (SSE2 / NEON through the GCC and Clang vector extension: -O2
  // does not vectorize the word loop below by itself), then words, then bytes.
  typedef uint64_t U64x2 __attribute__((vector_size(16)));
  const U64x2 kv = {k64, k64};
  for (; i + 32 <= n; i += 32) {
    U64x2 a;
    U64x2 b;
    std::memcpy(&a, s + i, sizeof a);
    std::memcpy(&b, s + i + 16, sizeof b);
    a ^= kv;
    b ^= kv;
    std::memcpy(d + i, &a, sizeof a);
    std::memcpy(d + i + 16, &b, sizeof b);
  }
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, s + i, sizeof w);
    w ^= k64;
    std::memcpy(d + i, &w, sizeof w);
  }
  // kb repeats with period 4, so kb[i & 7] is key byte (phase + i) % 4 here too.
  for (; i < n; i++) d[i] = s[i] ^ kb[i & 7];
  return Num(info, 0);
}

// sendfile(socketFd, fileFd, offset, length) -> bytes sent or -code. Offsets are doubles (files > 2 GiB).
Napi::Value SendFileFn(const Napi::CallbackInfo& info) {
  const int64_t offset = info[2].As<Napi::Number>().Int64Value();
  const int64_t length = info[3].As<Napi::Number>().Int64Value();
  if (offset < 0 || length < 0) return Num(info, MapErr(-EINVAL));
  return Num(info, static_cast<double>(MapErr(SendFile(I32(info, 0), I32(info, 1), offset,
                                                       static_cast<size_t>(length)))));
}

Napi::Value ShutdownFn(const Napi::CallbackInfo& info) { return Num(info, MapErr(Shutdown(I32(info, 0)))); }

// close(fd): unregisters from the poller (ignoring "not registered") and closes.
Napi::Value CloseFn(const Napi::CallbackInfo& info) {
  Instance* in = Get(info);
  const int fd = I32(info, 0);
  if (in->pollerOpen) in->poller.Remove(fd);
  return Num(info, MapErr(Close(fd)));
}

Napi::Value SetSendBufferFn(const Napi::CallbackInfo& info) {
  return Num(info, MapErr(SetSendBuffer(I32(info, 0), I32(info, 1))));
}

Napi::Value SocketPairFn(const Napi::CallbackInfo& info) {
  int fds[2];
  const int r = SocketPair(fds);
  if (r < 0) return Num(info, MapErr(r));
  Napi::Array a = Napi::Array::New(info.Env(), 2);
  a.Set(0u, fds[0]);
  a.Set(1u, fds[1]);
  return a;
}

template <typename T>
bool TypedData(napi_env env, napi_value v, napi_typedarray_type want, T** data, size_t* count) {
  napi_typedarray_type type;
  size_t length;
  void* ptr;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, &ab, &offset) != napi_ok || type != want) return false;
  *data = static_cast<T*>(ptr);
  *count = length;
  return true;
}

// udpOpen(host, port, recv: Uint8Array, recvMeta: Int32Array, send: Uint8Array, sendMeta: Int32Array,
//         batch, slotBytes, bufferBytes) -> fd or -code. The fd is not registered with the poller yet.
Napi::Value UdpOpenFn(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  Instance* in = Get(info);
  const std::string host = info[0].As<Napi::String>().Utf8Value();
  UdpBuffers b{};
  size_t recvMetaInts = 0;
  size_t sendMetaInts = 0;
  if (!TypedData(env, info[2], napi_uint8_array, &b.recv, &b.recvBytes) ||
      !TypedData(env, info[3], napi_int32_array, &b.recvMeta, &recvMetaInts) ||
      !TypedData(env, info[4], napi_uint8_array, &b.send, &b.sendBytes) ||
      !TypedData(env, info[5], napi_int32_array, &b.sendMeta, &sendMetaInts)) {
    return Num(info, MapErr(-EINVAL));
  }
  b.batch = I32(info, 6);
  b.slotBytes = static_cast<size_t>(I32(info, 7));
  const size_t need = static_cast<size_t>(b.batch) * HAYATE_UDP_META_INTS;
  if (b.batch <= 0 || recvMetaInts < need || sendMetaInts < need) return Num(info, MapErr(-EINVAL));
  int err = 0;
  Udp* u = UdpOpen(host.c_str(), I32(info, 1), b, I32(info, 8), &err);
  if (u == nullptr) return Num(info, MapErr(err));
  UdpEntry entry;
  entry.udp = u;
  for (int i = 0; i < 4; i++) napi_create_reference(env, info[static_cast<size_t>(2 + i)], 1, &entry.refs[i]);
  in->udp[UdpFd(u)] = entry;
  return Num(info, UdpFd(u));
}

Udp* FindUdp(const Napi::CallbackInfo& info) {
  Instance* in = Get(info);
  auto it = in->udp.find(I32(info, 0));
  return it == in->udp.end() ? nullptr : it->second.udp;
}

Napi::Value UdpConnectFn(const Napi::CallbackInfo& info) {
  Udp* u = FindUdp(info);
  if (u == nullptr) return Num(info, MapErr(-EBADF));
  const std::string host = info[1].As<Napi::String>().Utf8Value();
  return Num(info, MapErr(UdpConnect(u, host.c_str(), I32(info, 2))));
}

// udpSend(fd, count) -> records consumed or -code (-EAGAIN: arm WRITABLE and retry).
Napi::Value UdpSendFn(const Napi::CallbackInfo& info) {
  Udp* u = FindUdp(info);
  if (u == nullptr) return Num(info, MapErr(-EBADF));
  return Num(info, MapErr(UdpSend(u, I32(info, 1))));
}

// udpInfo(fd) -> HAYATE_UDP_INFO_* bits, or -code.
Napi::Value UdpInfoFn(const Napi::CallbackInfo& info) {
  Udp* u = FindUdp(info);
  if (u == nullptr) return Num(info, MapErr(-EBADF));
  return Num(info, UdpInfo(u));
}

// udpDropped(fd) -> datagrams dropped by udpSend for non-retryable errors, or -code.
Napi::Value UdpDroppedFn(const Napi::CallbackInfo& info) {
  Udp* u = FindUdp(info);
  if (u == nullptr) return Num(info, MapErr(-EBADF));
  return Num(info, static_cast<double>(UdpDropped(u)));
}

// udpFailSends(fd, count): test hook, the next `count` udpSend calls return -EAGAIN.
Napi::Value UdpFailSendsFn(const Napi::CallbackInfo& info) {
  Udp* u = FindUdp(info);
  if (u == nullptr) return Num(info, MapErr(-EBADF));
  UdpFailSends(u, I32(info, 1));
  return Num(info, 0);
}

// udpClose(fd): unregisters, closes and releases the buffers.
Napi::Value UdpCloseFn(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  Instance* in = Get(info);
  const int fd = I32(info, 0);
  auto it = in->udp.find(fd);
  if (it == in->udp.end()) return Num(info, MapErr(-EBADF));
  if (in->pollerOpen) in->poller.Remove(fd);
  UdpFree(it->second.udp);
  for (napi_ref ref : it->second.refs) {
    if (ref != nullptr) napi_delete_reference(env, ref);
  }
  in->udp.erase(it);
  return Num(info, 0);
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* in = new Instance();
  in->env = env;
  env.SetInstanceData<Instance>(in);
  struct Entry {
    const char* name;
    Napi::Function::Callback fn;
  };
  const Entry entries[] = {
      {"abiVersion", AbiVersion},       {"pollerStart", PollerStart},     {"pollerRef", PollerRef},
      {"pollerAdd", PollerAdd},         {"pollerModify", PollerModify},   {"pollerRemove", PollerRemove},
      {"arenaInit", ArenaInit},         {"arenaBuffer", ArenaBuffer},     {"arenaAcquire", ArenaAcquire},
      {"arenaRelease", ArenaRelease},   {"arenaStats", ArenaStats},       {"listen", ListenFn},
      {"connect", ConnectFn},           {"localPort", LocalPortFn},       {"accept", AcceptFn},
      {"peerName", PeerNameFn},         {"read", ReadFn},                 {"write", WriteFn},
      {"writev", WritevFn},             {"sendfile", SendFileFn},         {"shutdown", ShutdownFn},
      {"close", CloseFn},               {"setSendBuffer", SetSendBufferFn}, {"socketpair", SocketPairFn},
      {"udpOpen", UdpOpenFn},           {"udpConnect", UdpConnectFn},     {"udpSend", UdpSendFn},
      {"udpInfo", UdpInfoFn},           {"udpDropped", UdpDroppedFn},     {"udpClose", UdpCloseFn},
      {"udpFailSends", UdpFailSendsFn}, {"maskCopy", MaskCopyFn},
  };
  for (const Entry& e : entries) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
  RegisterAead(env, exports);
  return exports;
}

}  // namespace hayate

static Napi::Object InitHayate(Napi::Env env, Napi::Object exports) { return hayate::Init(env, exports); }

NODE_API_MODULE(hayate, InitHayate)
