#pragma once
// "Save chart as PNG…" on a chart's context menu: the chart as it is drawn now (grab()),
// encoded and written on a worker with QImageWriter, the outcome in the status bar or a
// message box.

#include <QImage>
#include <QString>

class QChartView;

namespace regscope {

void installChartExport(QChartView* view);
// Writes the image as PNG; an empty string on success, else why not (for the user).
QString writePng(const QImage& image, const QString& file);

} // namespace regscope
