#include "views/TableExport.h"

#include <QAbstractItemModel>
#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QItemSelectionModel>
#include <QSaveFile>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

void appendJsonString(QString& out, const QString& text) {
    out.append(u'"');
    for (const QChar c : text) {
        switch (c.unicode()) {
        case u'"':
            out.append(u"\\\""_s);
            break;
        case u'\\':
            out.append(u"\\\\"_s);
            break;
        case u'\n':
            out.append(u"\\n"_s);
            break;
        case u'\r':
            out.append(u"\\r"_s);
            break;
        case u'\t':
            out.append(u"\\t"_s);
            break;
        default:
            if (c.unicode() < 0x20)
                out.append(u"\\u%1"_s.arg(int(c.unicode()), 4, 16, QChar(u'0')));
            else
                out.append(c);
        }
    }
    out.append(u'"');
}

// The rows under each parent as the view shows them: a parent's path of rows from the root.
std::vector<int> pathOf(QModelIndex index) {
    std::vector<int> path;
    for (; index.isValid(); index = index.parent())
        path.push_back(index.row());
    std::reverse(path.begin(), path.end());
    return path;
}

TableExport::Result serializeAndWrite(const QStringList& headers,
                                      const std::vector<QStringList>& rows, ExportFormat format,
                                      const QString& file) {
    TableExport::Result r;
    r.rows = qsizetype(rows.size());
    r.file = file;
    const QByteArray bytes =
        format == ExportFormat::Csv ? rowsToCsv(headers, rows) : rowsToJson(headers, rows);
    r.bytes = bytes.size();
    if (file.isEmpty()) {
        r.text = QString::fromUtf8(bytes);
        r.ok = true;
        return r;
    }
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly)) {
        r.error = u"cannot save to %1: %2"_s.arg(file, out.errorString());
        return r;
    }
    if (out.write(bytes) != bytes.size() || !out.commit()) {
        r.error = u"cannot save to %1: %2"_s.arg(file, out.errorString());
        return r;
    }
    r.ok = true;
    return r;
}

} // namespace

QStringList exportHeaders(const QAbstractItemModel* model) {
    QStringList out;
    for (int c = 0; c < model->columnCount(); ++c) {
        const QString h = model->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
        out.append(h.isEmpty() ? u"column%1"_s.arg(c) : h);
    }
    return out;
}

QString csvField(const QString& text) {
    static const QString special = u",\"\r\n"_s;
    if (std::none_of(text.begin(), text.end(), [](QChar c) { return special.contains(c); }))
        return text;
    QString quoted = text;
    quoted.replace(u'"', u"\"\""_s);
    return u'"' + quoted + u'"';
}

QByteArray rowsToCsv(const QStringList& headers, const std::vector<QStringList>& rows) {
    QString out;
    const auto line = [&out](const QStringList& cells) {
        for (qsizetype i = 0; i < cells.size(); ++i) {
            if (i)
                out.append(u',');
            out.append(csvField(cells[i]));
        }
        out.append(u"\r\n"_s);
    };
    line(headers);
    for (const QStringList& row : rows)
        line(row);
    return out.toUtf8();
}

QByteArray rowsToJson(const QStringList& headers, const std::vector<QStringList>& rows) {
    if (rows.empty())
        return "[]\n";
    QStringList keys;
    for (const QString& h : headers) {
        QString k;
        appendJsonString(k, h);
        keys.append(k + u':');
    }
    QString out = u"[\n"_s;
    for (size_t r = 0; r < rows.size(); ++r) {
        out.append(u"  {"_s);
        for (qsizetype c = 0; c < keys.size(); ++c) {
            if (c)
                out.append(u',');
            out.append(keys[c]);
            appendJsonString(out, rows[r].value(c));
        }
        out.append(r + 1 < rows.size() ? u"},\n"_s : u"}\n"_s);
    }
    out.append(u"]\n"_s);
    return out.toUtf8();
}

TableExport* TableExport::start(const QAbstractItemModel* model, QItemSelectionModel* selection,
                                ExportFormat format, const QString& file, QObject* parent) {
    auto* job = new TableExport(model, selection, format, file, parent);
    QTimer::singleShot(0, job, &TableExport::readSlice);
    return job;
}

TableExport::TableExport(const QAbstractItemModel* model, QItemSelectionModel* selection,
                         ExportFormat format, QString file, QObject* parent)
    : QObject(parent)
    , m_model(model)
    , m_selection(selection)
    , m_format(format)
    , m_file(std::move(file))
    , m_selectionMode(selection != nullptr) {
    qRegisterMetaType<regscope::TableExport::Result>();
    m_headers = exportHeaders(model);
    m_columns = int(m_headers.size());
    watchModel();
    restart();
}

void TableExport::watchModel() {
    const auto again = [this] { m_restartWanted = true; };
    connect(m_model, &QAbstractItemModel::modelReset, this, again);
    connect(m_model, &QAbstractItemModel::layoutChanged, this, again);
    connect(m_model, &QAbstractItemModel::rowsMoved, this, again);
    connect(m_model, &QAbstractItemModel::columnsInserted, this, again);
    connect(m_model, &QAbstractItemModel::columnsRemoved, this, again);
    connect(m_model, &QAbstractItemModel::rowsInserted, this,
            [this](const QModelIndex& p, int first, int last) { shift(p, first, last, +1); });
    connect(m_model, &QAbstractItemModel::rowsRemoved, this,
            [this](const QModelIndex& p, int first, int last) { shift(p, first, last, -1); });
}

// Rows that came or went above the read position move it, so no row is read twice or missed.
// A selection is read again instead (its ranges moved with the rows).
void TableExport::shift(const QModelIndex& parent, int first, int last, int sign) {
    if (m_selectionMode) {
        m_restartWanted = true;
        return;
    }
    for (Level& level : m_stack) {
        if (level.root ? parent.isValid() : QModelIndex(level.parent) != parent)
            continue;
        if (first >= level.next)
            continue;
        if (sign > 0)
            level.next += last - first + 1;
        else
            level.next -= std::min(level.next, last + 1) - first;
    }
}

void TableExport::restart() {
    m_rows.clear();
    m_stack.clear();
    m_restartWanted = false;
    if (!m_selectionMode) {
        m_stack.push_back(Level{});
        return;
    }
    if (!m_selection)
        return;
    // Ranges of one parent merged (a cell selection splits a row into several), in view order.
    struct Segment {
        std::vector<int> path;
        QModelIndex parent;
        int top;
        int bottom;
    };
    std::vector<Segment> segments;
    for (const QItemSelectionRange& range : m_selection->selection())
        segments.push_back({pathOf(range.parent()), range.parent(), range.top(), range.bottom()});
    std::sort(segments.begin(), segments.end(), [](const Segment& a, const Segment& b) {
        return std::tie(a.path, a.top) < std::tie(b.path, b.top);
    });
    std::vector<Level> merged;
    for (const Segment& s : segments) {
        if (!merged.empty() && QModelIndex(merged.back().parent) == s.parent &&
            s.top <= merged.back().last + 1) {
            merged.back().last = std::max(merged.back().last, s.bottom);
            continue;
        }
        merged.push_back(
            Level{QPersistentModelIndex(s.parent), !s.parent.isValid(), s.top, s.bottom});
    }
    m_stack.assign(merged.rbegin(), merged.rend());
}

void TableExport::readRow(const QModelIndex& index) {
    QStringList cells;
    cells.reserve(m_columns);
    for (int c = 0; c < m_columns; ++c)
        cells.append(index.siblingAtColumn(c).data(Qt::DisplayRole).toString());
    m_rows.push_back(std::move(cells));
}

bool TableExport::readOne() {
    while (!m_stack.empty()) {
        Level& top = m_stack.back();
        if (!top.root && !top.parent.isValid()) { // its parent row went away
            m_stack.pop_back();
            continue;
        }
        const QModelIndex parent = top.parent;
        const int count = m_model->rowCount(parent);
        if (top.next >= count || (m_selectionMode && top.next > top.last)) {
            m_stack.pop_back();
            continue;
        }
        const QModelIndex index = m_model->index(top.next++, 0, parent);
        readRow(index);
        if (!m_selectionMode && m_model->hasChildren(index))
            m_stack.push_back(Level{QPersistentModelIndex(index), false, 0, -1});
        return true;
    }
    return false;
}

void TableExport::readSlice() {
    if (!m_model) {
        fail(u"the table went away before it was exported"_s);
        return;
    }
    bool atOnce = false;
    if (m_restartWanted) {
        atOnce = ++m_restarts > kMaxRestarts; // it keeps changing: read the rest now
        restart();
    }
    QElapsedTimer clock;
    clock.start();
    bool more = true;
    while (more && (atOnce || clock.elapsed() < kSliceMs)) {
        for (int i = 0; i < 64 && more; ++i)
            more = readOne();
    }
    m_longestSliceMs = std::max(m_longestSliceMs, clock.elapsed());
    Q_EMIT progress(qsizetype(m_rows.size()));
    if (more)
        QTimer::singleShot(0, this, &TableExport::readSlice);
    else
        serialize();
}

void TableExport::serialize() {
    if (m_model) // nothing more is read: later model signals no longer matter
        disconnect(m_model, nullptr, this, nullptr);
    m_model.clear();
    auto* watcher = new QFutureWatcher<Result>(this);
    connect(watcher, &QFutureWatcher<Result>::finished, this, [this, watcher] {
        Result r = watcher->result();
        r.longestSliceMs = m_longestSliceMs;
        Q_EMIT finished(r);
        deleteLater();
    });
    watcher->setFuture(QtConcurrent::run(
        [headers = m_headers, rows = std::move(m_rows), format = m_format, file = m_file] {
            return serializeAndWrite(headers, rows, format, file);
        }));
}

void TableExport::fail(const QString& error) {
    Result r;
    r.error = error;
    r.file = m_file;
    Q_EMIT finished(r);
    deleteLater();
}

} // namespace regscope
