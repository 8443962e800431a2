#include "models/Snapshot.h"

#include "models/Store.h"

#include <QDateTime>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

constexpr std::array kKinds{RecordKind::Entry, RecordKind::Instance, RecordKind::Key};

QJsonArray pluginsJson(const Store& store) {
    QJsonArray plugins;
    for (const PluginEvent& p : store.plugins())
        plugins.append(QJsonObject{{u"path"_s, p.path},
                                   {u"state"_s, toString(p.state)},
                                   {u"kind"_s, p.verdict ? p.verdict->kind() : QString()},
                                   {u"calls"_s, p.calls.toJson()}});
    return plugins;
}

} // namespace

std::array<std::vector<Record>, 3> copyRecords(const Store& store) {
    std::array<std::vector<Record>, 3> records;
    for (RecordKind kind : kKinds) {
        std::vector<Record>& out = records[size_t(kind)];
        out.reserve(size_t(store.count(kind)));
        store.forEach(kind, [&out](const Record& r) { out.push_back(r); });
    }
    return records;
}

SnapshotCapture captureSnapshot(const Store& store, const QString& sourceUrl) {
    SnapshotCapture c{{}, store.metrics()};
    SourceSnapshot& s = c.snapshot;
    s.source = sourceUrl;
    s.takenAtMs = QDateTime::currentMSecsSinceEpoch();
    s.health = store.health();
    s.records = copyRecords(store);
    s.timeline.assign(store.timeline().begin(), store.timeline().end());
    s.plugins = pluginsJson(store);
    return c;
}

SourceSnapshot finish(SnapshotCapture capture) {
    SourceSnapshot s = std::move(capture.snapshot);
    s.metrics = capture.history.samples();
    for (std::vector<Record>& records : s.records) {
        std::vector<std::pair<QString, size_t>> order;
        order.reserve(records.size());
        for (size_t i = 0; i < records.size(); ++i)
            order.emplace_back(recordId(records[i]), i);
        std::sort(order.begin(), order.end());
        std::vector<Record> sorted;
        sorted.reserve(records.size());
        for (const auto& [id, at] : order)
            sorted.push_back(std::move(records[at]));
        records = std::move(sorted);
    }
    return s;
}

} // namespace regscope
