#include "views/etcd/EtcdKeysView.h"

#include "models/etcd/EtcdKeysModel.h"
#include "views/Theme.h"
#include "views/etcd/EtcdValueView.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

EtcdKeysView::EtcdKeysView(EtcdKeysModel* model, QWidget* parent)
    : QWidget(parent)
    , m_model(model) {
    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(u"Filter keys…"_s);
    m_filter->setClearButtonEnabled(true);
    m_progress = new QProgressBar(this);
    m_progress->setFormat(u"loading %v / %m keys"_s);
    m_progress->hide();
    m_cancel = new QPushButton(u"Cancel"_s, this);
    m_cancel->hide();
    top->addWidget(m_filter, 1);
    top->addWidget(m_progress);
    top->addWidget(m_cancel);
    layout->addLayout(top);

    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(model);
    m_proxy->setFilterKeyColumn(EtcdKeysModel::KeyColumn);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_table = new QTableView(this);
    m_table->setModel(m_proxy);
    useStateColours(m_table);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(22);
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(EtcdKeysModel::ValueColumn,
                                                      QHeaderView::Stretch);
    m_table->setColumnWidth(EtcdKeysModel::KeyColumn, 260);
    m_table->setWordWrap(false);
    m_value = new EtcdValueView(this);

    auto* split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(m_value);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);

    connect(m_filter, &QLineEdit::textChanged, this, &EtcdKeysView::setFilter);
    connect(m_cancel, &QPushButton::clicked, this, &EtcdKeysView::cancelSnapshotRequested);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &EtcdKeysView::showCurrent);
    // The shown value follows a change of the selected key.
    connect(model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex& a, const QModelIndex& b) {
                const QModelIndex cur = m_proxy->mapToSource(m_table->currentIndex());
                if (cur.isValid() && cur.row() >= a.row() && cur.row() <= b.row() &&
                    a.column() <= EtcdKeysModel::ValueColumn)
                    showCurrent();
            });
}

void EtcdKeysView::setFilter(const QString& text) {
    if (m_filter->text() != text)
        m_filter->setText(text);
    m_proxy->setFilterFixedString(text);
}

void EtcdKeysView::setSnapshotProgress(qint64 done, qint64 total) {
    const bool loading = total > 0 && done < total;
    m_progress->setVisible(loading);
    m_cancel->setVisible(loading);
    if (!loading)
        return;
    // QProgressBar is int-based: scale past 2^31 (not reached by etcd in practice).
    m_progress->setRange(0, static_cast<int>(std::min<qint64>(total, INT_MAX)));
    m_progress->setValue(static_cast<int>(std::min<qint64>(done, INT_MAX)));
}

void EtcdKeysView::showCurrent() {
    const QModelIndex cur = m_proxy->mapToSource(m_table->currentIndex());
    if (!cur.isValid()) {
        m_value->clear();
        return;
    }
    const QModelIndex i = m_model->index(cur.row(), 0);
    m_value->setValue(i.data(EtcdKeysModel::KeyBytesRole).toByteArray(),
                      i.data(EtcdKeysModel::ValueBytesRole).toByteArray());
}

} // namespace regscope
