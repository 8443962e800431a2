#include "views/ExportUi.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QItemSelectionModel>
#include <QLocale>
#include <QMainWindow>
#include <QMenu>
#include <QMessageBox>
#include <QPointer>
#include <QRegularExpression>
#include <QSet>
#include <QStatusBar>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

QString formatName(ExportFormat format) {
    return format == ExportFormat::Csv ? u"CSV"_s : u"JSON"_s;
}

QString rowsText(qsizetype n) {
    return n == 1 ? u"1 row"_s : u"%1 rows"_s.arg(QLocale().toString(n));
}

} // namespace

qsizetype selectedRowCount(const QAbstractItemView* view) {
    if (!view->selectionModel())
        return 0;
    const QItemSelection selection = view->selectionModel()->selection();
    qsizetype n = 0;
    for (const QItemSelectionRange& r : selection)
        n += r.height();
    if (n > 100000)
        return n; // a big selection is whole rows (Ctrl+A): no overlap to count out
    // A cell selection has several ranges over the same rows: count each row once.
    QSet<std::pair<int, quintptr>> rows;
    for (const QItemSelectionRange& r : selection)
        for (int row = r.top(); row <= r.bottom(); ++row)
            rows.insert({row, quintptr(r.parent().internalId())});
    return rows.size();
}

QString defaultExportPath(const QWidget* widget, const QString& extension) {
    QString name = u"table"_s;
    for (const QWidget* w = widget; w; w = w->parentWidget()) {
        const QString n = w->objectName();
        if (!n.isEmpty() && !n.startsWith(u"qt_") && w->parentWidget() && !w->isWindow()) {
            name = n;
            break;
        }
    }
    name = name.toLower().replace(QRegularExpression(u"[^a-z0-9]+"_s), u"-"_s);
    return QDir::home().filePath(u"regscope-%1.%2"_s.arg(name, extension));
}

void showExportStatus(QWidget* widget, const QString& text) {
    if (auto* window = qobject_cast<QMainWindow*>(widget->window()))
        window->statusBar()->showMessage(text, 8000);
}

void showExportError(QWidget* widget, const QString& text) {
    showExportStatus(widget, text);
    // open(), not exec(): the window keeps running (and a test is not stopped by it).
    auto* box = new QMessageBox(QMessageBox::Warning, u"Export failed"_s, text, QMessageBox::Ok,
                                widget->window());
    box->setObjectName(u"exportErrorBox"_s);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

TableExport* exportRows(QAbstractItemView* view, ExportScope scope, ExportFormat format,
                        ExportTarget target, const QString& chosen) {
    if (!view->model())
        return nullptr;
    QItemSelectionModel* selection = nullptr;
    if (scope == ExportScope::Selection) {
        selection = view->selectionModel();
        if (!selection || !selection->hasSelection())
            return nullptr;
    }
    QString file = chosen;
    const QString ext = format == ExportFormat::Csv ? u"csv"_s : u"json"_s;
    if (target == ExportTarget::File && file.isEmpty()) {
        file = QFileDialog::getSaveFileName(view, u"Save as %1"_s.arg(formatName(format)),
                                            defaultExportPath(view, ext),
                                            u"%1 (*.%2)"_s.arg(formatName(format), ext));
        if (file.isEmpty())
            return nullptr;
    }
    auto* job = TableExport::start(view->model(), selection, format, file, view);
    QObject::connect(job, &TableExport::progress, view, [view](qsizetype rows) {
        if (rows >= 20000)
            showExportStatus(view, u"exporting… %1 read"_s.arg(rowsText(rows)));
    });
    QObject::connect(
        job, &TableExport::finished, view, [view, format](const TableExport::Result& r) {
            if (!r.ok) {
                showExportError(view, r.error);
                return;
            }
            if (r.file.isEmpty()) {
                QApplication::clipboard()->setText(r.text);
                showExportStatus(view,
                                 u"copied %1 as %2"_s.arg(rowsText(r.rows), formatName(format)));
            } else {
                showExportStatus(view, u"saved %1 to %2"_s.arg(rowsText(r.rows), r.file));
            }
        });
    return job;
}

void addExportMenus(QMenu* menu, QAbstractItemView* view) {
    const qsizetype selected = selectedRowCount(view);
    const QAbstractItemModel* model = view->model();
    const int all = model ? model->rowCount() : 0;
    // A tree exports its children too: its top-level count would not be the rows saved.
    const bool tree = all > 0 && model->hasChildren(model->index(0, 0));
    const std::pair<ExportTarget, ExportFormat> kinds[] = {
        {ExportTarget::Clipboard, ExportFormat::Csv},
        {ExportTarget::Clipboard, ExportFormat::Json},
        {ExportTarget::File, ExportFormat::Csv},
        {ExportTarget::File, ExportFormat::Json}};
    for (const auto& [target, format] : kinds) {
        const QString title = target == ExportTarget::Clipboard
                                  ? u"Copy as %1"_s.arg(formatName(format))
                                  : u"Save as %1…"_s.arg(formatName(format));
        QMenu* sub = menu->addMenu(title);
        sub->setObjectName(title);
        QAction* some =
            sub->addAction(u"Selected rows (%1)"_s.arg(selected), view, [view, target, format] {
                exportRows(view, ExportScope::Selection, format, target);
            });
        some->setEnabled(selected > 0);
        sub->addAction(
            tree ? u"All rows"_s : u"All rows (%1)"_s.arg(QLocale().toString(all)), view,
            [view, target, format] { exportRows(view, ExportScope::AllRows, format, target); });
    }
}

} // namespace regscope
