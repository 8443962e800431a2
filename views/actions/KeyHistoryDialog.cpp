#include "views/actions/KeyHistoryDialog.h"

#include "models/etcd/EtcdIds.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

QStringList lineDiff(const QString& before, const QString& after, int maxLines) {
    const QStringList a = before.split(u'\n');
    const QStringList b = after.split(u'\n');
    if (a.size() > maxLines || b.size() > maxLines)
        return {u"(values of more than "_s + QString::number(maxLines) +
                u" lines are not diffed)"_s};
    const auto n = a.size(), m = b.size();
    // lcs[i][j]: common lines of a[i..] and b[j..]
    std::vector<std::vector<int>> lcs(static_cast<size_t>(n + 1),
                                      std::vector<int>(static_cast<size_t>(m + 1), 0));
    for (auto i = n - 1; i >= 0; --i)
        for (auto j = m - 1; j >= 0; --j)
            lcs[size_t(i)][size_t(j)] = a[i] == b[j] ? lcs[size_t(i + 1)][size_t(j + 1)] + 1
                                                     : std::max(lcs[size_t(i + 1)][size_t(j)],
                                                                lcs[size_t(i)][size_t(j + 1)]);
    QStringList out;
    qsizetype i = 0, j = 0;
    while (i < n && j < m) {
        if (a[i] == b[j]) {
            out << u"  "_s + a[i];
            ++i;
            ++j;
        } else if (lcs[size_t(i + 1)][size_t(j)] >= lcs[size_t(i)][size_t(j + 1)]) {
            out << u"- "_s + a[i++];
        } else {
            out << u"+ "_s + b[j++];
        }
    }
    while (i < n)
        out << u"- "_s + a[i++];
    while (j < m)
        out << u"+ "_s + b[j++];
    return out;
}

KeyHistoryDialog::KeyHistoryDialog(QByteArray key, const ActionResult& history, QWidget* parent)
    : QDialog(parent)
    , m_key(std::move(key))
    , m_history(history.history) {
    setObjectName(u"keyHistoryDialog"_s);
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowTitle(u"History of "_s + QString::fromUtf8(m_key));
    auto* layout = new QVBoxLayout(this);
    QString note = QString::number(m_history.size()) + u" revisions still in etcd's history"_s;
    if (history.historyTruncated)
        note += u" — "_s + history.message;
    layout->addWidget(new QLabel(note, this));

    m_table = new QTableWidget(static_cast<int>(m_history.size()), 4, this);
    m_table->setObjectName(u"historyTable"_s);
    m_table->setHorizontalHeaderLabels({u"mod_revision"_s, u"version"_s, u"lease"_s, u"value"_s});
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_from = new QComboBox(this);
    m_to = new QComboBox(this);
    for (int row = 0; row < static_cast<int>(m_history.size()); ++row) {
        const KeyRecord& kv = m_history[size_t(row)];
        m_table->setItem(row, 0, new QTableWidgetItem(QString::number(kv.modRevision)));
        m_table->setItem(row, 1, new QTableWidgetItem(QString::number(kv.version)));
        m_table->setItem(row, 2,
                         new QTableWidgetItem(kv.lease ? etcdLeaseText(kv.lease) : QString()));
        m_table->setItem(row, 3, new QTableWidgetItem(QString::fromUtf8(kv.value.left(200))));
        const QString label = u"rev "_s + QString::number(kv.modRevision) + u" (v"_s +
                              QString::number(kv.version) + u')';
        m_from->addItem(label);
        m_to->addItem(label);
    }
    auto* pick = new QHBoxLayout;
    pick->addWidget(new QLabel(u"Diff from"_s, this));
    pick->addWidget(m_from);
    pick->addWidget(new QLabel(u"to"_s, this));
    pick->addWidget(m_to);
    pick->addStretch(1);
    m_diff = new QPlainTextEdit(this);
    m_diff->setObjectName(u"historyDiff"_s);
    m_diff->setReadOnly(true);
    m_diff->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    auto* lower = new QWidget(split);
    auto* lowerLayout = new QVBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 0, 0, 0);
    lowerLayout->addLayout(pick);
    lowerLayout->addWidget(m_diff);
    split->addWidget(lower);
    layout->addWidget(split, 1);
    auto update = [this] { compare(m_from->currentIndex(), m_to->currentIndex()); };
    connect(m_from, &QComboBox::currentIndexChanged, this, update);
    connect(m_to, &QComboBox::currentIndexChanged, this, update);
    if (m_history.size() >= 2) {
        m_from->setCurrentIndex(1);
        m_to->setCurrentIndex(0);
    }
    update();
    resize(720, 560);
}

void KeyHistoryDialog::compare(int olderRow, int newerRow) {
    const auto count = static_cast<int>(m_history.size());
    if (olderRow < 0 || newerRow < 0 || olderRow >= count || newerRow >= count) {
        m_diff->clear();
        return;
    }
    if (m_from->currentIndex() != olderRow)
        m_from->setCurrentIndex(olderRow);
    if (m_to->currentIndex() != newerRow)
        m_to->setCurrentIndex(newerRow);
    m_diff->setPlainText(lineDiff(QString::fromUtf8(m_history[size_t(olderRow)].value),
                                  QString::fromUtf8(m_history[size_t(newerRow)].value))
                             .join(u'\n'));
}

} // namespace regscope
