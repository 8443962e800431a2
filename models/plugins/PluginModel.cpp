#include "models/plugins/PluginModel.h"

#include "models/ItemRoles.h"
#include "models/Store.h"

#include <QFileInfo>
#include <QThread>

using namespace Qt::StringLiterals;

namespace regscope {
namespace {

PluginRow rowFrom(const PluginEvent& e) {
    PluginRow r;
    r.path = e.path;
    r.state = e.state;
    r.stage = e.stage;
    if (e.verdict)
        r.verdict = *e.verdict;
    if (e.lastInvoke) {
        r.lastInvoke = *e.lastInvoke;
        r.hasInvoke = true;
    }
    r.crashes = e.crashes;
    r.crashLoop = e.crashLoop;
    r.deterministic = e.deterministic;
    r.note = e.note;
    r.calls = e.calls;
    r.candidate = e.candidate;
    r.recordedPayloads = e.recordedPayloads;
    return r;
}

} // namespace

PluginModel::PluginModel(QObject* parent)
    : QAbstractTableModel(parent) {}

void PluginModel::setStore(Store* store) {
    if (m_store)
        disconnect(m_store, nullptr, this, nullptr);
    m_store = store;
    if (!store)
        return;
    connect(store, &Store::pluginsChanged, this, &PluginModel::apply);
    QList<PluginEvent> current;
    for (const PluginEvent& e : store->plugins())
        current.append(e);
    std::sort(current.begin(), current.end(),
              [](const PluginEvent& a, const PluginEvent& b) { return a.path < b.path; });
    apply(current);
}

int PluginModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int PluginModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PluginModel::stateOf(const PluginRow& r) const {
    ItemState s = ItemState::Normal;
    switch (r.state) {
    case PluginState::Ready:
        s = r.verdict.blocked.isEmpty() ? ItemState::Healthy : ItemState::Warning;
        break;
    case PluginState::Crashed:
    case PluginState::TimedOut:
        s = ItemState::Crashed;
        break;
    case PluginState::Refused:
        s = ItemState::Down;
        break;
    case PluginState::Unloaded:
        s = ItemState::Muted;
        break;
    default:
        s = ItemState::Info;
        break;
    }
    return static_cast<int>(s);
}

QVariant PluginModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const PluginRow& r = m_rows[static_cast<size_t>(index.row())];
    switch (role) {
    case PathRole:
        return r.path;
    case PluginStateRole:
        return static_cast<int>(r.state);
    case HeadlineRole:
        return r.verdict.headline();
    case StateRole:
        return index.column() == StateColumn ? stateOf(r) : QVariant();
    case Qt::ToolTipRole:
        return r.path;
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn:
            return r.verdict.pluginName.isEmpty()
                       ? QFileInfo(r.path).fileName()
                       : u"%1 (%2)"_s.arg(r.verdict.pluginName, QFileInfo(r.path).fileName());
        case KindColumn:
            return r.verdict.kind();
        case StateColumn:
            if (r.deterministic)
                return u"%1 (same crash twice)"_s.arg(toString(r.state));
            return r.crashLoop ? u"%1 (crash loop)"_s.arg(toString(r.state)) : toString(r.state);
        case StageColumn:
            return fromCodes(loader::codeName(r.stage));
        case LoadMsColumn:
            return r.verdict.loadMs > 0 ? QString::number(r.verdict.loadMs, 'f', 1) : QString();
        case RegistrationsColumn:
            return static_cast<int>(r.verdict.registrations.size());
        case CallsColumn:
            return r.calls.calls ? u"%1 (%2 errors)"_s.arg(r.calls.calls).arg(r.calls.errors)
                                 : QString();
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
    case KindColumn:
        return u"Kind"_s;
    case StateColumn:
        return u"State"_s;
    case StageColumn:
        return u"Stage"_s;
    case LoadMsColumn:
        return u"Load ms"_s;
    case RegistrationsColumn:
        return u"Registrations"_s;
    case CallsColumn:
        return u"Calls"_s;
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

void PluginModel::apply(const QList<PluginEvent>& events) {
    Q_ASSERT(QThread::currentThread() == thread());
    std::vector<PluginRow> added;
    for (const PluginEvent& e : events) {
        const int r = rowOf(e.path);
        if (e.removed) {
            if (r >= 0) {
                beginRemoveRows({}, r, r);
                m_rows.erase(m_rows.begin() + r);
                endRemoveRows();
            }
            std::erase_if(added, [&](const PluginRow& a) { return a.path == e.path; });
            continue;
        }
        if (r < 0) {
            auto it = std::find_if(added.begin(), added.end(),
                                   [&](const PluginRow& a) { return a.path == e.path; });
            if (it != added.end())
                *it = rowFrom(e);
            else
                added.push_back(rowFrom(e));
            continue;
        }
        m_rows[static_cast<size_t>(r)] = rowFrom(e);
        Q_EMIT dataChanged(index(r, 0), index(r, ColumnCount - 1));
        Q_EMIT rowDetailsChanged(e.path);
    }
    if (added.empty())
        return;
    // New paths in one run.
    const int first = rowCount();
    beginInsertRows({}, first, first + static_cast<int>(added.size()) - 1);
    for (auto& r : added)
        m_rows.push_back(std::move(r));
    endInsertRows();
}

} // namespace regscope
