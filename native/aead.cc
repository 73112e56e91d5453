// See aead.h. Numbers in, numbers out: -1 for bad arguments or a failed authentication; no exceptions
// except on wrong argument types (programming errors in src/transport/native-aead.ts).
#include "aead.h"

#include <openssl/evp.h>

#include <cstdint>
#include <cstring>

namespace hayate {
namespace {

constexpr int kTagBytes = 16;
constexpr int kNonceBytes = 12;

struct AeadCtx {
  EVP_CIPHER_CTX* enc = nullptr;
  EVP_CIPHER_CTX* dec = nullptr;
  ~AeadCtx() {
    if (enc != nullptr) EVP_CIPHER_CTX_free(enc);
    if (dec != nullptr) EVP_CIPHER_CTX_free(dec);
  }
};

const EVP_CIPHER* CipherOf(int kind) {
  switch (kind) {
    case 0:
      return EVP_aes_128_gcm();
    case 1:
      return EVP_aes_256_gcm();
    case 2:
      return EVP_chacha20_poly1305();
    default:
      return nullptr;
  }
}

Napi::Number Num(const Napi::CallbackInfo& info, double v) { return Napi::Number::New(info.Env(), v); }

AeadCtx* CtxOf(const Napi::CallbackInfo& info) { return info[0].As<Napi::External<AeadCtx>>().Data(); }

// aeadNew(kind, key) -> handle, or -1 (unknown kind, wrong key length, OpenSSL failure).
Napi::Value AeadNew(const Napi::CallbackInfo& info) {
  const EVP_CIPHER* cipher = CipherOf(info[0].As<Napi::Number>().Int32Value());
  Napi::Uint8Array key = info[1].As<Napi::Uint8Array>();
  if (cipher == nullptr || static_cast<int>(key.ByteLength()) != EVP_CIPHER_key_length(cipher)) {
    return Num(info, -1);
  }
  auto* c = new AeadCtx();
  c->enc = EVP_CIPHER_CTX_new();
  c->dec = EVP_CIPHER_CTX_new();
  if (c->enc == nullptr || c->dec == nullptr ||
      EVP_EncryptInit_ex(c->enc, cipher, nullptr, key.Data(), nullptr) != 1 ||
      EVP_DecryptInit_ex(c->dec, cipher, nullptr, key.Data(), nullptr) != 1) {
    delete c;
    return Num(info, -1);
  }
  return Napi::External<AeadCtx>::New(info.Env(), c, [](Napi::Env, AeadCtx* p) { delete p; });
}

// aeadSeal(handle, nonce, aad, buf, start, end) -> 0, or -1: encrypts buf[start, end) in place and writes
// the tag at buf[end, end + 16).
Napi::Value AeadSeal(const Napi::CallbackInfo& info) {
  AeadCtx* c = CtxOf(info);
  Napi::Uint8Array nonce = info[1].As<Napi::Uint8Array>();
  Napi::Uint8Array aad = info[2].As<Napi::Uint8Array>();
  Napi::Uint8Array buf = info[3].As<Napi::Uint8Array>();
  const int64_t start = info[4].As<Napi::Number>().Int64Value();
  const int64_t end = info[5].As<Napi::Number>().Int64Value();
  if (nonce.ByteLength() != kNonceBytes || start < 0 || end < start ||
      end + kTagBytes > static_cast<int64_t>(buf.ByteLength())) {
    return Num(info, -1);
  }
  uint8_t* p = buf.Data();
  int n = 0;
  int tail = 0;
  if (EVP_EncryptInit_ex(c->enc, nullptr, nullptr, nullptr, nonce.Data()) != 1 ||
      EVP_EncryptUpdate(c->enc, nullptr, &n, aad.Data(), static_cast<int>(aad.ByteLength())) != 1 ||
      EVP_EncryptUpdate(c->enc, p + start, &n, p + start, static_cast<int>(end - start)) != 1 ||
      EVP_EncryptFinal_ex(c->enc, p + start + n, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(c->enc, EVP_CTRL_AEAD_GET_TAG, kTagBytes, p + end) != 1) {
    return Num(info, -1);
  }
  return Num(info, 0);
}

// aeadOpen(handle, nonce, aad, src, start, end, dst, dstStart) -> plaintext length, or -1: decrypts
// src[start, end - 16) (tag last) into dst at dstStart. Nothing is promised about dst on failure.
Napi::Value AeadOpen(const Napi::CallbackInfo& info) {
  AeadCtx* c = CtxOf(info);
  Napi::Uint8Array nonce = info[1].As<Napi::Uint8Array>();
  Napi::Uint8Array aad = info[2].As<Napi::Uint8Array>();
  Napi::Uint8Array src = info[3].As<Napi::Uint8Array>();
  const int64_t start = info[4].As<Napi::Number>().Int64Value();
  const int64_t end = info[5].As<Napi::Number>().Int64Value();
  Napi::Uint8Array dst = info[6].As<Napi::Uint8Array>();
  const int64_t dstStart = info[7].As<Napi::Number>().Int64Value();
  const int64_t len = end - start - kTagBytes;
  if (nonce.ByteLength() != kNonceBytes || start < 0 || len < 0 ||
      end > static_cast<int64_t>(src.ByteLength()) || dstStart < 0 ||
      dstStart + len > static_cast<int64_t>(dst.ByteLength())) {
    return Num(info, -1);
  }
  uint8_t tag[kTagBytes];
  std::memcpy(tag, src.Data() + end - kTagBytes, kTagBytes);
  uint8_t* out = dst.Data() + dstStart;
  int n = 0;
  int tail = 0;
  if (EVP_DecryptInit_ex(c->dec, nullptr, nullptr, nullptr, nonce.Data()) != 1 ||
      EVP_CIPHER_CTX_ctrl(c->dec, EVP_CTRL_AEAD_SET_TAG, kTagBytes, tag) != 1 ||
      EVP_DecryptUpdate(c->dec, nullptr, &n, aad.Data(), static_cast<int>(aad.ByteLength())) != 1 ||
      EVP_DecryptUpdate(c->dec, out, &n, src.Data() + start, static_cast<int>(len)) != 1 ||
      EVP_DecryptFinal_ex(c->dec, out + n, &tail) != 1) {
    return Num(info, -1);
  }
  return Num(info, static_cast<double>(n + tail));
}

}  // namespace

void RegisterAead(Napi::Env env, Napi::Object exports) {
  exports.Set("aeadNew", Napi::Function::New(env, AeadNew, "aeadNew"));
  exports.Set("aeadSeal", Napi::Function::New(env, AeadSeal, "aeadSeal"));
  exports.Set("aeadOpen", Napi::Function::New(env, AeadOpen, "aeadOpen"));
}

}  // namespace hayate
