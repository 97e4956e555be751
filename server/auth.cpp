// Token hashing and checking with OpenSSL's libcrypto (SHA-256, RAND_bytes).
#include "auth.h"

#include <stdexcept>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "http_support.h"

namespace intake::server {

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char c : digest) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

std::string new_token_secret() {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("no randomness for a new token");
  return "itk_" + base64url_encode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
}

bool authorized(store::Store& store, const httplib::Request& req) {
  std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) return false;
  std::string_view secret = std::string_view(header).substr(kBearer.size());
  while (!secret.empty() && secret.back() == ' ') secret.remove_suffix(1);
  if (secret.empty() || secret.size() > 256) return false;
  return store.find_token(sha256_hex(secret)).has_value();
}

}  // namespace intake::server
