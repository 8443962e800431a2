#pragma once
// A tiny blocking HTTP/1.1 client for the registrator: one request per connection, every
// step under one deadline. Enough for register/renew/cancel; no TLS, no redirects.

#include <chrono>
#include <cstddef>
#include <expected>
#include <string>

namespace regscope::registrator {

struct HttpUrl {
    std::string host;
    std::string port = "80";
    std::string basePath; // without a trailing slash
};

std::expected<HttpUrl, std::string> parseHttpUrl(const std::string& url);

struct HttpResponse {
    int status = 0;
    std::string body;
};

// POSTs an application/x-www-form-urlencoded body. Replies larger than maxReply fail.
std::expected<HttpResponse, std::string> httpPostForm(const HttpUrl& url, const std::string& path,
                                                      const std::string& form,
                                                      std::chrono::milliseconds deadline,
                                                      std::size_t maxReply = 1 << 20);

// Percent-encodes a form value.
std::string formEncode(const std::string& value);

} // namespace regscope::registrator
