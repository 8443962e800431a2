// Reconciliation of instances across two sources: matching by (appid, address), the hostname
// tie-break, drift in status / version / metadata, and the instances only one side holds.

#include "models/Reconcile.h"

#include <QJsonArray>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace regscope;

namespace {

InstanceRecord inst(const QString& appid, const QString& host, const QString& addr,
                    const QString& version = u"1.0"_s) {
    InstanceRecord r;
    r.appid = appid;
    r.hostname = host;
    r.addrs = {addr};
    r.version = version;
    return r;
}

} // namespace

class TestReconcile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void equalSourcesHaveNoFindings() {
        const SourceInstances a{u"A"_s, {inst(u"pay"_s, u"h1"_s, u"http://10.0.0.1:80"_s)}};
        const SourceInstances b{u"B"_s,
                                {inst(u"pay"_s, u"other-name"_s, u"HTTP://10.0.0.1:80/"_s)}};
        const Reconciliation r = reconcile(a, b);
        QCOMPARE(r.matched, 1);
        QVERIFY(r.findings.empty()); // the address matched though the hostname differs
    }

    void findsBothWaysAndTheFieldsThatDiffer() {
        InstanceRecord b1 = inst(u"pay"_s, u"h1"_s, u"http://10.0.0.1:80"_s, u"1.1"_s);
        b1.status = 2;
        b1.metadata.insert(u"weight"_s, u"10"_s);
        const SourceInstances a{u"A"_s,
                                {inst(u"pay"_s, u"h1"_s, u"http://10.0.0.1:80"_s),
                                 inst(u"pay"_s, u"h2"_s, u"http://10.0.0.2:80"_s)}};
        const SourceInstances b{u"B"_s, {b1, inst(u"users"_s, u"h9"_s, u"http://10.0.0.9:80"_s)}};
        const Reconciliation r = reconcile(a, b);
        QCOMPARE(r.matched, 1);
        QCOMPARE(r.onlyInA, 1);
        QCOMPARE(r.onlyInB, 1);
        QCOMPARE(r.differs, 1);
        QCOMPARE(r.findings.size(), size_t(3));
        const auto differs = std::find_if(r.findings.begin(), r.findings.end(), [](const auto& f) {
            return f.kind == DriftFinding::Kind::Differs;
        });
        QVERIFY(differs != r.findings.end());
        QCOMPARE(differs->hostname, u"h1"_s);
        const std::vector<DriftField> want{{u"status"_s, u"1"_s, u"2"_s},
                                           {u"version"_s, u"1.0"_s, u"1.1"_s},
                                           {u"metadata.weight"_s, QString(), u"10"_s}};
        QCOMPARE(differs->fields, want);

        const QJsonObject json = toJson(r);
        QCOMPARE(json.value(u"only_in_a").toInt(), 1);
        bool sawOnlyB = false;
        for (const QJsonValue& f : json.value(u"findings").toArray()) {
            QVERIFY(!f[u"hostname"].toString().isEmpty());
            QVERIFY(!f[u"appid"].toString().isEmpty());
            if (f[u"kind"].toString() == u"only_in_b") {
                sawOnlyB = true;
                QCOMPARE(f[u"appid"].toString(), u"users"_s);
                QCOMPARE(f[u"b"].toString(), u"B"_s);
            }
        }
        QVERIFY(sawOnlyB);
    }

    void theSameHostnameBreaksATie() {
        // Two instances behind one address (a shared load balancer): each side's h2 pairs
        // with the other's h2, so the version drift is found on the right pair.
        const SourceInstances a{u"A"_s,
                                {inst(u"pay"_s, u"h1"_s, u"http://lb:80"_s),
                                 inst(u"pay"_s, u"h2"_s, u"http://lb:80"_s, u"2.0"_s)}};
        const SourceInstances b{u"B"_s,
                                {inst(u"pay"_s, u"h2"_s, u"http://lb:80"_s, u"2.1"_s),
                                 inst(u"pay"_s, u"h1"_s, u"http://lb:80"_s)}};
        const Reconciliation r = reconcile(a, b);
        QCOMPARE(r.matched, 2);
        QCOMPARE(r.findings.size(), size_t(1));
        QCOMPARE(r.findings[0].hostname, u"h2"_s);
        QVERIFY(r.findings[0].hostnameB.isEmpty());
        QCOMPARE(r.findings[0].fields[0].b, u"2.1"_s);
    }

    void theSameAppidIsRequired() {
        const SourceInstances a{u"A"_s, {inst(u"pay"_s, u"h1"_s, u"http://10.0.0.1:80"_s)}};
        const SourceInstances b{u"B"_s, {inst(u"users"_s, u"h1"_s, u"http://10.0.0.1:80"_s)}};
        const Reconciliation r = reconcile(a, b);
        QCOMPARE(r.matched, 0);
        QCOMPARE(r.onlyInA, 1);
        QCOMPARE(r.onlyInB, 1);
    }

    void everyPairOfThreeSources() {
        const SourceInstances a{u"A"_s, {inst(u"pay"_s, u"h1"_s, u"http://10.0.0.1:80"_s)}};
        const SourceInstances b{u"B"_s, {}};
        const SourceInstances c{u"C"_s, {inst(u"pay"_s, u"h1"_s, u"http://10.0.0.1:80"_s)}};
        const Reconciliation r = reconcile(std::vector{a, b, c});
        QCOMPARE(r.onlyInA, 1); // A against B
        QCOMPARE(r.onlyInB, 1); // B against C
        QCOMPARE(r.matched, 1); // A against C
    }
};

QTEST_GUILESS_MAIN(TestReconcile)
#include "tst_reconcile.moc"
