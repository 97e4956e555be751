// Bearer tokens: secrets are random, shown once, and stored only as SHA-256 hashes; a request
// is authorized when the hash of its bearer secret matches a stored one (compared in constant
// time by the store).
#pragma once

#include <string>
#include <string_view>

#include <httplib.h>

#include "store/store.h"

namespace intake::server {

std::string sha256_hex(std::string_view bytes);

// A new secret: "itk_" followed by 43 base64url characters (256 random bits).
std::string new_token_secret();

// True when the request carries "Authorization: Bearer <secret>" of a stored token.
bool authorized(store::Store& store, const httplib::Request& req);

}  // namespace intake::server
