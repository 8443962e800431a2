#include "PluginModel.h"

#include <QFileInfo>
#include <QThread>

using namespace Qt::StringLiterals;

namespace regscope {

PluginModel::PluginModel(QObject* parent)
    : QAbstractTableModel(parent) {}

int PluginModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int PluginModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PluginModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const PluginRow& r = m_rows[static_cast<size_t>(index.row())];
    switch (role) {
    case PathRole:
        return r.path;
    case StateRole:
        return static_cast<int>(r.state);
    case HeadlineRole:
        return r.verdict.headline();
    case Qt::ToolTipRole:
        return r.path;
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return r.verdict.pluginName.isEmpty()
                       ? QFileInfo(r.path).fileName()
                       : u"%1 (%2)"_s.arg(r.verdict.pluginName, QFileInfo(r.path).fileName());
        case StateColumn:
            return r.crashLoop ? u"%1 (crash loop)"_s.arg(toString(r.state)) : toString(r.state);
        case StageColumn:
            return r.stage;
        case LoadMsColumn:
            return r.verdict.loadMs > 0 ? QString::number(r.verdict.loadMs, 'f', 1) : QString();
        case RegistrationsColumn:
            return static_cast<int>(r.verdict.registrations.size());
        default:
            return {};
        }
    default:
        return {};
    }
}

QVariant PluginModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return u"Plugin"_s;
    case StateColumn:
        return u"State"_s;
    case StageColumn:
        return u"Stage"_s;
    case LoadMsColumn:
        return u"Load ms"_s;
    case RegistrationsColumn:
        return u"Registrations"_s;
    default:
        return {};
    }
}

int PluginModel::rowOf(const QString& path) const {
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].path == path)
            return static_cast<int>(i);
    return -1;
}

const PluginRow* PluginModel::row(int row) const {
    return row >= 0 && row < rowCount() ? &m_rows[static_cast<size_t>(row)] : nullptr;
}

const PluginRow* PluginModel::find(const QString& path) const {
    return row(rowOf(path));
}

int PluginModel::ensure(const QString& path) {
    Q_ASSERT(QThread::currentThread() == thread());
    const int existing = rowOf(path);
    if (existing >= 0)
        return existing;
    const int at = rowCount();
    beginInsertRows({}, at, at);
    m_rows.push_back(PluginRow{});
    m_rows.back().path = path;
    endInsertRows();
    return at;
}

void PluginModel::changed(int r) {
    Q_EMIT dataChanged(index(r, 0), index(r, ColumnCount - 1));
    Q_EMIT rowDetailsChanged(m_rows[static_cast<size_t>(r)].path);
}

void PluginModel::setState(const QString& path, PluginState state, const QString& stage) {
    Q_ASSERT(QThread::currentThread() == thread());
    const int r = ensure(path);
    auto& row = m_rows[static_cast<size_t>(r)];
    if (row.state == state && row.stage == stage)
        return;
    row.state = state;
    row.stage = stage;
    Q_EMIT dataChanged(index(r, StateColumn), index(r, StageColumn));
}

void PluginModel::setVerdict(const QString& path, const PluginVerdict& verdict) {
    Q_ASSERT(QThread::currentThread() == thread());
    const int r = ensure(path);
    auto& row = m_rows[static_cast<size_t>(r)];
    row.verdict = verdict;
    row.state = verdict.state;
    row.stage = verdict.stage;
    changed(r);
}

void PluginModel::setInvokeResult(const QString& path, const InvokeResult& result) {
    Q_ASSERT(QThread::currentThread() == thread());
    const int r = rowOf(path);
    if (r < 0)
        return;
    m_rows[static_cast<size_t>(r)].lastInvoke = result;
    m_rows[static_cast<size_t>(r)].hasInvoke = true;
    Q_EMIT rowDetailsChanged(path);
}

void PluginModel::setCrashLoop(const QString& path, int crashes, bool stopped) {
    Q_ASSERT(QThread::currentThread() == thread());
    const int r = rowOf(path);
    if (r < 0)
        return;
    auto& row = m_rows[static_cast<size_t>(r)];
    row.crashes = crashes;
    row.crashLoop = stopped;
    changed(r);
}

void PluginModel::setNote(const QString& path, const QString& note) {
    Q_ASSERT(QThread::currentThread() == thread());
    const int r = rowOf(path);
    if (r < 0)
        return;
    m_rows[static_cast<size_t>(r)].note = note;
    Q_EMIT rowDetailsChanged(path);
}

void PluginModel::remove(const QString& path) {
    Q_ASSERT(QThread::currentThread() == thread());
    const int r = rowOf(path);
    if (r < 0)
        return;
    beginRemoveRows({}, r, r);
    m_rows.erase(m_rows.begin() + r);
    endRemoveRows();
}

} // namespace regscope
