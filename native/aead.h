// QUIC packet protection AEADs (RFC 9001 §5.3) over the OpenSSL that Node links: one cipher context per
// key and direction, re-keyed with only a new nonce per packet, sealing in place and opening into a
// caller-given buffer (node:crypto creates a context, expands the key and allocates output per packet).
#pragma once
#include <napi.h>

namespace hayate {

// Adds aeadNew, aeadSeal, aeadOpen (packet payloads) and hpNew, hpMask (header protection) to `exports`.
void RegisterAead(Napi::Env env, Napi::Object exports);

}  // namespace hayate
