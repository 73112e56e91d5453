// hayate native addon: entry point. Knows nothing of HTTP (STYLE §2).
// This first version exports only its ABI version; the poller, sockets, sendfile and arenas follow.
#include <napi.h>

namespace {

constexpr uint32_t kAbiVersion = 1;

Napi::Value AbiVersion(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), kAbiVersion);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Function::New(env, AbiVersion, "abiVersion"));
  return exports;
}

}  // namespace

NODE_API_MODULE(hayate, Init)
