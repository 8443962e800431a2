// The HTTP API end to end against the real regscope-discoveryd on a free loopback port:
// every endpoint and every error code it answers, long-poll wake-up and -304.

#include "tests/discovery/DiscoveryTestSupport.h"

#include <QJsonArray>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope::testing;

namespace {

QUrlQuery form(std::initializer_list<std::pair<QString, QString>> items) {
    QUrlQuery q;
    for (const auto& [k, v] : items)
        q.addQueryItem(k, v);
    return q;
}

QUrlQuery instanceForm(const QString& appid, const QString& host) {
    return form({{u"zone"_s, u"z1"_s},
                 {u"env"_s, u"prod"_s},
                 {u"appid"_s, appid},
                 {u"hostname"_s, host},
                 {u"status"_s, u"1"_s},
                 {u"addrs"_s, u"http://127.0.0.1:8000"_s},
                 {u"addrs"_s, u"grpc://127.0.0.1:9000"_s},
                 {u"version"_s, u"1.2.3"_s},
                 {u"metadata"_s, uR"({"weight":"10"})"_s}});
}

QUrlQuery keyForm(const QString& appid, const QString& host) {
    return form(
        {{u"zone"_s, u"z1"_s}, {u"env"_s, u"prod"_s}, {u"appid"_s, appid}, {u"hostname"_s, host}});
}

} // namespace

class TestDiscoverydHttp : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void registerAndFetch();
    void registerRejectsBadParameters_data();
    void registerRejectsBadParameters();
    void renewAndCancel();
    void fetchAndFetchs();
    void pollAnswersWakesAndTimesOut();
    void pollsAcrossApps();
    void pollErrors();
    void setAndNodesAndFetchAll();
    void transportRefusals();
    void quotaIsUnavailable();
    void metricsAndStatus();
    void evictionEndToEnd();
    void hungUpPollIsForgotten();

private:
    ApiResult get(const QString& pathAndQuery) {
        return httpGet(m_nam, QUrl(m_server.url().toString() + pathAndQuery));
    }
    ApiResult post(const QString& path, const QUrlQuery& f) {
        return httpPost(m_nam, m_server.url(path), f);
    }
    qint64 latestOf(const QString& appid) {
        const auto r = get(u"/discovery/fetch?env=prod&status=3&appid="_s + appid);
        return r.data.toObject().value(u"latest_timestamp"_s).toInteger();
    }

    DiscoverydProcess m_server;
    QNetworkAccessManager m_nam;
};

void TestDiscoverydHttp::initTestCase() {
    QVERIFY(m_server.start({u"--poll-timeout"_s, u"400ms"_s, u"--max-body"_s, u"4096"_s,
                            u"--max-instances-per-app"_s, u"5"_s, u"--zone"_s, u"sh001"_s}));
}

void TestDiscoverydHttp::registerAndFetch() {
    auto r = post(u"/discovery/register"_s, instanceForm(u"app.a"_s, u"h1"_s));
    QCOMPARE(r.httpStatus, 200);
    QCOMPARE(r.code, 0);
    QVERIFY(r.data.isUndefined()); // "data omitted when empty"
    r = get(u"/discovery/fetch?env=prod&appid=app.a&status=1"_s);
    QCOMPARE(r.code, 0);
    const auto info = r.data.toObject();
    QVERIFY(info.value(u"latest_timestamp"_s).toInteger() > 0);
    const auto list = info.value(u"instances"_s).toObject().value(u"z1"_s).toArray();
    QCOMPARE(list.size(), 1);
    const auto inst = list.first().toObject();
    QCOMPARE(inst.value(u"hostname"_s).toString(), u"h1"_s);
    QCOMPARE(inst.value(u"addrs"_s).toArray().size(), 2);
    QCOMPARE(inst.value(u"metadata"_s).toObject().value(u"weight"_s).toString(), u"10"_s);
    QCOMPARE(inst.value(u"status"_s).toInt(), 1);
    QCOMPARE(inst.value(u"version"_s).toString(), u"1.2.3"_s);
    for (const auto* k : {"reg_timestamp", "up_timestamp", "renew_timestamp", "dirty_timestamp",
                          "latest_timestamp"})
        QVERIFY2(inst.value(QLatin1StringView(k)).toInteger() > 1'000'000'000'000'000'000, k);
}

void TestDiscoverydHttp::registerRejectsBadParameters_data() {
    QTest::addColumn<QString>("drop");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("named");
    for (const auto* p : {"zone", "env", "appid", "hostname", "status", "addrs"})
        QTest::addRow("missing %s", p)
            << QString::fromLatin1(p) << QString() << QString() << QString::fromLatin1(p);
    QTest::newRow("status 3") << u"status"_s << u"status"_s << u"3"_s << u"status"_s;
    QTest::newRow("status text") << u"status"_s << u"status"_s << u"up"_s << u"status"_s;
    QTest::newRow("addr no scheme") << u"addrs"_s << u"addrs"_s << u"1.2.3.4:80"_s << u"addrs"_s;
    QTest::newRow("metadata not json") << QString() << u"metadata"_s << u"{oops"_s << u"metadata"_s;
    QTest::newRow("metadata not strings")
        << QString() << u"metadata"_s << uR"({"a":1})"_s << u"metadata"_s;
    QTest::newRow("latest not int")
        << QString() << u"latest_timestamp"_s << u"x"_s << u"latest_timestamp"_s;
}

void TestDiscoverydHttp::registerRejectsBadParameters() {
    QFETCH(QString, drop);
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, named);
    auto f = instanceForm(u"app.bad"_s, u"h1"_s);
    if (!drop.isEmpty())
        f.removeAllQueryItems(drop);
    if (key == u"metadata"_s)
        f.removeAllQueryItems(key);
    if (!key.isEmpty())
        f.addQueryItem(key, value);
    const auto r = post(u"/discovery/register"_s, f);
    QCOMPARE(r.httpStatus, 200);
    QCOMPARE(r.code, -400);
    QVERIFY2(r.message.contains(named), qPrintable(r.message)); // names the parameter
    // Nothing was stored by the bad request.
    QCOMPARE(get(u"/discovery/fetch?env=prod&appid=app.bad&status=3"_s).code, -404);
}

void TestDiscoverydHttp::renewAndCancel() {
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"app.r"_s, u"h1"_s)).code, 0);
    auto r = post(u"/discovery/renew"_s, keyForm(u"app.r"_s, u"h1"_s));
    QCOMPARE(r.code, 0);
    QCOMPARE(r.data.toObject().value(u"hostname"_s).toString(), u"h1"_s);
    QCOMPARE(post(u"/discovery/renew"_s, keyForm(u"app.r"_s, u"nope"_s)).code, -404);
    QCOMPARE(post(u"/discovery/renew"_s, keyForm(u"app.none"_s, u"h1"_s)).code, -404);
    auto missing = keyForm(u"app.r"_s, u"h1"_s);
    missing.removeAllQueryItems(u"hostname"_s);
    r = post(u"/discovery/renew"_s, missing);
    QCOMPARE(r.code, -400);
    QVERIFY(r.message.contains(u"hostname"_s));
    // A peer's renew carrying an older dirty timestamp conflicts.
    auto repl = keyForm(u"app.r"_s, u"h1"_s);
    repl.addQueryItem(u"replication"_s, u"true"_s);
    repl.addQueryItem(u"dirty_timestamp"_s, u"1"_s);
    QCOMPARE(post(u"/discovery/renew"_s, repl).code, -409);

    QCOMPARE(post(u"/discovery/cancel"_s, keyForm(u"app.r"_s, u"h1"_s)).code, 0);
    QCOMPARE(post(u"/discovery/cancel"_s, keyForm(u"app.r"_s, u"h1"_s)).code, -404);
    QCOMPARE(post(u"/discovery/renew"_s, keyForm(u"app.r"_s, u"h1"_s)).code, -404);
}

void TestDiscoverydHttp::fetchAndFetchs() {
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"app.f1"_s, u"h1"_s)).code, 0);
    auto waiting = instanceForm(u"app.f1"_s, u"h2"_s);
    waiting.removeAllQueryItems(u"status"_s);
    waiting.addQueryItem(u"status"_s, u"2"_s);
    QCOMPARE(post(u"/discovery/register"_s, waiting).code, 0);
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"app.f2"_s, u"h1"_s)).code, 0);
    auto count = [](const ApiResult& r) {
        return r.data.toObject().value(u"instances"_s).toObject().value(u"z1"_s).toArray().size();
    };
    QCOMPARE(count(get(u"/discovery/fetch?env=prod&appid=app.f1&status=1"_s)), 1);
    QCOMPARE(count(get(u"/discovery/fetch?env=prod&appid=app.f1&status=2"_s)), 1);
    QCOMPARE(count(get(u"/discovery/fetch?env=prod&appid=app.f1&status=3"_s)), 2);
    QCOMPARE(count(get(u"/discovery/fetch?env=prod&appid=app.f1&status=3&zone=z1"_s)), 2);
    QCOMPARE(get(u"/discovery/fetch?env=prod&appid=app.f1&status=3&zone=zz"_s).code, -404);
    QCOMPARE(get(u"/discovery/fetch?env=prod&appid=app.zzz&status=3"_s).code, -404);
    QCOMPARE(get(u"/discovery/fetch?env=prod&appid=app.f1&status=4"_s).code, -400);
    QCOMPARE(get(u"/discovery/fetch?env=prod&status=1"_s).code, -400);
    QCOMPARE(get(u"/discovery/fetch?appid=app.f1&status=1"_s).code, -400);

    const auto r =
        get(u"/discovery/fetchs?env=prod&appid=app.f1&appid=app.f2&appid=gone&status=3"_s);
    QCOMPARE(r.code, 0);
    const auto m = r.data.toObject();
    QCOMPARE(m.size(), 2);
    QVERIFY(m.contains(u"app.f1"_s));
    QVERIFY(m.contains(u"app.f2"_s));
    QCOMPARE(get(u"/discovery/fetchs?env=prod&status=3"_s).code, -400);
}

void TestDiscoverydHttp::pollAnswersWakesAndTimesOut() {
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"app.p"_s, u"h1"_s)).code, 0);
    // latest_timestamp = 0 (or absent) always answers at once.
    auto r = get(u"/discovery/poll?env=prod&appid=app.p&hostname=me&latest_timestamp=0"_s);
    QCOMPARE(r.code, 0);
    const qint64 latest = r.data.toObject().value(u"latest_timestamp"_s).toInteger();
    QVERIFY(latest > 0);
    QCOMPARE(get(u"/discovery/poll?env=prod&appid=app.p&hostname=me"_s).code, 0);

    // Parked, then woken by a register of that appid.
    const QString parkedUrl =
        m_server.url().toString() +
        u"/discovery/poll?env=prod&appid=app.p&hostname=me&latest_timestamp="_s +
        QString::number(latest);
    PendingRequest parked(m_nam, QUrl(parkedUrl));
    QTRY_COMPARE_WITH_TIMEOUT(get(u"/status"_s).data.toObject().value(u"parked_polls"_s).toInt(), 1,
                              5000);
    QVERIFY(!parked.isFinished());
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"app.p"_s, u"h2"_s)).code, 0);
    r = parked.wait(5000);
    QCOMPARE(r.code, 0);
    QVERIFY(r.data.toObject().value(u"latest_timestamp"_s).toInteger() > latest);
    QCOMPARE(r.data.toObject().value(u"instances"_s).toObject().value(u"z1"_s).toArray().size(), 2);

    // No change: -304 after the (shortened) wait.
    const qint64 now = latestOf(u"app.p"_s);
    PendingRequest idle(
        m_nam, QUrl(m_server.url().toString() +
                    u"/discovery/poll?env=prod&appid=app.p&hostname=me&latest_timestamp="_s +
                    QString::number(now)));
    r = idle.wait(5000);
    QCOMPARE(r.httpStatus, 200);
    QCOMPARE(r.code, -304);
}

void TestDiscoverydHttp::pollsAcrossApps() {
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"app.m1"_s, u"h1"_s)).code, 0);
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"app.m2"_s, u"h1"_s)).code, 0);
    const qint64 l1 = latestOf(u"app.m1"_s);
    const qint64 l2 = latestOf(u"app.m2"_s);
    // One app newer than the client's stamp: answered at once with just that app.
    auto r =
        get(u"/discovery/polls?env=prod&hostname=me&appid=app.m1&appid=app.m2&latest_timestamp="_s +
            QString::number(l1) + u"&latest_timestamp=0"_s);
    QCOMPARE(r.code, 0);
    QCOMPARE(r.data.toObject().keys(), QStringList{u"app.m2"_s});

    PendingRequest parked(
        m_nam,
        QUrl(
            m_server.url().toString() +
            u"/discovery/polls?env=prod&hostname=me&appid=app.m1&appid=app.m2&latest_timestamp="_s +
            QString::number(l1) + u"&latest_timestamp="_s + QString::number(l2)));
    QTRY_COMPARE_WITH_TIMEOUT(get(u"/status"_s).data.toObject().value(u"parked_polls"_s).toInt(), 1,
                              5000);
    QCOMPARE(post(u"/discovery/cancel"_s, keyForm(u"app.m2"_s, u"h1"_s)).code, 0);
    r = parked.wait(5000);
    QCOMPARE(r.code, 0);
    const auto m = r.data.toObject();
    QCOMPARE(m.keys(), QStringList{u"app.m2"_s});
    QVERIFY(m.value(u"app.m2"_s).toObject().value(u"instances"_s).toObject().isEmpty());
}

void TestDiscoverydHttp::pollErrors() {
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"app.pe"_s, u"h1"_s)).code, 0);
    QCOMPARE(get(u"/discovery/poll?env=prod&appid=app.unknown&hostname=me"_s).code, -404);
    QCOMPARE(
        get(u"/discovery/polls?env=prod&appid=app.pe&appid=app.unknown&hostname=me&latest_timestamp=0&latest_timestamp=0"_s)
            .code,
        -404);
    auto r = get(
        u"/discovery/polls?env=prod&appid=app.pe&appid=app.pe&hostname=me&latest_timestamp=0"_s);
    QCOMPARE(r.code, -400);
    QVERIFY(r.message.contains(u"latest_timestamp"_s));
    r = get(u"/discovery/poll?env=prod&appid=app.pe"_s);
    QCOMPARE(r.code, -400);
    QVERIFY(r.message.contains(u"hostname"_s));
    QCOMPARE(get(u"/discovery/poll?appid=app.pe&hostname=me"_s).code, -400);
    QCOMPARE(get(u"/discovery/poll?env=prod&appid=app.pe&hostname=me&latest_timestamp=abc"_s).code,
             -400);
}

void TestDiscoverydHttp::setAndNodesAndFetchAll() {
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"app.s"_s, u"h1"_s)).code, 0);
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"app.s"_s, u"h2"_s)).code, 0);
    auto f = form({{u"zone"_s, u"z1"_s}, {u"env"_s, u"prod"_s}, {u"appid"_s, u"app.s"_s}});
    f.addQueryItem(u"hostname"_s, u"h1"_s);
    f.addQueryItem(u"hostname"_s, u"h2"_s);
    f.addQueryItem(u"status"_s, u"2"_s);
    f.addQueryItem(u"status"_s, u"1"_s);
    f.addQueryItem(u"metadata"_s, uR"({"color":"blue"})"_s);
    f.addQueryItem(u"metadata"_s, uR"({"color":"green"})"_s);
    QCOMPARE(post(u"/discovery/set"_s, f).code, 0);
    auto r = get(u"/discovery/fetch?env=prod&appid=app.s&status=2"_s);
    const auto waiting =
        r.data.toObject().value(u"instances"_s).toObject().value(u"z1"_s).toArray();
    QCOMPARE(waiting.size(), 1);
    QCOMPARE(waiting.first().toObject().value(u"hostname"_s).toString(), u"h1"_s);
    QCOMPARE(
        waiting.first().toObject().value(u"metadata"_s).toObject().value(u"color"_s).toString(),
        u"blue"_s);

    auto bad = form({{u"zone"_s, u"z1"_s}, {u"env"_s, u"prod"_s}, {u"appid"_s, u"app.s"_s}});
    bad.addQueryItem(u"hostname"_s, u"h1"_s);
    bad.addQueryItem(u"hostname"_s, u"h2"_s);
    bad.addQueryItem(u"status"_s, u"1"_s); // one status for two hostnames
    QCOMPARE(post(u"/discovery/set"_s, bad).code, -400);
    auto unknown = form({{u"zone"_s, u"z1"_s},
                         {u"env"_s, u"prod"_s},
                         {u"appid"_s, u"app.s"_s},
                         {u"hostname"_s, u"ghost"_s},
                         {u"status"_s, u"1"_s}});
    QCOMPARE(post(u"/discovery/set"_s, unknown).code, -404);
    auto noApp = form({{u"zone"_s, u"z1"_s},
                       {u"env"_s, u"prod"_s},
                       {u"appid"_s, u"app.ghost"_s},
                       {u"hostname"_s, u"h1"_s}});
    QCOMPARE(post(u"/discovery/set"_s, noApp).code, -404);
    // h1 is still WAITING: the failed sets changed nothing.
    QCOMPARE(get(u"/discovery/fetch?env=prod&appid=app.s&status=2"_s)
                 .data.toObject()
                 .value(u"instances"_s)
                 .toObject()
                 .value(u"z1"_s)
                 .toArray()
                 .size(),
             1);

    r = get(u"/discovery/nodes"_s);
    QCOMPARE(r.code, 0);
    const auto nodes = r.data.toArray();
    QCOMPARE(nodes.size(), 1);
    QCOMPARE(nodes.first().toObject().value(u"addr"_s).toString(), m_server.address());
    QCOMPARE(nodes.first().toObject().value(u"status"_s).toInt(), 0);
    QCOMPARE(nodes.first().toObject().value(u"zone"_s).toString(), u"sh001"_s);

    r = get(u"/discovery/fetch/all"_s);
    QCOMPARE(r.code, 0);
    QCOMPARE(r.data.toObject().value(u"app.s"_s).toArray().size(), 2);
}

void TestDiscoverydHttp::transportRefusals() {
    const auto before = get(u"/discovery/fetch/all"_s).raw;
    // A body over the cap is refused before parsing; nothing changes.
    QByteArray big = "zone=z1&env=prod&appid=app.big&hostname=h&status=1&addrs=http://a:1&version=";
    big += QByteArray(8192, 'x');
    auto r = httpPostRaw(m_nam, m_server.url(u"/discovery/register"_s), big,
                         "application/x-www-form-urlencoded");
    QCOMPARE(r.httpStatus, 413);
    QCOMPARE(r.code, -400);
    QCOMPARE(get(u"/discovery/fetch/all"_s).raw, before);
    // Not form-encoded.
    r = httpPostRaw(m_nam, m_server.url(u"/discovery/register"_s), "{\"zone\":\"z1\"}",
                    "application/json");
    QCOMPARE(r.code, -400);
    // Malformed escapes.
    r = httpPostRaw(m_nam, m_server.url(u"/discovery/register"_s), "zone=%zz",
                    "application/x-www-form-urlencoded");
    QCOMPARE(r.code, -400);
    // Wrong method, unknown path.
    r = get(u"/discovery/register?zone=z1"_s);
    QCOMPARE(r.httpStatus, 405);
    QCOMPARE(r.code, -400);
    r = post(u"/discovery/fetch"_s, form({{u"env"_s, u"prod"_s}}));
    QCOMPARE(r.httpStatus, 405);
    r = get(u"/nope"_s);
    QCOMPARE(r.httpStatus, 404);
    QCOMPARE(r.code, -404);
    QCOMPARE(get(u"/discovery/fetch/all"_s).raw, before);
}

void TestDiscoverydHttp::quotaIsUnavailable() {
    for (int i = 0; i < 5; ++i)
        QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"app.q"_s, u"h%1"_s.arg(i))).code, 0);
    const auto r = post(u"/discovery/register"_s, instanceForm(u"app.q"_s, u"h5"_s));
    QCOMPARE(r.code, -503);
    QVERIFY(!r.message.isEmpty());
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"app.q"_s, u"h0"_s)).code, 0);
    QCOMPARE(get(u"/discovery/fetch?env=prod&appid=app.q&status=3"_s)
                 .data.toObject()
                 .value(u"instances"_s)
                 .toObject()
                 .value(u"z1"_s)
                 .toArray()
                 .size(),
             5);
}

void TestDiscoverydHttp::metricsAndStatus() {
    const auto r = httpGet(m_nam, m_server.url(u"/metrics"_s));
    QCOMPARE(r.httpStatus, 200);
    const QString text = QString::fromUtf8(r.raw);
    for (const auto* name :
         {"discovery_instances ", "discovery_renews_last_window ", "discovery_renew_threshold ",
          "discovery_self_protection ", "discovery_evictions_total ",
          "discovery_requests_total{endpoint=\"/discovery/register\",code=\"0\"} ",
          "discovery_requests_total{endpoint=\"/discovery/register\",code=\"-400\"} ",
          "discovery_requests_total{endpoint=\"/discovery/register\",code=\"-503\"} "})
        QVERIFY2(text.contains(QLatin1StringView(name)), name);
    const auto s = get(u"/status"_s);
    QCOMPARE(s.code, 0);
    const auto o = s.data.toObject();
    QVERIFY(o.value(u"instances"_s).toInt() > 0);
    QVERIFY(o.contains(u"self_protection"_s));
    QVERIFY(o.contains(u"threshold"_s));
    QVERIFY(o.contains(u"renews_last_window"_s));
    QVERIFY(o.value(u"requests"_s).toObject().contains(u"/discovery/register"_s));
}

void TestDiscoverydHttp::evictionEndToEnd() {
    // Its own server with tiny durations and no protection (threshold 0).
    DiscoverydProcess fast;
    QVERIFY(fast.start({u"--evict-interval"_s, u"100ms"_s, u"--evict-threshold"_s, u"300ms"_s,
                        u"--renew-interval"_s, u"100ms"_s, u"--percent-threshold"_s, u"0"_s}));
    QCOMPARE(
        httpPost(m_nam, fast.url(u"/discovery/register"_s), instanceForm(u"app.e"_s, u"h1"_s)).code,
        0);
    auto fetchCode = [&] {
        const auto r =
            httpGet(m_nam, fast.url(u"/discovery/fetch?env=prod&appid=app.e&status=3"_s));
        return r.data.toObject().value(u"instances"_s).toObject().size();
    };
    QCOMPARE(fetchCode(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(fetchCode(), 0, 10'000);
    const auto s = httpGet(m_nam, fast.url(u"/status"_s)).data.toObject();
    QCOMPARE(s.value(u"evictions"_s).toInt(), 1);
}

void TestDiscoverydHttp::hungUpPollIsForgotten() {
    QCOMPARE(post(u"/discovery/register"_s, instanceForm(u"app.h"_s, u"h1"_s)).code, 0);
    // A long poll timeout so only the hang-up can free the slot quickly.
    DiscoverydProcess slow;
    QVERIFY(slow.start({u"--poll-timeout"_s, u"60s"_s}));
    QCOMPARE(
        httpPost(m_nam, slow.url(u"/discovery/register"_s), instanceForm(u"app.h"_s, u"h1"_s)).code,
        0);
    const qint64 latest =
        httpGet(m_nam, slow.url(u"/discovery/fetch?env=prod&appid=app.h&status=3"_s))
            .data.toObject()
            .value(u"latest_timestamp"_s)
            .toInteger();
    auto parkedCount = [&] {
        return httpGet(m_nam, slow.url(u"/status"_s))
            .data.toObject()
            .value(u"parked_polls"_s)
            .toInt();
    };
    {
        PendingRequest parked(
            m_nam, QUrl(slow.url().toString() +
                        u"/discovery/poll?env=prod&appid=app.h&hostname=me&latest_timestamp="_s +
                        QString::number(latest)));
        QTRY_COMPARE_WITH_TIMEOUT(parkedCount(), 1, 5000);
        parked.abort();
    }
    QTRY_COMPARE_WITH_TIMEOUT(parkedCount(), 0, 5000);
}

QTEST_GUILESS_MAIN(TestDiscoverydHttp)
#include "tst_discoveryd_http.moc"
