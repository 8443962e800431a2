#include "models/DriftModel.h"

#include "models/ItemRoles.h"

#include <QHash>

using namespace Qt::StringLiterals;

namespace regscope {

QString DriftModel::keyOf(const DriftFinding& f) {
    return toString(f.kind) % u'\x1f' % f.sourceA % u'\x1f' % f.sourceB % u'\x1f' % f.appid %
           u'\x1f' % f.hostname % u'\x1f' % f.addr;
}

QString DriftModel::fieldsText(const DriftFinding& f) {
    QStringList parts;
    for (const DriftField& d : f.fields)
        parts.append(u"%1 %2 → %3"_s.arg(d.field, d.a.isEmpty() ? u"∅"_s : d.a,
                                         d.b.isEmpty() ? u"∅"_s : d.b));
    return parts.join(u"; "_s);
}

void DriftModel::setReconciliation(Reconciliation r) {
    QHash<QString, qsizetype> next;
    for (qsizetype i = 0; i < qsizetype(r.findings.size()); ++i)
        next.insert(keyOf(r.findings[size_t(i)]), i);
    // Removals, highest row first, in runs.
    auto& rows = m_current.findings;
    for (int row = int(rows.size()) - 1; row >= 0;) {
        if (next.contains(keyOf(rows[size_t(row)]))) {
            --row;
            continue;
        }
        int first = row;
        while (first > 0 && !next.contains(keyOf(rows[size_t(first - 1)])))
            --first;
        beginRemoveRows({}, first, row);
        rows.erase(rows.begin() + first, rows.begin() + row + 1);
        endRemoveRows();
        row = first - 1;
    }
    // Updates in place; what is new goes to the end.
    QHash<QString, int> have;
    for (int i = 0; i < int(rows.size()); ++i)
        have.insert(keyOf(rows[size_t(i)]), i);
    std::vector<DriftFinding> added;
    for (DriftFinding& f : r.findings) {
        const auto it = have.constFind(keyOf(f));
        if (it == have.cend()) {
            added.push_back(std::move(f));
            continue;
        }
        DriftFinding& old = rows[size_t(*it)];
        if (old.fields != f.fields || old.hostnameB != f.hostnameB) {
            old = std::move(f);
            Q_EMIT dataChanged(index(*it, 0), index(*it, ColumnCount - 1));
        }
    }
    if (!added.empty()) {
        const int first = int(rows.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        std::move(added.begin(), added.end(), std::back_inserter(rows));
        endInsertRows();
    }
    m_current.matched = r.matched;
    m_current.onlyInA = r.onlyInA;
    m_current.onlyInB = r.onlyInB;
    m_current.differs = r.differs;
    Q_EMIT countsChanged();
}

int DriftModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_current.findings.size());
}

int DriftModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DriftModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(m_current.findings.size()))
        return {};
    const DriftFinding& f = m_current.findings[size_t(index.row())];
    if (role == StateRole && index.column() == KindColumn)
        return int(f.kind == DriftFinding::Kind::Differs   ? ItemState::Changed
                   : f.kind == DriftFinding::Kind::OnlyInA ? ItemState::Removed
                                                           : ItemState::Added);
    if (role == Qt::ToolTipRole && index.column() == FieldsColumn)
        return fieldsText(f).replace(u"; "_s, u"\n"_s);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case KindColumn:
        return f.kind == DriftFinding::Kind::Differs   ? u"differs"_s
               : f.kind == DriftFinding::Kind::OnlyInA ? u"only in A"_s
                                                       : u"only in B"_s;
    case AppidColumn:
        return f.appid;
    case HostnameColumn:
        return f.hostnameB.isEmpty() ? f.hostname : f.hostname % u" / "_s % f.hostnameB;
    case AddrColumn:
        return f.addr;
    case FieldsColumn:
        return fieldsText(f);
    case SourceAColumn:
        return f.sourceA;
    case SourceBColumn:
        return f.sourceB;
    }
    return {};
}

QVariant DriftModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* const names[] = {"Drift",  "AppID", "Hostname", "Address",
                                        "Fields", "A",     "B"};
    return section >= 0 && section < ColumnCount ? QString::fromLatin1(names[section]) : QVariant();
}

} // namespace regscope
