#pragma once
// The user's side of export: the Copy as / Save as menus every table gets, the file dialog,
// and where the outcome shows (the window's status bar; a failure also in a message box).

#include "views/TableExport.h"

class QAbstractItemView;
class QMenu;
class QWidget;

namespace regscope {

enum class ExportScope : quint8 { Selection, AllRows };
enum class ExportTarget : quint8 { Clipboard, File };

// "Copy as CSV", "Copy as JSON", "Save as CSV…", "Save as JSON…", each for the selected rows
// or all rows. Panels with their own context menu call this to add them.
void addExportMenus(QMenu* menu, QAbstractItemView* view);
// Starts an export of the view's rows (File: asks for the file first). Returns the job, or
// null when there was nothing to do (no selection, the dialog was cancelled).
TableExport* exportRows(QAbstractItemView* view, ExportScope scope, ExportFormat format,
                        ExportTarget target, const QString& file = {});
// How many rows the selection covers (from its ranges: cheap for a million selected rows).
qsizetype selectedRowCount(const QAbstractItemView* view);

// ~/regscope-<panel>.<ext>, the panel named after the nearest named ancestor.
QString defaultExportPath(const QWidget* widget, const QString& extension);
void showExportStatus(QWidget* widget, const QString& text);
void showExportError(QWidget* widget, const QString& text);

} // namespace regscope
