#include "app/regscope/JsonDump.h"

#include "models/RecordJson.h"
#include "models/Store.h"

#include <QJsonArray>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
QJsonArray records(const Store& store, RecordKind kind) {
    std::vector<std::pair<QString, QJsonObject>> rows;
    store.forEach(kind, [&](const Record& r) { rows.emplace_back(recordId(r), toJson(r)); });
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    QJsonArray out;
    for (auto& [id, json] : rows)
        out.append(json);
    return out;
}
} // namespace

QJsonObject dumpJson(const Store& store, const QString& url) {
    QJsonObject counts{{u"entries"_s, store.count(RecordKind::Entry)},
                       {u"instances"_s, store.count(RecordKind::Instance)},
                       {u"keys"_s, store.count(RecordKind::Key)}};
    QJsonArray timeline;
    const auto& events = store.timeline();
    const size_t from = events.size() > 100 ? events.size() - 100 : 0;
    for (size_t i = from; i < events.size(); ++i)
        timeline.append(toJson(events[i]));
    return QJsonObject{
        {u"source"_s, url},
        {u"health"_s, toJson(store.health())},
        {u"counts"_s, counts},
        {u"entries"_s, records(store, RecordKind::Entry)},
        {u"instances"_s, records(store, RecordKind::Instance)},
        {u"keys"_s, records(store, RecordKind::Key)},
        {u"metrics"_s,
         !store.metrics().latest() ? QJsonValue() : QJsonValue(toJson(*store.metrics().latest()))},
        {u"timeline"_s, timeline},
    };
}

} // namespace regscope
