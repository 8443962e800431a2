// MainWindow's snapshot actions: File ▸ Save snapshot… and File ▸ Compare with snapshot…, and
// the badge of a snapshot source (models/Snapshot, docs/snapshot-schema.md).

#include "models/Snapshot.h"
#include "models/Store.h"
#include "views/ConnectionBar.h"
#include "views/MainWindow.h"
#include "views/SnapshotCompareDialog.h"

#include <QAction>
#include <QDateTime>
#include <QFileDialog>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QMenu>
#include <QSaveFile>
#include <QStatusBar>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

struct Written {
    QString error; // empty: written
    qint64 bytes = 0;
    qint64 records = 0;
};

// One source: its object; several (the panels' first): {"schema", ..., "sources": [...]},
// the document a multi-source --dump writes (docs/snapshot-schema.md).
Written writeSnapshot(std::vector<SnapshotCapture> captures, const QString& path) {
    Written w;
    QJsonArray sources;
    for (SnapshotCapture& capture : captures) {
        const SourceSnapshot snapshot = finish(std::move(capture));
        for (const auto& records : snapshot.records)
            w.records += qint64(records.size());
        sources.append(toJson(snapshot));
    }
    const QJsonObject document =
        sources.size() == 1
            ? sources.first().toObject()
            : QJsonObject{{u"schema"_s, QLatin1StringView(kSnapshotSchema)},
                          {u"schema_version"_s, kSnapshotSchemaVersion},
                          {u"taken_at"_s, isoUtc(QDateTime::currentMSecsSinceEpoch())},
                          {u"sources"_s, sources}};
    const QByteArray json = QJsonDocument(document).toJson();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(json) != json.size() || !file.commit()) {
        w.error = file.errorString();
        return w;
    }
    w.bytes = json.size();
    return w;
}

QFileDialog* snapshotFileDialog(QWidget* parent, const QString& title,
                                QFileDialog::AcceptMode mode) {
    auto* dialog = new QFileDialog(parent, title);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(mode);
    dialog->setFileMode(mode == QFileDialog::AcceptSave ? QFileDialog::AnyFile
                                                        : QFileDialog::ExistingFile);
    dialog->setNameFilters({u"regscope snapshots (*.json)"_s, u"All files (*)"_s});
    dialog->setDefaultSuffix(u"json"_s);
    return dialog;
}

} // namespace

void MainWindow::addSnapshotActions(QMenu* file) {
    file->addSeparator();
    QAction* save = file->addAction(u"&Save snapshot…"_s);
    save->setObjectName(u"saveSnapshotAction"_s);
    save->setShortcut(QKeySequence::Save);
    connect(save, &QAction::triggered, this, [this] {
        auto* dialog = snapshotFileDialog(this, u"Save snapshot"_s, QFileDialog::AcceptSave);
        dialog->selectFile(u"regscope-snapshot-%1.json"_s.arg(
            QDateTime::currentDateTime().toString(u"yyyyMMdd-HHmmss"_s)));
        connect(dialog, &QFileDialog::fileSelected, this, &MainWindow::saveSnapshot);
        dialog->open();
    });
    QAction* compare = file->addAction(u"Co&mpare with snapshot…"_s);
    compare->setObjectName(u"compareSnapshotAction"_s);
    connect(compare, &QAction::triggered, this, [this] {
        auto* dialog =
            snapshotFileDialog(this, u"Compare with snapshot"_s, QFileDialog::AcceptOpen);
        connect(dialog, &QFileDialog::fileSelected, this, &MainWindow::openCompare);
        dialog->open();
    });
    file->addSeparator();
}

void MainWindow::setSourceUrl(const QString& url) {
    m_sourceUrl = url;
    updateBadge();
}

void MainWindow::updateBadge() {
    const bool snapshot = m_sourceUrl.startsWith(u"file://");
    const SourceHealth health = m_store ? m_store->health() : SourceHealth{};
    m_connectionBar->setBadge(snapshot && health.state == HealthState::Live ? health.reason
                                                                            : QString());
}

void MainWindow::saveSnapshot(const QString& path) {
    if (!m_store)
        return;
    statusBar()->showMessage(u"saving snapshot to %1…"_s.arg(path));
    auto* watcher = new QFutureWatcher<Written>(this);
    connect(watcher, &QFutureWatcher<Written>::finished, this, [this, watcher, path] {
        const Written w = watcher->result();
        watcher->deleteLater();
        if (!w.error.isEmpty())
            statusBar()->showMessage(u"could not save the snapshot to %1: %2"_s.arg(path, w.error),
                                     30000);
        else
            statusBar()->showMessage(u"snapshot saved to %1 (%2 records, %3 KB)"_s.arg(path)
                                         .arg(QLocale().toString(w.records))
                                         .arg(QLocale().toString((w.bytes + 1023) / 1024)),
                                     15000);
        Q_EMIT snapshotSaved(path, w.error);
    });
    std::vector<SnapshotCapture> captures;
    captures.push_back(captureSnapshot(*m_store, m_sourceUrl));
    if (m_extraSources)
        for (const auto& [url, store] : m_extraSources())
            captures.push_back(captureSnapshot(*store, url));
    watcher->setFuture(QtConcurrent::run(writeSnapshot, std::move(captures), path));
}

SnapshotCompareDialog* MainWindow::openCompare(const QString& snapshotPath) {
    if (!m_store)
        return nullptr;
    auto* dialog = new SnapshotCompareDialog(m_store, m_sourceUrl, snapshotPath, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
    return dialog;
}

} // namespace regscope
