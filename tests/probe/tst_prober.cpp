// The prober against real loopback listeners: each verdict from a real server (HTTP 200 and
// 503, a gRPC health service SERVING and NOT_SERVING, a listener that accepts and never
// answers, a closed port), the bounds measured (rate, in flight), re-probing on the
// interval, and targets that go.

#include "connectors/probe/ProbeAddress.h"
#include "connectors/probe/Prober.h"
#include "tests/probe/ProbeListeners.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QTest>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>

using namespace Qt::StringLiterals;
using namespace regscope;
using regscope::testing::ListenerHost;

namespace {

// A real gRPC server with grpc++'s default health service.
struct GrpcHealthServer {
    grpc::CallbackGenericService unknown; // a server needs one service of its own (UNIMPLEMENTED)
    std::unique_ptr<grpc::Server> server;
    int port = 0;
    bool start(bool serving) {
        grpc::EnableDefaultHealthCheckService(true);
        grpc::ServerBuilder builder;
        builder.RegisterCallbackGenericService(&unknown);
        builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
        server = builder.BuildAndStart();
        if (!server || port == 0 || !server->GetHealthCheckService())
            return false;
        server->GetHealthCheckService()->SetServingStatus(serving);
        return true;
    }
    ~GrpcHealthServer() {
        if (server)
            server->Shutdown(std::chrono::system_clock::now());
    }
};

// Collects every verdict the prober sends, on the test's thread.
struct Collector {
    std::vector<ProbeEvent> events;
    explicit Collector(Prober& p) {
        QObject::connect(
            &p, &Prober::eventsReady, &p,
            [this](const EventBatchPtr& b) {
                for (const SourceEvent& e : *b)
                    events.push_back(std::get<ProbeEvent>(e));
            },
            Qt::QueuedConnection);
    }
    const ProbeEvent* of(const QString& id) const {
        const auto it = std::find_if(events.rbegin(), events.rend(),
                                     [&id](const ProbeEvent& e) { return e.instanceId == id; });
        return it == events.rend() ? nullptr : &*it;
    }
    qsizetype count(const QString& id) const {
        return std::count_if(events.begin(), events.end(),
                             [&id](const ProbeEvent& e) { return e.instanceId == id; });
    }
};

QString local(const QString& scheme, int port) {
    return u"%1://127.0.0.1:%2"_s.arg(scheme).arg(port);
}

} // namespace

class TestProber : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesAddressesStrictly();
    void verdictsFromRealListeners();
    void rateLimitHolds();
    void inFlightCapHolds();
    void reprobesOnTheIntervalAndForgetsGoneTargets();
};

void TestProber::parsesAddressesStrictly() {
    QCOMPARE(parseProbeAddress(u"http://10.0.0.1"_s)->port, quint16(80));
    QCOMPARE(parseProbeAddress(u"HTTPS://h.example"_s)->port, quint16(443));
    QCOMPARE(parseProbeAddress(u"grpc://[::1]:50051"_s)->authority(), u"[::1]:50051"_s);
    QVERIFY(parseProbeAddress(u"grpc://[::1]:50051"_s)->kind == ProbeAddress::Kind::Grpc);
    QVERIFY(parseProbeAddress(u"redis://h:6379"_s)->kind == ProbeAddress::Kind::Tcp);
    QCOMPARE(parseProbeAddress(u"grpc://host"_s).error(), u"no port"_s);
    QVERIFY(!parseProbeAddress(u"10.0.0.1:80"_s));
    QVERIFY(!parseProbeAddress(u"http://:80"_s));
    QVERIFY(!parseProbeAddress(u"http://h:99999"_s));
    QVERIFY(!parseProbeAddress(u""_s));
}

void TestProber::verdictsFromRealListeners() {
    ListenerHost host;
    const quint16 ok = host.listen(ListenerHost::Kind::Http200);
    const quint16 failing = host.listen(ListenerHost::Kind::Http503);
    const quint16 silent = host.listen(ListenerHost::Kind::Silent);
    const quint16 closed = ListenerHost::closedPort();
    ListenerHost other; // its paths are gRPC's preface, not ours
    const quint16 http1 = other.listen(ListenerHost::Kind::Http200);
    QVERIFY(ok && failing && silent && closed && http1);
    GrpcHealthServer serving;
    GrpcHealthServer notServing;
    QVERIFY(serving.start(true));
    QVERIFY(notServing.start(false));

    const std::vector<std::tuple<QString, QString, ProbeState, QString>> cases{
        {u"http-200"_s, local(u"http"_s, ok), ProbeState::Up, u"HTTP 200 OK"_s},
        {u"http-503"_s, local(u"http"_s, failing), ProbeState::Unhealthy, u"HTTP 503"_s},
        {u"http-silent"_s, local(u"http"_s, silent), ProbeState::Timeout, u"no answer"_s},
        {u"http-closed"_s, local(u"http"_s, closed), ProbeState::Refused, u"refused"_s},
        {u"tcp-open"_s, local(u"tcp"_s, silent), ProbeState::Up, u"connected"_s},
        {u"tcp-closed"_s, local(u"redis"_s, closed), ProbeState::Refused, u"refused"_s},
        {u"grpc-serving"_s, local(u"grpc"_s, serving.port), ProbeState::Up, u"SERVING"_s},
        {u"grpc-not-serving"_s, local(u"grpc"_s, notServing.port), ProbeState::Unhealthy,
         u"NOT_SERVING"_s},
        {u"grpc-silent"_s, local(u"grpc"_s, silent), ProbeState::Timeout, QString()},
        {u"grpc-closed"_s, local(u"grpc"_s, closed), ProbeState::Refused, QString()},
        // It connects, but HTTP/1.1 is not gRPC: it answered, badly.
        {u"grpc-at-http"_s, local(u"grpc"_s, http1), ProbeState::Unhealthy, u"not gRPC"_s},
        {u"bad"_s, u"grpc://nowhere"_s, ProbeState::Refused, u"bad address (no port)"_s},
    };
    ProbeLimits limits;
    limits.ratePerSecond = 1000;
    limits.timeoutMs = 500;
    limits.httpPath = u"/healthz"_s;
    Prober prober(limits);
    Collector got(prober);
    prober.start();
    std::vector<ProbeTarget> targets;
    for (const auto& [id, addr, state, detail] : cases)
        targets.push_back({id, {addr}});
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    prober.updateTargets(targets);
    QTRY_COMPARE_WITH_TIMEOUT(qsizetype(got.events.size()), qsizetype(cases.size()), 10'000);
    for (const auto& [id, addr, state, detail] : cases) {
        const ProbeEvent* e = got.of(id);
        QVERIFY2(e, qPrintable(id));
        QVERIFY2(e->state == state,
                 qPrintable(u"%1: %2 (%3)"_s.arg(id, toString(e->state), e->detail)));
        QVERIFY2(e->detail.contains(detail), qPrintable(id + u": "_s + e->detail));
        QCOMPARE(e->addr, addr);
        QVERIFY(e->atMs >= before && e->atMs <= QDateTime::currentMSecsSinceEpoch());
        QVERIFY(e->latencyMs >= 0);
        if (state == ProbeState::Timeout)
            QVERIFY2(e->latencyMs >= 450 && e->latencyMs < 2000, qPrintable(id));
        else
            QVERIFY2(e->latencyMs < 450, qPrintable(id));
    }
    // The configured health path is what the HTTP servers were asked for.
    QVERIFY(!host.paths().isEmpty());
    for (const QByteArray& path : host.paths())
        QCOMPARE(path, QByteArray("/healthz"));
    prober.stop();
}

void TestProber::rateLimitHolds() {
    // 200 targets that answer at once, at the default 50/s: the rate is the only bound.
    ListenerHost host;
    const quint16 ok = host.listen(ListenerHost::Kind::Http200);
    Prober prober(ProbeLimits{}); // the defaults: 32 in flight, 50/s, 1 s timeout
    Collector got(prober);
    prober.start();
    std::vector<ProbeTarget> targets;
    for (int i = 0; i < 200; ++i)
        targets.push_back({u"i%1"_s.arg(i), {local(u"http"_s, ok)}});
    QElapsedTimer clock;
    clock.start();
    prober.updateTargets(targets);
    QTRY_COMPARE_WITH_TIMEOUT(qsizetype(got.events.size()), qsizetype(200), 20'000);
    const qint64 wall = clock.elapsed();
    prober.stop();

    std::vector<qint64> starts;
    for (const ProbeEvent& e : got.events)
        starts.push_back(e.atMs);
    std::sort(starts.begin(), starts.end());
    const qint64 span = starts.back() - starts.front();
    // 200 starts at 50/s: the last one 199/50 s = 3.98 s after the first, and not much more.
    QVERIFY2(span >= 3900 && span < 5000, qPrintable(u"200 probes started over %1 ms"_s.arg(span)));
    // No second holds more than 50 starts (+1: millisecond stamps at a window's edges).
    size_t most = 0;
    for (size_t i = 0, j = 0; i < starts.size(); ++i) {
        while (starts[i] - starts[j] >= 1000)
            ++j;
        most = std::max(most, i - j + 1);
    }
    QVERIFY2(most <= 51 && most >= 45, qPrintable(u"%1 probes started in one second"_s.arg(most)));
    qInfo("200 probes at 50/s: %lld ms wall, starts over %lld ms, at most %zu in a second", wall,
          span, most);
}

void TestProber::inFlightCapHolds() {
    // 96 silent targets at 500/s: each holds its slot for the whole timeout, so without the
    // cap ~96 would be in flight at once.
    ListenerHost host;
    const quint16 silent = host.listen(ListenerHost::Kind::Silent);
    ProbeLimits limits;
    limits.ratePerSecond = 500;
    limits.timeoutMs = 400;
    Prober prober(limits);
    Collector got(prober);
    prober.start();
    std::vector<ProbeTarget> targets;
    for (int i = 0; i < 96; ++i)
        targets.push_back({u"s%1"_s.arg(i), {local(u"http"_s, silent)}});
    QElapsedTimer clock;
    clock.start();
    prober.updateTargets(targets);
    QTRY_COMPARE_WITH_TIMEOUT(qsizetype(got.events.size()), qsizetype(96), 10'000);
    const qint64 wall = clock.elapsed();
    prober.stop();
    const int maxInFlight = prober.stats().maxInFlight.load();
    QCOMPARE(maxInFlight, 32); // reached, never passed
    // Three rounds of 32, each waiting out its 400 ms timeout.
    QVERIFY2(wall >= 3 * 400 - 50, qPrintable(u"96 timeouts in %1 ms"_s.arg(wall)));
    for (const ProbeEvent& e : got.events)
        QVERIFY(e.state == ProbeState::Timeout);
}

void TestProber::reprobesOnTheIntervalAndForgetsGoneTargets() {
    ListenerHost host;
    const quint16 ok = host.listen(ListenerHost::Kind::Http200);
    const quint16 failing = host.listen(ListenerHost::Kind::Http503);
    ProbeLimits limits;
    limits.intervalMs = 300;
    Prober prober(limits);
    Collector got(prober);
    prober.start();
    prober.updateTargets({{u"a"_s, {local(u"http"_s, ok)}}, {u"b"_s, {local(u"http"_s, ok)}}});
    QTRY_VERIFY_WITH_TIMEOUT(got.count(u"a"_s) >= 4, 5'000);
    std::vector<qint64> at;
    for (const ProbeEvent& e : got.events)
        if (e.instanceId == u"a")
            at.push_back(e.atMs);
    for (size_t i = 1; i < at.size(); ++i)
        QVERIFY2(at[i] - at[i - 1] >= 290 && at[i] - at[i - 1] < 1000,
                 qPrintable(u"re-probed after %1 ms"_s.arg(at[i] - at[i - 1])));
    // b goes; a moves to another address: the old one is not probed again.
    prober.updateTargets({{u"a"_s, {local(u"http"_s, failing)}}}, {u"b"_s});
    QTRY_VERIFY_WITH_TIMEOUT(got.of(u"a"_s)->state == ProbeState::Unhealthy, 5'000);
    const qsizetype bCount = got.count(u"b"_s);
    const qsizetype total = qsizetype(got.events.size());
    // Two more probes of a (one interval apart) are the window b would have been probed in.
    QTRY_VERIFY_WITH_TIMEOUT(qsizetype(got.events.size()) >= total + 2, 5'000);
    QCOMPARE(got.count(u"b"_s), bCount);
    for (qsizetype i = total; i < qsizetype(got.events.size()); ++i)
        QCOMPARE(got.events[size_t(i)].addr, local(u"http"_s, failing));
    prober.clearTargets();
    // A new target probed twice spans an interval in which a, were it still a target, would
    // have been probed again: the only events after the clear are the new target's.
    const qsizetype clearedAt = got.count(u"a"_s);
    prober.updateTargets({{u"c"_s, {local(u"http"_s, ok)}}});
    QTRY_VERIFY_WITH_TIMEOUT(got.count(u"c"_s) >= 2, 5'000);
    QVERIFY(got.count(u"a"_s) <= clearedAt + 1); // at most one already in flight at the clear
    QElapsedTimer stopping;
    stopping.start();
    prober.stop();
    QVERIFY(stopping.elapsed() < 2000);
}

QTEST_GUILESS_MAIN(TestProber)
#include "tst_prober.moc"
