#include "views/AttachDialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QHash>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QThread>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

enum Column { PidColumn, ExeColumn, RegistriesColumn, EntriesColumn, UptimeColumn, ColumnCount };
constexpr int kUrlRole = Qt::UserRole + 1;

QString uptimeText(qint64 seconds) {
    if (seconds < 60)
        return u"%1 s"_s.arg(seconds);
    if (seconds < 3600)
        return u"%1 min %2 s"_s.arg(seconds / 60).arg(seconds % 60);
    return u"%1 h %2 min"_s.arg(seconds / 3600).arg(seconds % 3600 / 60);
}

// Sorts numerically where the column is a number.
class ProcessItem : public QTreeWidgetItem {
public:
    using QTreeWidgetItem::QTreeWidgetItem;
    bool operator<(const QTreeWidgetItem& other) const override {
        const int column = treeWidget() ? treeWidget()->sortColumn() : 0;
        if (column == PidColumn || column == EntriesColumn || column == UptimeColumn)
            return data(column, Qt::UserRole).toLongLong() <
                   other.data(column, Qt::UserRole).toLongLong();
        return QTreeWidgetItem::operator<(other);
    }
};

} // namespace

AttachDialog::AttachDialog(Lister lister, QWidget* parent)
    : QDialog(parent)
    , m_lister(std::move(lister)) {
    setObjectName(u"attachDialog"_s);
    setWindowTitle(u"Attach to process"_s);
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(u"attachFilter"_s);
    m_filter->setPlaceholderText(u"Filter by pid, executable or registry"_s);
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, &AttachDialog::applyFilter);

    m_list = new QTreeWidget(this);
    m_list->setObjectName(u"attachList"_s);
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setSortingEnabled(true);
    m_list->sortByColumn(PidColumn, Qt::AscendingOrder);
    m_list->setHeaderLabels(
        {u"PID"_s, u"Executable"_s, u"Registries"_s, u"Entries"_s, u"Uptime"_s});
    m_list->header()->setSectionResizeMode(ExeColumn, QHeaderView::Stretch);
    connect(m_list, &QTreeWidget::itemDoubleClicked, this,
            [this](QTreeWidgetItem* item) { attachItem(item); });

    m_reattach = new QCheckBox(u"&Reattach when it comes back (the next process with the same "
                               u"executable)"_s,
                               this);
    m_reattach->setObjectName(u"reattach"_s);
    m_status = new QLabel(u"Looking for processes…"_s, this);
    m_status->setObjectName(u"attachStatus"_s);
    m_status->setWordWrap(true);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    QPushButton* attach = buttons->addButton(u"&Attach"_s, QDialogButtonBox::AcceptRole);
    attach->setObjectName(u"attachButton"_s);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(attach, &QPushButton::clicked, this, [this] { attachItem(m_list->currentItem()); });

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_filter);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_reattach);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    resize(760, 420);

    m_timer = new QTimer(this);
    m_timer->setInterval(1000);
    connect(m_timer, &QTimer::timeout, this, &AttachDialog::refresh);
}

AttachDialog::~AttachDialog() {
    if (m_running) {
        // The lister has a deadline per socket; past ours the thread finishes on its own and
        // deletes itself (its result goes nowhere: this dialog is gone).
        if (m_running->wait(QDeadlineTimer(2000)))
            delete m_running;
        else
            connect(m_running, &QThread::finished, m_running, &QObject::deleteLater);
    }
}

void AttachDialog::setRefreshInterval(int ms) {
    m_timer->setInterval(ms);
}

void AttachDialog::showEvent(QShowEvent* event) {
    QDialog::showEvent(event);
    refresh();
    m_timer->start();
}

void AttachDialog::hideEvent(QHideEvent* event) {
    m_timer->stop();
    QDialog::hideEvent(event);
}

void AttachDialog::refresh() {
    if (m_running || !m_lister)
        return; // one listing at a time
    auto result = std::make_shared<QList<QJsonObject>>();
    m_running = QThread::create([lister = m_lister, result] { *result = lister(); });
    m_running->setObjectName(u"attach-listing"_s);
    connect(m_running, &QThread::finished, this, [this, result] {
        m_running->deleteLater();
        m_running = nullptr;
        showProcesses(*result);
    });
    m_running->start();
}

void AttachDialog::showProcesses(const QList<QJsonObject>& processes) {
    // Rows are updated in place, keyed by URL, so selection and scrolling survive a refresh.
    QHash<QString, QTreeWidgetItem*> rows;
    for (int i = 0; i < m_list->topLevelItemCount(); ++i)
        rows.insert(m_list->topLevelItem(i)->data(PidColumn, kUrlRole).toString(),
                    m_list->topLevelItem(i));
    m_list->setSortingEnabled(false);
    for (const QJsonObject& p : processes) {
        const QString url = p.value(u"url").toString();
        QTreeWidgetItem* item = rows.take(url);
        if (!item)
            item = new ProcessItem(m_list);
        const qint64 pid = p.value(u"pid").toInteger();
        QStringList registries;
        for (const QJsonValue& r : p.value(u"registries").toArray())
            registries << r.toObject().value(u"name").toString();
        const QString exe = p.value(u"exe").toString();
        const QString name = p.value(u"name").toString();
        item->setText(PidColumn, QString::number(pid));
        item->setData(PidColumn, Qt::UserRole, pid);
        item->setData(PidColumn, kUrlRole, url);
        item->setText(ExeColumn, name.isEmpty() || name == QFileInfo(exe).fileName()
                                     ? exe
                                     : u"%1 (%2)"_s.arg(exe, name));
        item->setToolTip(ExeColumn, p.value(u"argv").toVariant().toStringList().join(u' '));
        item->setText(RegistriesColumn, registries.join(u", "_s));
        item->setText(EntriesColumn, QString::number(p.value(u"entries").toInteger()));
        item->setData(EntriesColumn, Qt::UserRole, p.value(u"entries").toInteger());
        item->setText(UptimeColumn, uptimeText(p.value(u"uptime_s").toInteger()));
        item->setData(UptimeColumn, Qt::UserRole, p.value(u"uptime_s").toInteger());
    }
    qDeleteAll(rows); // the processes that went away
    m_list->setSortingEnabled(true);
    applyFilter();
    m_status->setText(
        processes.isEmpty()
            ? u"No process exposes a debug endpoint. Start one with REGSCOPE_DEBUG=1 "
              u"(or call regscope::registry::debug::Start())."_s
            : u"%1 attachable processes; double-click one to attach."_s.arg(processes.size()));
    Q_EMIT listed(int(processes.size()));
}

void AttachDialog::applyFilter() {
    const QString text = m_filter->text().trimmed();
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        QTreeWidgetItem* item = m_list->topLevelItem(i);
        bool match = text.isEmpty();
        for (int c = 0; c < ColumnCount && !match; ++c)
            match = item->text(c).contains(text, Qt::CaseInsensitive);
        item->setHidden(!match);
    }
}

QString AttachDialog::selectedUrl() const {
    const QTreeWidgetItem* item = m_list->currentItem();
    if (!item || item->isHidden())
        return {};
    const QString url = item->data(PidColumn, kUrlRole).toString();
    return m_reattach->isChecked() ? url + u"?reattach=1"_s : url;
}

void AttachDialog::attachItem(QTreeWidgetItem* item) {
    if (!item)
        return;
    m_list->setCurrentItem(item);
    const QString url = selectedUrl();
    if (url.isEmpty())
        return;
    Q_EMIT attachRequested(url);
    accept();
}

} // namespace regscope
