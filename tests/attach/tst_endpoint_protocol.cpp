// The attach protocol's wire pieces on their own: handshake lines both ways, frame decoding at
// its limits, and JSON strings that stay valid whatever bytes a name holds.

#include "models/registry/EndpointProtocol.h"

#include <QTest>

#include <nlohmann/json.hpp>

namespace proto = regscope::registry::protocol;

class TestEndpointProtocol : public QObject {
    Q_OBJECT

private slots:
    void handshakeLines() {
        QCOMPARE(proto::ClientHello(), std::string("REGSCOPE-ATTACH|1|7f3a1c9e\n"));
        QCOMPARE(proto::ServerOk(), std::string("REGSCOPE-ATTACH|1|7f3a1c9e|ok\n"));
        QVERIFY(proto::CheckClientHello("REGSCOPE-ATTACH|1|7f3a1c9e", 42));
        const auto v2 = proto::CheckClientHello("REGSCOPE-ATTACH|2|7f3a1c9e", 42);
        QVERIFY(!v2);
        QCOMPARE(v2.error(), std::string("protocol version 2 is not supported: this host (pid 42) "
                                         "speaks attach protocol 1"));
        const auto magic = proto::CheckClientHello("REGSCOPE-ATTACH|1|deadbeef", 42);
        QVERIFY(!magic);
        QCOMPARE(magic.error(),
                 std::string("not a regscope attach handshake: \"REGSCOPE-ATTACH|1|deadbeef\""));
        const auto binary = proto::CheckClientHello(std::string("\x16\x03\x01\x02\x00", 5), 42);
        QVERIFY(!binary);
        QVERIFY2(binary.error().find("\\x16\\x03") != std::string::npos, binary.error().c_str());
        QVERIFY(!proto::CheckClientHello("REGSCOPE-ATTACH|x|7f3a1c9e", 42));
    }

    void serverAnswers() {
        QVERIFY(proto::CheckServerAnswer("REGSCOPE-ATTACH|1|7f3a1c9e|ok"));
        const auto refused = proto::CheckServerAnswer(
            proto::ServerRefusal("permission denied: x\ny")
                .substr(0, proto::ServerRefusal("permission denied: x\ny").size() - 1));
        QVERIFY(!refused);
        QCOMPARE(refused.error(), std::string("host refused the attach: permission denied: x y"));
        const auto newer = proto::CheckServerAnswer("REGSCOPE-ATTACH|3|7f3a1c9e|ok");
        QVERIFY(!newer);
        QCOMPARE(newer.error(),
                 std::string("host speaks attach protocol 3; this regscope speaks 1"));
        const auto http = proto::CheckServerAnswer("HTTP/1.1 400 Bad Request");
        QVERIFY(!http);
        QCOMPARE(http.error(),
                 std::string("not a regscope debug endpoint: \"HTTP/1.1 400 Bad Request\""));
    }

    void frames() {
        proto::FrameDecoder d(16);
        const auto a = proto::EncodeFrame(R"({"type":"a"})");
        QCOMPARE(a.size(), 4u + 12u);
        QCOMPARE(static_cast<unsigned char>(a[3]), 12u); // big-endian length
        std::string two = a + proto::EncodeFrame(R"({"t":1})");
        d.Feed(two.data(), 5); // a partial frame: nothing yet
        auto f = d.Next();
        QVERIFY(f && !*f);
        d.Feed(two.data() + 5, two.size() - 5);
        f = d.Next();
        QVERIFY(f && *f);
        QCOMPARE(**f, std::string(R"({"type":"a"})"));
        f = d.Next();
        QVERIFY(f && *f);
        QCOMPARE(**f, std::string(R"({"t":1})"));
        const std::string big = proto::EncodeFrame(std::string(17, 'x'));
        d.Feed(big.data(), 4); // the length alone is enough to refuse it
        f = d.Next();
        QVERIFY(!f);
        QCOMPARE(f.error(), std::string("frame length 17 is outside 1..16"));
        proto::FrameDecoder zero(16);
        zero.Feed("\0\0\0\0", 4);
        QVERIFY(!zero.Next());
    }

    void jsonStringsAlwaysValid() {
        const std::string nasty = std::string("a\"b\\c\n\x01") + "\xff\xfe" + "\xc3\xa9" +
                                  "\xed\xa0\x80" + "\xf0\x9f\x98\x80";
        std::string out;
        proto::AppendJsonString(out, nasty);
        const auto j = nlohmann::json::parse(out); // throws on invalid JSON or UTF-8
        const std::string back = j.get<std::string>();
        QVERIFY(back.starts_with("a\"b\\c\n\x01"));
        QVERIFY(back.find("\xc3\xa9") != std::string::npos);         // é passes
        QVERIFY(back.find("\xf0\x9f\x98\x80") != std::string::npos); // 😀 passes
        QVERIFY(back.find("\xef\xbf\xbd") != std::string::npos);     // invalid bytes: U+FFFD
        proto::JsonWriter w;
        w.Begin()
            .Str("k", "v")
            .BeginArray("a")
            .UIntInArray(1)
            .UIntInArray(2)
            .EndArray()
            .BeginObject("o")
            .Bool("b", true)
            .End()
            .Double("d", 0.5)
            .End();
        const auto parsed = nlohmann::json::parse(w.Text());
        QCOMPARE(parsed["a"].size(), 2u);
        QCOMPARE(parsed["o"]["b"].get<bool>(), true);
        QCOMPARE(parsed["d"].get<double>(), 0.5);
    }
};

QTEST_GUILESS_MAIN(TestEndpointProtocol)
#include "tst_endpoint_protocol.moc"
