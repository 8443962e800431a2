// The inverses of RecordJson's toJson: a snapshot read back into records, samples and health.

#include "models/ByteText.h"
#include "models/RecordJson.h"

#include <QJsonArray>

#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

// Reads typed fields of one object; the first wrong type is kept as the error. An absent or
// null field leaves the default.
class Fields {
public:
    explicit Fields(const QJsonObject& o)
        : m_o(o) {}

    void text(const char* key, QString& out) {
        const QJsonValue v = value(key);
        if (v.isString())
            out = v.toString();
        else if (!v.isUndefined() && !v.isNull())
            fail(key, "a string");
    }
    void integer(const char* key, qint64& out) {
        const QJsonValue v = value(key);
        if (v.isUndefined() || v.isNull())
            return;
        // toInteger keeps all 64 bits of an integer; a fraction or a huge double is wrong.
        const double d = v.toDouble();
        if (!v.isDouble() || d != std::floor(d) || std::abs(d) > 9.3e18) {
            fail(key, "an integer");
            return;
        }
        out = v.toInteger(qint64(d));
    }
    void integer(const char* key, int& out) {
        qint64 wide = out;
        integer(key, wide);
        if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
            fail(key, "a 32-bit integer");
        else
            out = int(wide);
    }
    void number(const char* key, double& out) {
        const QJsonValue v = value(key);
        if (v.isDouble())
            out = v.toDouble();
        else if (!v.isUndefined() && !v.isNull())
            fail(key, "a number");
    }
    void boolean(const char* key, bool& out) {
        const QJsonValue v = value(key);
        if (v.isBool())
            out = v.toBool();
        else if (!v.isUndefined() && !v.isNull())
            fail(key, "true or false");
    }
    void texts(const char* key, QStringList& out) {
        const QJsonValue v = value(key);
        if (v.isUndefined() || v.isNull())
            return;
        if (!v.isArray())
            return fail(key, "an array of strings");
        for (const QJsonValue& item : v.toArray()) {
            if (!item.isString())
                return fail(key, "an array of strings");
            out.append(item.toString());
        }
    }
    void textMap(const char* key, QMap<QString, QString>& out) {
        const QJsonValue v = value(key);
        if (v.isUndefined() || v.isNull())
            return;
        if (!v.isObject())
            return fail(key, "an object of strings");
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (!it.value().isString())
                return fail(key, "an object of strings");
            out.insert(it.key(), it.value().toString());
        }
    }
    QJsonValue value(const char* key) const { return m_o.value(QLatin1StringView(key)); }
    void fail(const char* key, const char* what) {
        if (m_error.isEmpty())
            m_error = u"%1: expected %2"_s.arg(QLatin1StringView(key), QLatin1StringView(what));
    }
    void failWith(QString why) {
        if (m_error.isEmpty())
            m_error = std::move(why);
    }
    template <typename T>
    std::expected<T, QString> result(T value) const {
        if (!m_error.isEmpty())
            return std::unexpected(m_error);
        return value;
    }

private:
    const QJsonObject& m_o;
    QString m_error;
};

// Bytes written as escaped text, with the exact bytes in base64 next to them when they are
// not UTF-8 (RecordJson.cpp). The base64 wins; valid text maps back to its bytes.
QByteArray bytesOf(Fields& f, const char* textKey, const char* b64Key, bool escaped) {
    QString b64;
    f.text(b64Key, b64);
    if (!b64.isEmpty()) {
        auto decoded =
            QByteArray::fromBase64Encoding(b64.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded)
            f.fail(b64Key, "base64");
        return *decoded;
    }
    QString text;
    f.text(textKey, text);
    if (!escaped)
        return text.toUtf8();
    const auto bytes = unescapeBytes(text);
    if (!bytes)
        f.fail(textKey, "escaped bytes (\\\\ and \\xNN)");
    return bytes.value_or(QByteArray());
}

} // namespace

std::expected<EntryRecord, QString> entryFromJson(const QJsonObject& o) {
    EntryRecord r;
    Fields f(o);
    f.text("registry", r.registry);
    f.text("tenant", r.tenant);
    f.text("name", r.name);
    f.text("version", r.version);
    f.text("type", r.type);
    f.text("description", r.description);
    f.text("alias_of", r.aliasOf);
    f.text("deprecation_message", r.deprecationMessage);
    f.text("remove_after", r.removeAfter);
    f.text("origin", r.origin);
    f.integer("registered_at_ms", r.registeredAtMs);
    f.boolean("deprecated", r.deprecated);
    return f.result(std::move(r));
}

std::expected<InstanceRecord, QString> instanceFromJson(const QJsonObject& o) {
    InstanceRecord r;
    Fields f(o);
    f.text("appid", r.appid);
    f.text("zone", r.zone);
    f.text("env", r.env);
    f.text("region", r.region);
    f.text("hostname", r.hostname);
    f.texts("addrs", r.addrs);
    f.text("version", r.version);
    f.textMap("metadata", r.metadata);
    f.integer("status", r.status);
    f.integer("reg_timestamp", r.regTimestampNs);
    f.integer("up_timestamp", r.upTimestampNs);
    f.integer("renew_timestamp", r.renewTimestampNs);
    f.integer("dirty_timestamp", r.dirtyTimestampNs);
    f.integer("latest_timestamp", r.latestTimestampNs);
    f.text("source", r.source);
    f.integer("lease", r.leaseId);
    f.integer("renew_age_ms", r.renewAgeMs); // null: -1, the default
    f.integer("observed_at_ms", r.observedAtMs);
    bool stale = false;
    const bool judged = f.value("stale").isBool();
    f.boolean("stale", stale);
    r.staleness = !judged ? Staleness::Unknown : stale ? Staleness::Stale : Staleness::Fresh;
    return f.result(std::move(r));
}

std::expected<KeyRecord, QString> keyFromJson(const QJsonObject& o) {
    KeyRecord r;
    Fields f(o);
    r.key = bytesOf(f, "key", "key_b64", true);
    r.value = bytesOf(f, "value", "value_b64", false);
    f.integer("create_revision", r.createRevision);
    f.integer("mod_revision", r.modRevision);
    f.integer("version", r.version);
    f.integer("lease", r.lease);
    return f.result(std::move(r));
}

std::expected<Record, QString> recordFromJson(RecordKind kind, const QJsonObject& o) {
    const auto widen = [](auto&& r) -> std::expected<Record, QString> {
        if (!r)
            return std::unexpected(r.error());
        return Record(std::move(*r));
    };
    switch (kind) {
    case RecordKind::Entry:
        return widen(entryFromJson(o));
    case RecordKind::Instance:
        return widen(instanceFromJson(o));
    case RecordKind::Key:
        return widen(keyFromJson(o));
    }
    return std::unexpected(u"unknown record kind"_s);
}

std::expected<MetricsSample, QString> metricsSampleFromJson(const QJsonObject& o) {
    MetricsSample s;
    Fields f(o);
    f.integer("timestamp_ms", s.timestampMs);
    const QJsonValue points = f.value("points");
    if (!points.isUndefined() && !points.isArray())
        f.fail("points", "an array");
    const QJsonArray array = points.toArray();
    s.points.reserve(size_t(array.size()));
    for (qsizetype i = 0; i < array.size(); ++i) {
        if (!array[i].isObject()) {
            f.failWith(u"points[%1]: expected an object"_s.arg(i));
            break;
        }
        const QJsonObject po = array[i].toObject();
        MetricPoint p;
        Fields pf(po);
        pf.text("name", p.name);
        pf.textMap("labels", p.labels);
        pf.number("value", p.value);
        if (auto ok = pf.result(0); !ok) {
            f.failWith(u"points[%1].%2"_s.arg(i).arg(ok.error()));
            break;
        }
        s.points.push_back(std::move(p));
    }
    return f.result(std::move(s));
}

std::expected<SourceHealth, QString> healthFromJson(const QJsonObject& o) {
    SourceHealth h;
    Fields f(o);
    QString state;
    f.text("state", state);
    f.text("reason", h.reason);
    bool known = false;
    for (HealthState s :
         {HealthState::Connecting, HealthState::Live, HealthState::Degraded, HealthState::Down}) {
        if (state == toString(s)) {
            h.state = s;
            known = true;
        }
    }
    if (!known)
        f.fail("state", "connecting, live, degraded or down");
    return f.result(std::move(h));
}

std::expected<TimelineEvent, QString> timelineEventFromJson(const QJsonObject& o) {
    TimelineEvent e;
    Fields f(o);
    f.integer("timestamp_ms", e.timestampMs);
    f.text("category", e.category);
    f.text("subject", e.subject);
    f.text("text", e.text);
    return f.result(std::move(e));
}

} // namespace regscope
