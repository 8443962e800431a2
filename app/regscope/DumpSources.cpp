// --dump json with several --connect: one Session and Store per source, attached at once; each
// source waits for its own readiness, a source that cannot be reached is dumped with its
// health and leaves the others alone. The reconciliation of their instances follows. With
// --probe each source's instances are probed once it is ready, the bounds shared among the
// sources (each gets its part of the rate and of the probes in flight), and the dump waits
// until every instance has its verdicts or --deadline more seconds pass.

#include "app/regscope/JsonDump.h"
#ifdef REGSCOPE_HAVE_PROBE
#include "app/regscope/ProbeFeeder.h"
#endif
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

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

struct Attached {
    QString url;
    std::unique_ptr<Store> store = std::make_unique<Store>();
    std::unique_ptr<Session> session = std::make_unique<Session>(store.get());
    bool reached = false;
#ifdef REGSCOPE_HAVE_PROBE
    std::unique_ptr<ProbeFeeder> probes;
#endif
};

// With --probe: a source that was reached is probed, then ready() once all is probed.
void probeThen(Attached& a, const CommandLine& cl, std::function<void()> ready) {
#ifdef REGSCOPE_HAVE_PROBE
    if (cl.probe && a.reached && a.probes) {
        a.probes->setProbing(true);
        ProbeFeeder* probes = a.probes.get();
        whenReady(
            a.store.get(), cl.deadlineMs, [probes] { return probes->allProbed(); },
            [ready = std::move(ready)](bool) { ready(); });
        return;
    }
#else
    (void)a;
    (void)cl;
#endif
    ready();
}

SourceInstances instancesOf(const Attached& a) {
    SourceInstances s{.source = a.url, .instances = {}};
    a.store->forEach(RecordKind::Instance,
                     [&s](const Record& r) { s.instances.push_back(std::get<InstanceRecord>(r)); });
    return s;
}

QJsonObject dumpAll(const std::vector<std::unique_ptr<Attached>>& sources, bool probes) {
    QJsonArray dumps;
    std::vector<SourceInstances> instances;
    for (const auto& a : sources) {
        a->store->flush();
        dumps.append(dumpJson(*a->store, a->url, probes));
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
#ifndef REGSCOPE_HAVE_PROBE
    if (cl.probe) {
        printError(u"--probe: this build has no prober (connectors/probe was not built)"_s);
        return kExitUsage;
    }
#endif
    std::vector<std::unique_ptr<Attached>> sources;
    for (const QString& url : cl.urls) {
        auto a = std::make_unique<Attached>();
        a->url = url;
#ifdef REGSCOPE_HAVE_PROBE
        if (cl.probe) { // the bounds hold for all sources together
            ProbeLimits share = cl.probeLimits;
            const auto n = double(cl.urls.size());
            share.ratePerSecond = cl.probeLimits.ratePerSecond / n;
            share.maxInFlight = std::max(1, int(cl.probeLimits.maxInFlight / n));
            a->probes = std::make_unique<ProbeFeeder>(a->store.get(), share);
        }
#endif
        if (auto attached = a->session->attach(url); !attached) {
            printError(attached.error().message);
            return kExitUsage;
        }
        sources.push_back(std::move(a));
    }
    auto waiting = std::make_shared<qsizetype>(qsizetype(sources.size()));
    auto finish = [&sources, &cl] {
        QTimer::singleShot(cl.settleMs, qApp, [&sources, &cl] {
            const QByteArray json = QJsonDocument(dumpAll(sources, cl.probe)).toJson();
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
            [self, waiting, finish, &cl](bool reached) {
                self->reached = reached;
                probeThen(*self, cl, [waiting, finish] {
                    if (--*waiting == 0)
                        finish();
                });
            });
    }
    return QApplication::exec();
}

} // namespace regscope
