#pragma once
// The attach protocol's wire pieces (docs/attach-protocol.md is the specification): the
// handshake lines, the 4-byte big-endian length-prefixed JSON frames, their limits, and a
// small JSON writer for the frames the library sends. std only, so the library's endpoint and
// any client (regscope's connector, the tests) share one definition.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace regscope::registry::protocol {

inline constexpr int kVersion = 1;
inline constexpr std::string_view kMagic = "7f3a1c9e";
inline constexpr std::string_view kLinePrefix = "REGSCOPE-ATTACH|";
inline constexpr std::size_t kMaxLine = 512;                     // including the '\n'
inline constexpr std::size_t kMaxServerFrame = 4u * 1024 * 1024; // server -> client
inline constexpr std::size_t kMaxClientFrame = 64u * 1024;       // client -> server
inline constexpr std::size_t kSnapshotChunk = 1000;              // entries per snapshot frame
inline constexpr std::size_t kChangeLog = 65536;                 // changes kept per registry
inline constexpr std::size_t kClientQueue = 8u * 1024 * 1024;    // bytes queued per client
inline constexpr std::size_t kAuditTail = 256;                   // audit records per registry
inline constexpr auto kHandshakeTimeout = std::chrono::seconds(5);
inline constexpr auto kDefaultStallTimeout = std::chrono::seconds(5);
inline constexpr auto kMetricsPeriod = std::chrono::seconds(1);

// "REGSCOPE-ATTACH|1|7f3a1c9e\n": what a client sends first.
std::string ClientHello(int version = kVersion);
// The server's answer: "...|ok\n" or "...|refused|<reason>\n" (reason made one line).
std::string ServerOk();
std::string ServerRefusal(std::string_view reason);

// Server side: checks the client's line (without its '\n'). The error is the refusal reason.
std::expected<void, std::string> CheckClientHello(std::string_view line, long hostPid);
// Client side: checks the server's line (without its '\n'). The error is the message to show:
// not a regscope endpoint, another protocol version, or the host's refusal.
std::expected<void, std::string> CheckServerAnswer(std::string_view line, int version = kVersion);

// 4-byte big-endian length + payload.
std::string EncodeFrame(std::string_view json);
void AppendFrame(std::string& out, std::string_view json);

// Incremental decoder for one direction. Feed bytes, then take frames until none is complete.
class FrameDecoder {
public:
    explicit FrameDecoder(std::size_t maxFrame)
        : max_(maxFrame) {}
    void Feed(const char* data, std::size_t n) { buffer_.append(data, n); }
    // A complete frame's JSON text, nullopt when more bytes are needed, or an error (length 0 or
    // above the maximum) after which the stream cannot be resynchronised.
    std::expected<std::optional<std::string>, std::string> Next();
    std::size_t Buffered() const { return buffer_.size() - offset_; }

private:
    std::size_t max_;
    std::string buffer_;
    std::size_t offset_ = 0;
};

// A client frame as the server reads it (a JSON object with a string "type"). Fields of the
// wrong type read as absent, never as an exception: the bytes come from any local process.
struct ClientFrame {
    enum class Type { Ping, Resync, Bye, Unknown };
    Type type = Type::Unknown;
    std::string typeName; // as sent: the "unknown frame type" error quotes it
    std::int64_t id = 0;  // ping: echoed in the pong (0 unless an integer)
    std::string registry; // resync: the registry to snapshot again ("" unless a string)
};
// The error is the reason the client is dropped ("malformed_frame").
std::expected<ClientFrame, std::string> ParseClientFrame(std::string_view json);

// Escapes `s` as a JSON string (with quotes); invalid UTF-8 becomes U+FFFD, so the output is
// always valid JSON whatever bytes a name holds.
void AppendJsonString(std::string& out, std::string_view s);

// A minimal streaming JSON object writer for the hot encoding path (snapshots of 100,000
// entries): no intermediate DOM.
class JsonWriter {
public:
    JsonWriter& Begin() { return Raw('{'); }
    JsonWriter& End() {
        first_ = false;
        return Raw('}');
    }
    JsonWriter& BeginArray(std::string_view key) {
        Key(key);
        first_ = true;
        return Raw('[');
    }
    JsonWriter& EndArray() {
        first_ = false;
        return Raw(']');
    }
    JsonWriter& BeginObjectInArray() {
        Comma();
        first_ = true;
        return Raw('{');
    }
    JsonWriter& BeginObject(std::string_view key) {
        Key(key);
        first_ = true;
        return Raw('{');
    }
    JsonWriter& Str(std::string_view key, std::string_view value) {
        Key(key);
        AppendJsonString(out_, value);
        return *this;
    }
    JsonWriter& StrInArray(std::string_view value) {
        Comma();
        AppendJsonString(out_, value);
        return *this;
    }
    JsonWriter& Int(std::string_view key, std::int64_t value) {
        Key(key);
        out_ += std::to_string(value);
        return *this;
    }
    JsonWriter& UInt(std::string_view key, std::uint64_t value) {
        Key(key);
        out_ += std::to_string(value);
        return *this;
    }
    JsonWriter& UIntInArray(std::uint64_t value) {
        Comma();
        out_ += std::to_string(value);
        return *this;
    }
    JsonWriter& Double(std::string_view key, double value);
    JsonWriter& DoubleInArray(double value);
    JsonWriter& Bool(std::string_view key, bool value) {
        Key(key);
        out_ += value ? "true" : "false";
        return *this;
    }
    std::string& Text() { return out_; }
    std::string Take() { return std::move(out_); }

private:
    JsonWriter& Raw(char c) {
        if (c == '{' || c == '[')
            first_ = true;
        out_ += c;
        return *this;
    }
    void Comma() {
        if (!first_)
            out_ += ',';
        first_ = false;
    }
    void Key(std::string_view key) {
        Comma();
        AppendJsonString(out_, key);
        out_ += ':';
    }
    std::string out_;
    bool first_ = true;
};

} // namespace regscope::registry::protocol
