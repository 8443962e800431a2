#include "views/ChartExport.h"

#include "views/ExportUi.h"

#include <QChartView>
#include <QFileDialog>
#include <QFutureWatcher>
#include <QImageWriter>
#include <QMenu>
#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::StringLiterals;

namespace regscope {

QString writePng(const QImage& image, const QString& file) {
    if (image.isNull())
        return u"the chart has nothing drawn to save"_s;
    QImageWriter writer(file, "png");
    if (!writer.write(image))
        return u"cannot save to %1: %2"_s.arg(file, writer.errorString());
    return {};
}

namespace {

void saveChart(QChartView* view) {
    const QString file = QFileDialog::getSaveFileName(
        view, u"Save chart as PNG"_s, defaultExportPath(view, u"png"_s), u"PNG image (*.png)"_s);
    if (file.isEmpty())
        return;
    const QImage image = view->grab().toImage();
    auto* watcher = new QFutureWatcher<QString>(view);
    QObject::connect(watcher, &QFutureWatcher<QString>::finished, view,
                     [watcher, file, view = QPointer<QChartView>(view)] {
                         const QString error = watcher->result();
                         watcher->deleteLater();
                         if (!view)
                             return;
                         if (error.isEmpty())
                             showExportStatus(view, u"saved the chart to %1"_s.arg(file));
                         else
                             showExportError(view, error);
                     });
    watcher->setFuture(QtConcurrent::run([image, file] { return writePng(image, file); }));
}

} // namespace

void installChartExport(QChartView* view) {
    view->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(view, &QWidget::customContextMenuRequested, view, [view](const QPoint& at) {
        QMenu menu(view);
        menu.addAction(u"Save chart as PNG…"_s, view, [view] { saveChart(view); });
        menu.exec(view->viewport()->mapToGlobal(at));
    });
}

} // namespace regscope
