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

struct HpCtx {
  EVP_CIPHER_CTX* ctx = nullptr;
  bool isChaCha = false;
  ~HpCtx() {
    if (ctx != nullptr) EVP_CIPHER_CTX_free(ctx);
  }
};

// hpNew(kind, key) -> handle, or -1. kind: 0 AES-128-ECB, 1 AES-256-ECB, 2 ChaCha20 (RFC 9001 §5.4.3/4).
Napi::Value HpNew(const Napi::CallbackInfo& info) {
  const int kind = info[0].As<Napi::Number>().Int32Value();
  Napi::Uint8Array key = info[1].As<Napi::Uint8Array>();
  const EVP_CIPHER* cipher = kind == 0   ? EVP_aes_128_ecb()
                             : kind == 1 ? EVP_aes_256_ecb()
                             : kind == 2 ? EVP_chacha20()
                                         : nullptr;
  if (cipher == nullptr || static_cast<int>(key.ByteLength()) != EVP_CIPHER_key_length(cipher)) {
    return Num(info, -1);
  }
  auto* c = new HpCtx();
  c->isChaCha = kind == 2;
  c->ctx = EVP_CIPHER_CTX_new();
  if (c->ctx == nullptr || EVP_EncryptInit_ex(c->ctx, cipher, nullptr, key.Data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(c->ctx, 0) != 1) {
    delete c;
    return Num(info, -1);
  }
  return Napi::External<HpCtx>::New(info.Env(), c, [](Napi::Env, HpCtx* p) { delete p; });
}

// hpMask(handle, bytes, offset, out) -> 0, or -1: the mask for the 16-byte sample at bytes[offset] into
// out[0, 5) (out holds at least 16 bytes). AES: one ECB block (no state between blocks, so the context
// is reused as is); ChaCha20: the sample is the 16-byte counter-and-nonce IV, the mask the keystream
// over five zero bytes.
Napi::Value HpMask(const Napi::CallbackInfo& info) {
  HpCtx* c = info[0].As<Napi::External<HpCtx>>().Data();
  Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
  const int64_t offset = info[2].As<Napi::Number>().Int64Value();
  Napi::Uint8Array out = info[3].As<Napi::Uint8Array>();
  if (offset < 0 || offset + 16 > static_cast<int64_t>(bytes.ByteLength()) || out.ByteLength() < 16) {
    return Num(info, -1);
  }
  const uint8_t* sample = bytes.Data() + offset;
  int n = 0;
  if (c->isChaCha) {
    static const uint8_t kZeros[5] = {0, 0, 0, 0, 0};
    if (EVP_EncryptInit_ex(c->ctx, nullptr, nullptr, nullptr, sample) != 1 ||
        EVP_EncryptUpdate(c->ctx, out.Data(), &n, kZeros, 5) != 1) {
      return Num(info, -1);
    }
  } else if (EVP_EncryptUpdate(c->ctx, out.Data(), &n, sample, 16) != 1 || n != 16) {
    return Num(info, -1);
  }
  return Num(info, 0);
}

}  // namespace

void RegisterAead(Napi::Env env, Napi::Object exports) {
  exports.Set("aeadNew", Napi::Function::New(env, AeadNew, "aeadNew"));
  exports.Set("aeadSeal", Napi::Function::New(env, AeadSeal, "aeadSeal"));
  exports.Set("aeadOpen", Napi::Function::New(env, AeadOpen, "aeadOpen"));
  exports.Set("hpNew", Napi::Function::New(env, HpNew, "hpNew"));
  exports.Set("hpMask", Napi::Function::New(env, HpMask, "hpMask"));
}

}  // namespace hayate
