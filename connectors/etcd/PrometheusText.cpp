#include "connectors/etcd/PrometheusText.h"

#include <QList>

namespace regscope {

std::vector<MetricPoint> parsePrometheusText(const QByteArray& text, const QSet<QString>& wanted) {
    std::vector<MetricPoint> points;
    for (const QByteArray& rawLine : text.split('\n')) {
        const QByteArray line = rawLine.trimmed();
        if (line.isEmpty() || line.front() == '#')
            continue;
        const qsizetype brace = line.indexOf('{');
        const qsizetype space = line.indexOf(' ');
        if (space < 0)
            continue;
        const qsizetype nameEnd = (brace >= 0 && brace < space) ? brace : space;
        const QString name = QString::fromLatin1(line.left(nameEnd));
        if (!wanted.isEmpty() && !wanted.contains(name))
            continue;
        MetricPoint p;
        p.name = name;
        qsizetype valueStart = space;
        if (brace >= 0 && brace < space) {
            const qsizetype close = line.indexOf('}', brace);
            if (close < 0)
                continue;
            // label="value" pairs; etcd's label values carry no escaped quotes or commas.
            const QByteArray labels = line.sliced(brace + 1, close - brace - 1);
            for (const QByteArray& pair : labels.split(',')) {
                const qsizetype eq = pair.indexOf('=');
                if (eq <= 0)
                    continue;
                QByteArray v = pair.sliced(eq + 1).trimmed();
                if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
                    v = v.sliced(1, v.size() - 2);
                p.labels.insert(QString::fromLatin1(pair.left(eq).trimmed()), QString::fromUtf8(v));
            }
            valueStart = line.indexOf(' ', close);
            if (valueStart < 0)
                continue;
        }
        QByteArray value = line.sliced(valueStart).trimmed();
        if (const qsizetype sp = value.indexOf(' '); sp >= 0)
            value = value.left(sp); // drop an optional timestamp
        bool ok = false;
        p.value = value.toDouble(&ok);
        if (ok)
            points.push_back(std::move(p));
    }
    return points;
}

} // namespace regscope
