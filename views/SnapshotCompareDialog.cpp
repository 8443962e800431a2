#include "views/SnapshotCompareDialog.h"

#include "models/SnapshotDiffModel.h"
#include "models/Store.h"
#include "views/TableActions.h"
#include "views/Theme.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QEvent>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QRegularExpression>
#include <QTableView>
#include <QTimeZone>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::StringLiterals;

namespace regscope {

SnapshotCompareDialog::SnapshotCompareDialog(Store* store, QString liveUrl, QString snapshotPath,
                                             QWidget* parent)
    : QDialog(parent)
    , m_store(store)
    , m_liveUrl(std::move(liveUrl))
    , m_path(std::move(snapshotPath)) {
    setObjectName(u"snapshotCompareDialog"_s);
    setWindowTitle(u"Compare with snapshot — %1"_s.arg(QFileInfo(m_path).fileName()));
    auto* layout = new QVBoxLayout(this);
    m_title = new QLabel(this);
    m_title->setWordWrap(true);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_title);
    m_summary = new QLabel(this);
    m_summary->setObjectName(u"compareSummary"_s);
    layout->addWidget(m_summary);
    m_model = new SnapshotDiffModel(this);
    m_table = new QTableView(this);
    m_table->setObjectName(u"compareTable"_s);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(false);
    useStateColours(m_table);
    installTableActions(m_table, SnapshotDiffModel::IdColumn);
    layout->addWidget(m_table, 1);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_refresh = buttons->addButton(u"Compare again"_s, QDialogButtonBox::ActionRole);
    m_refresh->setToolTip(u"Compare the snapshot with the live source as it is now"_s);
    connect(m_refresh, &QPushButton::clicked, this, &SnapshotCompareDialog::refresh);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    connect(&m_watcher, &QFutureWatcher<Result>::finished, this,
            [this] { showResult(m_watcher.result()); });
    resize(980, 520);
    refresh();
}

// A read still in flight is not waited for: it holds copies only, and its result is dropped.
SnapshotCompareDialog::~SnapshotCompareDialog() = default;

void SnapshotCompareDialog::refresh() {
    if (m_watcher.isRunning())
        return;
    m_refresh->setEnabled(false);
    m_title->setText(u"Snapshot <b>%1</b> (old) against the live source <b>%2</b> (new)"_s.arg(
        m_path.toHtmlEscaped(), m_liveUrl.toHtmlEscaped()));
    m_error.clear();
    m_summary->setText(u"reading the snapshot…"_s);
    // Only the records are copied here (their strings are shared); the rest runs on a worker.
    auto live = copyRecords(*m_store);
    m_watcher.setFuture(QtConcurrent::run([path = m_path, live = std::move(live)] {
        Result r;
        auto read = readSnapshotFile(path);
        if (!read) {
            r.error = read.error();
            return r;
        }
        const SourceSnapshot& snapshot = read->front();
        r.snapshotLabel = u"snapshot of %1 taken at %2"_s.arg(
            snapshot.source, QDateTime::fromMSecsSinceEpoch(snapshot.takenAtMs, QTimeZone::utc())
                                 .toString(u"yyyy-MM-dd HH:mm:ss 'UTC'"_s));
        r.diff = diffRecords(snapshot.records, live);
        return r;
    }));
}

void SnapshotCompareDialog::showResult(Result r) {
    m_refresh->setEnabled(true);
    m_error = r.error;
    if (!r.error.isEmpty()) {
        m_model->setDiff({}, {}, {});
    } else {
        m_title->setText(u"<b>%1</b> — %2 (old) against the live source <b>%3</b> (new)"_s.arg(
            QFileInfo(m_path).fileName().toHtmlEscaped(), r.snapshotLabel.toHtmlEscaped(),
            m_liveUrl.toHtmlEscaped()));
        m_model->setDiff(std::move(r.diff), u"Snapshot"_s, u"Live"_s);
        m_table->resizeColumnsToContents();
    }
    showSummary();
    Q_EMIT compared();
}

// Coloured with the theme in use (again when it changes).
void SnapshotCompareDialog::showSummary() {
    if (!m_error.isEmpty()) {
        m_summary->setText(u"<span style='color:%1'>cannot compare: %2</span>"_s.arg(
            theme::text(ItemState::Down).name(), m_error.toHtmlEscaped()));
        return;
    }
    if (m_watcher.isRunning())
        return;
    const SnapshotDiff& d = m_model->diff();
    m_summary->setText(
        d.equal()
            ? u"<span style='color:%1'>equal: the live source has the same records</span>"_s.arg(
                  theme::text(ItemState::Healthy).name())
            : u"<span style='color:%1'>%2 added</span> · <span style='color:%3'>%4 "
              u"removed</span> · <span style='color:%5'>%6 changed</span> since the snapshot"_s
                  .arg(theme::text(ItemState::Added).name())
                  .arg(d.added)
                  .arg(theme::text(ItemState::Removed).name())
                  .arg(d.removed)
                  .arg(theme::text(ItemState::Changed).name())
                  .arg(d.changed));
}

void SnapshotCompareDialog::changeEvent(QEvent* event) {
    if (event->type() == QEvent::ApplicationPaletteChange || event->type() == QEvent::PaletteChange)
        showSummary();
    QDialog::changeEvent(event);
}

QString SnapshotCompareDialog::summaryText() const {
    QString html = m_summary->text();
    html.remove(QRegularExpression(u"<[^>]*>"_s));
    return html;
}

} // namespace regscope
