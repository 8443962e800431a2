// The semver unit: version parsing and ordering, and the constraint matcher, table-driven.

#include "models/registry/SemVer.h"

#include <QTest>

using namespace regscope::registry;

namespace {
std::string S(const QByteArray& b) {
    return b.toStdString();
}
} // namespace

class TestRegistrySemVer : public QObject {
    Q_OBJECT

private slots:
    void parseVersion_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QByteArray>("canonical");
        QTest::newRow("plain") << QByteArray("1.2.3") << true << QByteArray("1.2.3");
        QTest::newRow("zeros") << QByteArray("0.0.0") << true << QByteArray("0.0.0");
        QTest::newRow("pre") << QByteArray("1.0.0-alpha.1") << true << QByteArray("1.0.0-alpha.1");
        QTest::newRow("build ignored")
            << QByteArray("1.0.0+build.5") << true << QByteArray("1.0.0");
        QTest::newRow("pre+build")
            << QByteArray("1.0.0-rc.1+sha.9") << true << QByteArray("1.0.0-rc.1");
        QTest::newRow("big") << QByteArray("10.20.30") << true << QByteArray("10.20.30");
        QTest::newRow("partial") << QByteArray("1.2") << false << QByteArray();
        QTest::newRow("empty") << QByteArray("") << false << QByteArray();
        QTest::newRow("leading zero") << QByteArray("01.2.3") << false << QByteArray();
        QTest::newRow("four parts") << QByteArray("1.2.3.4") << false << QByteArray();
        QTest::newRow("letters") << QByteArray("a.b.c") << false << QByteArray();
        QTest::newRow("empty pre") << QByteArray("1.2.3-") << false << QByteArray();
        QTest::newRow("pre leading zero") << QByteArray("1.2.3-01") << false << QByteArray();
        QTest::newRow("negative") << QByteArray("-1.2.3") << false << QByteArray();
        QTest::newRow("overflow") << QByteArray("99999999999999999999.0.0") << false
                                  << QByteArray();
    }
    void parseVersion() {
        QFETCH(QByteArray, text);
        QFETCH(bool, valid);
        QFETCH(QByteArray, canonical);
        auto v = Version::Parse(S(text));
        QCOMPARE(v.has_value(), valid);
        if (valid)
            QCOMPARE(QByteArray::fromStdString(v->ToString()), canonical);
        else
            QCOMPARE(v.error().code, ErrorCode::InvalidVersion);
    }

    void ordering() {
        // semver.org item 11's example chain, ascending.
        const char* chain[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                               "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                               "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                               "1.1.0",       "2.0.0",         "10.0.0"};
        for (std::size_t i = 0; i + 1 < std::size(chain); ++i) {
            auto a = Version::Parse(chain[i]);
            auto b = Version::Parse(chain[i + 1]);
            QVERIFY(a && b);
            QVERIFY2(*a < *b, chain[i]);
            QVERIFY(!(*b < *a));
            QVERIFY(*a != *b);
        }
        QVERIFY(*Version::Parse("1.0.0+a") == *Version::Parse("1.0.0+b"));
    }

    void matcher_data() {
        QTest::addColumn<QByteArray>("constraint");
        QTest::addColumn<QByteArray>("version");
        QTest::addColumn<bool>("matches");
        struct Row {
            const char* c;
            const char* v;
            bool m;
        };
        const Row rows[] = {
            {"*", "0.0.1", true},
            {"*", "9.9.9", true},
            {"", "1.0.0", true},
            {"x", "3.0.0", true},
            {"*", "1.0.0-beta", false},
            {"1.2.3", "1.2.3", true},
            {"1.2.3", "1.2.4", false},
            {"=1.2.3", "1.2.3", true},
            {"1.2", "1.2.9", true},
            {"1.2", "1.3.0", false},
            {"1.2.x", "1.2.0", true},
            {"1", "1.9.9", true},
            {"1", "2.0.0", false},
            {"^1.2.3", "1.2.3", true},
            {"^1.2.3", "1.9.0", true},
            {"^1.2.3", "2.0.0", false},
            {"^1.2.3", "1.2.2", false},
            {"^0.2.3", "0.2.9", true},
            {"^0.2.3", "0.3.0", false},
            {"^0.0.3", "0.0.3", true},
            {"^0.0.3", "0.0.4", false},
            {"^2.0", "2.5.1", true},
            {"^2.0", "3.0.0", false},
            {"^2.0", "1.9.9", false},
            {"^2", "2.0.0", true},
            {"^0.0", "0.0.9", true},
            {"^0.0", "0.1.0", false},
            {"^0", "0.9.0", true},
            {"^0", "1.0.0", false},
            {"~1.2.3", "1.2.9", true},
            {"~1.2.3", "1.3.0", false},
            {"~1.2.3", "1.2.2", false},
            {"~1.2", "1.2.0", true},
            {"~1.2", "1.3.0", false},
            {"~1", "1.9.0", true},
            {"~1", "2.0.0", false},
            {">=1.2", "1.2.0", true},
            {">=1.2", "1.1.9", false},
            {">1.2", "1.2.9", false},
            {">1.2", "1.3.0", true},
            {">1.2.3", "1.2.4", true},
            {">1.2.3", "1.2.3", false},
            {"<=1.2", "1.2.9", true},
            {"<=1.2", "1.3.0", false},
            {"<=1.2.3", "1.2.3", true},
            {"<2", "1.99.0", true},
            {"<2", "2.0.0", false},
            {"<1.2.3", "1.2.2", true},
            {">=1.2 <2", "1.2.0", true},
            {">=1.2 <2", "1.9.9", true},
            {">=1.2 <2", "2.0.0", false},
            {">=1.2 <2", "1.1.0", false},
            {">= 1.2  < 2", "1.5.0", true},
            {"^1 || ^3", "3.1.0", true},
            {"^1 || ^3", "2.1.0", false},
            {">=1.0.0-beta <2", "1.0.0-rc.1", true},
            {">=1.0.0-beta <2", "1.5.0-rc.1", false},
            {"^1.0", "1.1.0-beta", false},
            {"1.0.0-beta", "1.0.0-beta", true},
        };
        for (const auto& r : rows)
            QTest::addRow("%s @ %s", r.c, r.v) << QByteArray(r.c) << QByteArray(r.v) << r.m;
    }
    void matcher() {
        QFETCH(QByteArray, constraint);
        QFETCH(QByteArray, version);
        QFETCH(bool, matches);
        auto c = Constraint::Parse(S(constraint));
        QVERIFY(c.has_value());
        auto v = Version::Parse(S(version));
        QVERIFY(v.has_value());
        QCOMPARE(c->Matches(*v), matches);
    }

    void invalidConstraint_data() {
        QTest::addColumn<QByteArray>("constraint");
        for (const char* c :
             {">=", "^", "1.2.3.4", "^a.b", "1.x.3", ">=1.2 <", "~>1", "1.2-beta", "<*", "01.2"})
            QTest::newRow(c) << QByteArray(c);
    }
    void invalidConstraint() {
        QFETCH(QByteArray, constraint);
        auto c = Constraint::Parse(S(constraint));
        QVERIFY(!c.has_value());
        QCOMPARE(c.error().code, ErrorCode::InvalidConstraint);
    }
};

QTEST_GUILESS_MAIN(TestRegistrySemVer)
#include "tst_registry_semver.moc"
