// --dump json with several --connect: one Session and Store per source, attached at once; each
// source waits for its own readiness, a source that cannot be reached is dumped with its
// health and leaves the others alone. The reconciliation of their instances follows.

#include "app/regscope/JsonDump.h"
#include "app/regscope/RunModes.h"
#include "app/regscope/Session.h"
#include "app/regscope/WhenReady.h"
#include "models/Reconcile.h"
#include "models/Snapshot.h"
#include "models/Store.h"

#include <QApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

#include <cstdio>
#include <memory>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

struct Attached {
    QString url;
    std::unique_ptr<Store> store = std::make_unique<Store>();
    std::unique_ptr<Session> session = std::make_unique<Session>(store.get());
    bool reached = false;
};

SourceInstances instancesOf(const Attached& a) {
    SourceInstances s{.source = a.url, .instances = {}};
    a.store->forEach(RecordKind::Instance,
                     [&s](const Record& r) { s.instances.push_back(std::get<InstanceRecord>(r)); });
    return s;
}

QJsonObject dumpAll(const std::vector<std::unique_ptr<Attached>>& sources) {
    QJsonArray dumps;
    std::vector<SourceInstances> instances;
    for (const auto& a : sources) {
        a->store->flush();
        dumps.append(dumpJson(*a->store, a->url));
        instances.push_back(instancesOf(*a));
    }
    // One snapshot document of several sources (docs/snapshot-schema.md): file:// and --diff
    // read it too.
    return QJsonObject{{u"schema"_s, QLatin1StringView(kSnapshotSchema)},
                       {u"schema_version"_s, kSnapshotSchemaVersion},
                       {u"taken_at"_s, isoUtc(QDateTime::currentMSecsSinceEpoch())},
                       {u"sources"_s, dumps},
                       {u"reconciliation"_s, toJson(reconcile(instances))}};
}

} // namespace

int runDumpSources(const CommandLine& cl) {
    std::vector<std::unique_ptr<Attached>> sources;
    for (const QString& url : cl.urls) {
        auto a = std::make_unique<Attached>();
        a->url = url;
        if (auto attached = a->session->attach(url); !attached) {
            printError(attached.error().message);
            return kExitUsage;
        }
        sources.push_back(std::move(a));
    }
    auto waiting = std::make_shared<qsizetype>(qsizetype(sources.size()));
    auto finish = [&sources, &cl] {
        QTimer::singleShot(cl.settleMs, qApp, [&sources, &cl] {
            const QByteArray json = QJsonDocument(dumpAll(sources)).toJson();
            int code = 0;
            for (const auto& a : sources) {
                a->session->detach();
                if (!a->reached) {
                    const SourceHealth h = a->store->health();
                    printError(u"cannot reach %1: %2%3"_s.arg(
                        a->url, toString(h.state),
                        h.reason.isEmpty() ? QString() : u" ("_s % h.reason % u')'));
                    code = kExitUnreachable; // the others are in the output all the same
                }
            }
            if (writeDump(cl.outputFile, json) != 0)
                code = kExitIo;
            QApplication::exit(code);
        });
    };
    for (const auto& a : sources) {
        Store* store = a->store.get();
        Attached* self = a.get();
        whenReady(
            store, cl.deadlineMs,
            [store, snapshot = self->url.trimmed().startsWith(u"file://")] {
                return store->health().state == HealthState::Live &&
                       (snapshot || !store->metrics().empty()); // a snapshot: live is complete
            },
            [self, waiting, finish](bool reached) {
                self->reached = reached;
                if (--*waiting == 0)
                    finish();
            });
    }
    return QApplication::exec();
}

} // namespace regscope
