#pragma once
// Shared pieces of the etcd integration tests: the state etcdctl sees, the state the store
// holds, and a connector wired to a store the way the app wires them.

#include "EtcdProcess.h"
#include "connectors/etcd/EtcdConnector.h"
#include "models/Store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <map>

namespace regscope::test {

using KeyState = std::map<QByteArray, KeyRecord>;

// `etcdctl get --prefix P -w json [--rev=R]`; revision (if asked) gets the header revision.
inline std::optional<KeyState> etcdctlState(EtcdProcess& etcd, const QByteArray& prefix,
                                            qint64 rev = 0, qint64* revision = nullptr) {
    QStringList args{QStringLiteral("get"), QString::fromUtf8(prefix), QStringLiteral("--prefix"),
                     QStringLiteral("-w"), QStringLiteral("json")};
    if (rev > 0)
        args.append(QStringLiteral("--rev=") + QString::number(rev));
    auto out = etcd.etcdctl(args);
    if (!out)
        return std::nullopt;
    const QJsonObject doc = QJsonDocument::fromJson(*out).object();
    if (revision)
        *revision = doc.value(u"header").toObject().value(u"revision").toInteger();
    KeyState state;
    for (const QJsonValue v : doc.value(u"kvs").toArray()) {
        const QJsonObject o = v.toObject();
        KeyRecord r;
        r.key = QByteArray::fromBase64(o.value(u"key").toString().toLatin1());
        r.value = QByteArray::fromBase64(o.value(u"value").toString().toLatin1());
        r.createRevision = o.value(u"create_revision").toInteger();
        r.modRevision = o.value(u"mod_revision").toInteger();
        r.version = o.value(u"version").toInteger();
        r.lease = o.value(u"lease").toInteger();
        state.emplace(r.key, r);
    }
    return state;
}

inline qint64 etcdRevision(EtcdProcess& etcd) {
    qint64 rev = 0;
    etcdctlState(etcd, QByteArrayLiteral("\x01none"), 0, &rev);
    return rev;
}

inline KeyState storeState(const Store& store) {
    KeyState s;
    store.forEach(RecordKind::Key, [&](const Record& r) {
        const auto& k = std::get<KeyRecord>(r);
        s.emplace(k.key, k);
    });
    return s;
}

inline EtcdOptions testOptions(const QStringList& endpoints, const QByteArray& prefix) {
    EtcdOptions o;
    o.endpoints = endpoints;
    o.prefix = prefix;
    o.retryBackoffMs = 300;
    o.connectTimeoutMs = 1000;
    o.callTimeoutMs = 3000;
    o.leasePollMs = 200;
    o.leaseRefreshMs = 500;
    o.clusterPollMs = 500;
    return o;
}

// A connector feeding a store, as the app wires them; records every revision applied.
struct Wired {
    Store store;
    std::unique_ptr<EtcdConnector> connector;
    std::vector<std::pair<qint64, QString>> applied; // (revision, key) of every key event
    QList<SourceHealth> healths;
    QList<TimelineEvent> timeline;

    explicit Wired(const EtcdOptions& options) {
        registerConnectorMetaTypes();
        connector = std::make_unique<EtcdConnector>(options);
        QObject::connect(connector.get(), &Connector::eventsReady, &store,
                         [this](EventBatchPtr batch) {
                             for (const SourceEvent& e : *batch) {
                                 if (const auto* u = std::get_if<UpsertEvent>(&e);
                                     u && kindOf(u->record) == RecordKind::Key)
                                     applied.emplace_back(u->revision, recordId(u->record));
                                 else if (const auto* r = std::get_if<RemoveEvent>(&e);
                                          r && r->kind == RecordKind::Key)
                                     applied.emplace_back(r->revision, r->id);
                                 else if (const auto* h = std::get_if<SourceHealth>(&e))
                                     healths.append(*h);
                                 else if (const auto* t = std::get_if<TimelineEvent>(&e))
                                     timeline.append(*t);
                             }
                             store.apply(batch);
                         });
    }
    ~Wired() { connector->stop(); }
    HealthState lastHealth() const {
        return healths.isEmpty() ? HealthState::Connecting : healths.last().state;
    }
    // No key event applied twice and none out of order (revisions never go back; several
    // events may share one revision when a txn or a prefix delete touched several keys).
    bool revisionsMonotonic() const {
        for (size_t i = 1; i < applied.size(); ++i)
            if (applied[i].first < applied[i - 1].first || applied[i] == applied[i - 1])
                return false;
        auto sorted = applied;
        std::sort(sorted.begin(), sorted.end());
        return std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
    }
};

} // namespace regscope::test
