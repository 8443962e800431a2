#include "connectors/PrometheusText.h"

#include <QList>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

// Parses `k="v",k2="v2"` (escapes \" \\ \n); false if malformed.
bool parseLabels(const QByteArray& text, QMap<QString, QString>& out) {
    qsizetype i = 0;
    while (i < text.size()) {
        const auto eq = text.indexOf('=', i);
        if (eq < 0 || eq + 1 >= text.size() || text[eq + 1] != '"')
            return false;
        const QString key = QString::fromUtf8(text.sliced(i, eq - i)).trimmed();
        QByteArray value;
        qsizetype j = eq + 2;
        for (; j < text.size() && text[j] != '"'; ++j) {
            if (text[j] == '\\' && j + 1 < text.size()) {
                ++j;
                value += text[j] == 'n' ? '\n' : text[j];
            } else {
                value += text[j];
            }
        }
        if (j >= text.size())
            return false;
        out.insert(key, QString::fromUtf8(value));
        i = j + 1;
        if (i < text.size() && text[i] == ',')
            ++i;
    }
    return true;
}

} // namespace

std::vector<MetricPoint> parsePrometheusText(const QByteArray& text, const QSet<QString>& wanted) {
    std::vector<MetricPoint> out;
    const QList<QByteArray> lines = text.split('\n');
    for (const QByteArray& line : lines) {
        const QByteArray l = line.trimmed();
        if (l.isEmpty() || l.startsWith('#'))
            continue;
        MetricPoint p;
        qsizetype valueStart = 0;
        const auto brace = l.indexOf('{');
        const auto space = l.indexOf(' ');
        if (brace >= 0 && (space < 0 || brace < space)) {
            const auto close = l.lastIndexOf('}');
            if (close < brace)
                continue;
            p.name = QString::fromUtf8(l.first(brace));
            if (!wanted.isEmpty() && !wanted.contains(p.name))
                continue;
            if (!parseLabels(l.sliced(brace + 1, close - brace - 1), p.labels))
                continue;
            valueStart = close + 1;
        } else {
            if (space < 0)
                continue;
            p.name = QString::fromUtf8(l.first(space));
            if (!wanted.isEmpty() && !wanted.contains(p.name))
                continue;
            valueStart = space;
        }
        QByteArray rest = l.sliced(valueStart).trimmed();
        if (const auto sp = rest.indexOf(' '); sp >= 0) // drop an optional timestamp
            rest = rest.first(sp);
        bool ok = false;
        p.value = rest.toDouble(&ok);
        if (!ok)
            continue;
        out.push_back(std::move(p));
    }
    return out;
}

} // namespace regscope
