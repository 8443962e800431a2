// A program that embeds the installed registry library and nothing else of regscope. Run with
// REGSCOPE_DEBUG=1 it can be attached to; it prints "READY <pid>" and runs until stdin closes.
#include <iostream>
#include <memory>
#include <regscope/registry.h>
#include <string>

struct Codec {
    virtual ~Codec() = default;
    virtual std::string Encode(std::string in) = 0;
};
struct Gzip final : Codec {
    std::string Encode(std::string in) override { return "gz:" + in; }
};

int main() {
    using namespace regscope::registry;
    debug::SetProcessName(
        "consumer-demo"); // the explicit API; the endpoint itself comes from the environment
    Registry<Codec> codecs({.typeName = "codec", .audit = std::make_shared<NullAuditSink>()});
    if (!codecs.Register("gzip", "1.4.0", std::make_shared<Gzip>(), {.kind = "compression"}))
        return 1;
    (void)codecs.Register("gzip", "2.0.0-rc.1", std::make_shared<Gzip>());
    (void)codecs.AddAlias({}, {.alias = "zlib", .target = "gzip", .message = "use gzip"});
    auto h = codecs.Lookup("gzip", "^1.2");
    if (!h || (*h)->Encode("x") != "gz:x")
        return 2;
    if (codecs.Lookup("brotli").error().code != ErrorCode::NotFound)
        return 3;
    std::cout << "READY " << (debug::Running() ? debug::SocketPath() : std::string("-"))
              << std::endl;
    std::string line;
    while (std::getline(std::cin, line))
        (void)codecs.Lookup(line);
    return 0;
}
