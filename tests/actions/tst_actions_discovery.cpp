// Discovery actions against the real regscope-discoveryd: cancel, set status/metadata of
// several instances in one all-or-nothing request (a set naming one unknown host changes
// nothing), a test instance registered from the form, and the server's answer shown on failure.

#include "../discovery/DiscoveryTestSupport.h"
#include "ActionTestSupport.h"
#include "connectors/discovery/DiscoveryActions.h"
#include "models/actions/ActionDispatcher.h"

#include <QJsonArray>
#include <QTemporaryDir>

using namespace Qt::StringLiterals;
using namespace regscope;
using namespace regscope::test;
using namespace regscope::testing;

class TestActionsDiscovery : public QObject {
    Q_OBJECT
    DiscoverydProcess m_server;
    QNetworkAccessManager m_nam;
    QTemporaryDir m_dir;
    QString m_source;
    std::unique_ptr<ActionPolicy> m_policy;
    std::unique_ptr<ActionLog> m_log;
    std::unique_ptr<ActionDispatcher> m_actions;

    bool registerInstance(const QString& appid, const QString& host) {
        QUrlQuery f;
        f.addQueryItem(u"zone"_s, u"z1"_s);
        f.addQueryItem(u"env"_s, u"prod"_s);
        f.addQueryItem(u"appid"_s, appid);
        f.addQueryItem(u"hostname"_s, host);
        f.addQueryItem(u"status"_s, u"1"_s);
        f.addQueryItem(u"addrs"_s, u"http://127.0.0.1:8000"_s);
        f.addQueryItem(u"metadata"_s, u"{\"weight\":\"10\"}"_s);
        return httpPost(m_nam, m_server.url(u"/discovery/register"_s), f).code == 0;
    }
    // hostname → instance JSON, as /discovery/fetch shows the app now.
    QHash<QString, QJsonObject> fetch(const QString& appid) {
        const auto r =
            httpGet(m_nam, m_server.url(u"/discovery/fetch?env=prod&status=3&appid="_s + appid));
        QHash<QString, QJsonObject> out;
        const QJsonObject zones = r.data.toObject().value(u"instances"_s).toObject();
        for (const auto& zone : zones)
            for (const auto& v : zone.toArray())
                out.insert(v.toObject().value(u"hostname"_s).toString(), v.toObject());
        return out;
    }
    static InstanceRef ref(const QString& appid, const QString& host) {
        return InstanceRef{u"z1"_s, u"prod"_s, appid, host};
    }
    ActionRequest request(ActionKind kind, QList<InstanceRef> instances) {
        ActionRequest r;
        r.kind = kind;
        r.source = m_source;
        r.instances = std::move(instances);
        return r;
    }
    ActionResult act(const ActionRequest& r) { return test::act(*m_actions, r); }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_server.start());
        m_source = m_server.url().toString();
        m_policy = std::make_unique<ActionPolicy>();
        m_log = std::make_unique<ActionLog>(ActionLog::Options{m_dir.filePath(u"actions.jsonl"_s)});
        m_actions = std::make_unique<ActionDispatcher>(m_policy.get(), m_log.get());
        m_actions->setExecutor(m_source, std::make_shared<DiscoveryActions>(m_server.url()));
        QVERIFY(m_actions->setWritable(m_source, true));
        for (const auto& h : {u"h1"_s, u"h2"_s, u"h3"_s})
            QVERIFY(registerInstance(u"svc"_s, h));
        QVERIFY(registerInstance(u"other"_s, u"o1"_s));
    }

    void setStatusAndMetadataOfSeveral() {
        ActionRequest set =
            request(ActionKind::DiscoverySet, {ref(u"svc"_s, u"h1"_s), ref(u"svc"_s, u"h2"_s)});
        set.status = 2;
        set.metadata = {{u"color"_s, u"blue"_s}};
        const ActionResult r = act(set);
        QCOMPARE(r.code, ActionResult::Code::Ok);
        const auto now = fetch(u"svc"_s);
        for (const auto& h : {u"h1"_s, u"h2"_s}) {
            QCOMPARE(now[h].value(u"status"_s).toInt(), 2);
            const QJsonObject md = now[h].value(u"metadata"_s).toObject();
            QCOMPARE(md.value(u"color"_s).toString(), u"blue"_s);
            QCOMPARE(md.value(u"weight"_s).toString(), u"10"_s); // merged, not replaced
        }
        QCOMPARE(now[u"h3"_s].value(u"status"_s).toInt(), 1);
        QVERIFY(!now[u"h3"_s].value(u"metadata"_s).toObject().contains(u"color"_s));
    }

    void setNamingOneUnknownHostChangesNothing() {
        const auto before = fetch(u"svc"_s);
        ActionRequest set =
            request(ActionKind::DiscoverySet, {ref(u"svc"_s, u"h3"_s), ref(u"svc"_s, u"nohost"_s)});
        set.status = 2;
        set.metadata = {{u"color"_s, u"red"_s}};
        const ActionResult r = act(set);
        QCOMPARE(r.code, ActionResult::Code::NotFound);
        QVERIFY2(r.message.contains(u"nohost"_s), qPrintable(r.message)); // the server's words
        QCOMPARE(fetch(u"svc"_s), before);
    }

    void setAcrossAppsIsRefusedBeforeSending() {
        const auto before = fetch(u"other"_s);
        ActionRequest set =
            request(ActionKind::DiscoverySet, {ref(u"svc"_s, u"h3"_s), ref(u"other"_s, u"o1"_s)});
        set.status = 2;
        QCOMPARE(act(set).code, ActionResult::Code::InvalidRequest);
        QCOMPARE(fetch(u"other"_s), before);
        QCOMPARE(fetch(u"svc"_s)[u"h3"_s].value(u"status"_s).toInt(), 1);
    }

    void cancelInstances() {
        ActionResult r = act(request(ActionKind::DiscoveryCancel, {ref(u"svc"_s, u"h3"_s)}));
        QCOMPARE(r.code, ActionResult::Code::Ok);
        QCOMPARE(r.count, 1);
        auto now = fetch(u"svc"_s);
        QVERIFY(!now.contains(u"h3"_s));
        QCOMPARE(now.size(), 2);

        // Several: in order; an unknown one stops there and says how far it got.
        r = act(
            request(ActionKind::DiscoveryCancel,
                    {ref(u"svc"_s, u"h2"_s), ref(u"svc"_s, u"gone"_s), ref(u"svc"_s, u"h1"_s)}));
        QCOMPARE(r.code, ActionResult::Code::NotFound);
        QCOMPARE(r.count, 1);
        QVERIFY2(r.message.contains(u"after 1 earlier"_s), qPrintable(r.message));
        now = fetch(u"svc"_s);
        QCOMPARE(now.keys(), QList<QString>{u"h1"_s});
    }

    void registerTestInstance() {
        ActionRequest reg = request(ActionKind::DiscoveryRegister, {ref(u"probe"_s, u"t1"_s)});
        reg.addrs = {u"grpc://127.0.0.1:9000"_s};
        reg.version = u"test-1"_s;
        reg.metadata = {{u"purpose"_s, u"failover check"_s}};
        reg.status = 1;
        QCOMPARE(act(reg).code, ActionResult::Code::Ok);
        const auto now = fetch(u"probe"_s);
        QVERIFY(now.contains(u"t1"_s));
        const QJsonObject t1 = now[u"t1"_s];
        QCOMPARE(t1.value(u"addrs"_s).toArray().first().toString(), u"grpc://127.0.0.1:9000"_s);
        QCOMPARE(t1.value(u"version"_s).toString(), u"test-1"_s);
        QCOMPARE(t1.value(u"metadata"_s).toObject().value(u"purpose"_s).toString(),
                 u"failover check"_s);
        QCOMPARE(t1.value(u"status"_s).toInt(), 1);
    }

    // A server that is gone: the failure says so, with the transport's words.
    void deadServerIsUnavailable() {
        DiscoverydProcess dead;
        QVERIFY(dead.start());
        const QUrl url = dead.url();
        dead.kill();
        DiscoveryActions gone(url);
        ActionPolicy policy;
        ActionDispatcher d(&policy, nullptr);
        d.setExecutor(url.toString(), std::shared_ptr<ActionExecutor>(&gone, [](auto*) {}));
        QVERIFY(d.setWritable(url.toString(), true));
        ActionRequest r = request(ActionKind::DiscoveryCancel, {ref(u"svc"_s, u"h1"_s)});
        r.source = url.toString();
        const auto result = runAction(d, r);
        QVERIFY(result);
        QCOMPARE(result->code, ActionResult::Code::Unavailable);
        QVERIFY(!result->message.isEmpty());
    }

    void everyActionIsLogged() {
        QVERIFY(m_log->waitForWritten());
        const auto lines = readLog(m_log->path());
        QStringList codes;
        for (const auto& o : lines)
            codes << o.value(u"result"_s).toObject().value(u"code"_s).toString();
        QCOMPARE(codes, (QStringList{u"ok"_s, u"not-found"_s, u"invalid-request"_s, u"ok"_s,
                                     u"not-found"_s, u"ok"_s}));
        const QJsonObject set = lines.first().value(u"request"_s).toObject();
        QCOMPARE(set.value(u"kind"_s).toString(), u"discovery.set"_s);
        QCOMPARE(set.value(u"instances"_s).toArray().size(), 2);
    }
};

QTEST_GUILESS_MAIN(TestActionsDiscovery)
#include "tst_actions_discovery.moc"
