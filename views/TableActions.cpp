#include "views/TableActions.h"

#include "views/ExportUi.h"

#include <QAbstractItemView>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QJsonDocument>
#include <QMenu>
#include <QTableView>
#include <QTreeView>

#include <map>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

QString header(const QAbstractItemModel* model, int column) {
    return model->headerData(column, Qt::Horizontal, Qt::DisplayRole).toString();
}

QString cellText(const QModelIndex& index) {
    // ToolTip often holds the full value where the cell shows a shortened one.
    return index.data(Qt::DisplayRole).toString();
}

// One index per row (the first column's), keeping the view's order.
QModelIndexList distinctRows(const QModelIndexList& indexes) {
    std::map<std::pair<int, quintptr>, QModelIndex> rows;
    for (const QModelIndex& i : indexes)
        rows.emplace(std::pair{i.row(), quintptr(i.internalId())}, i.siblingAtColumn(0));
    QModelIndexList out;
    for (const auto& [key, index] : rows)
        out.append(index);
    return out;
}

void copy(const QString& text) {
    QApplication::clipboard()->setText(text);
}

} // namespace

QString rowsAsText(const QAbstractItemModel* model, const QModelIndexList& indexes) {
    const int columns =
        model->columnCount(indexes.isEmpty() ? QModelIndex() : indexes.first().parent());
    QStringList lines;
    QStringList head;
    for (int c = 0; c < columns; ++c)
        head.append(header(model, c));
    lines.append(head.join(u'\t'));
    for (const QModelIndex& row : distinctRows(indexes)) {
        QStringList cells;
        for (int c = 0; c < columns; ++c)
            cells.append(cellText(row.siblingAtColumn(c)).replace(u'\t', u' '));
        lines.append(cells.join(u'\t'));
    }
    return lines.join(u'\n') + u'\n';
}

QJsonObject rowAsJson(const QAbstractItemModel* model, const QModelIndex& index) {
    QJsonObject o;
    const int columns = model->columnCount(index.parent());
    for (int c = 0; c < columns; ++c) {
        const QString name = header(model, c).isEmpty() ? u"column%1"_s.arg(c) : header(model, c);
        o.insert(name, cellText(index.siblingAtColumn(c)));
    }
    return o;
}

void installTableActions(QAbstractItemView* view, int keyColumn) {
    view->setContextMenuPolicy(Qt::CustomContextMenu);
    auto* copyRows = new QAction(u"Copy rows"_s, view);
    copyRows->setShortcut(QKeySequence::Copy);
    copyRows->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    view->addAction(copyRows);
    QObject::connect(copyRows, &QAction::triggered, view, [view] {
        if (view->selectionModel() && view->selectionModel()->hasSelection())
            copy(rowsAsText(view->model(), view->selectionModel()->selectedIndexes()));
        else if (view->currentIndex().isValid())
            copy(rowsAsText(view->model(), {view->currentIndex()}));
    });
    // Ctrl+S: the whole table as CSV (the Save as menus also offer the selection and JSON).
    auto* save = new QAction(u"Save all rows as CSV…"_s, view);
    save->setShortcut(QKeySequence::Save);
    save->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    view->addAction(save);
    QObject::connect(save, &QAction::triggered, view, [view] {
        exportRows(view, ExportScope::AllRows, ExportFormat::Csv, ExportTarget::File);
    });
    QObject::connect(view, &QWidget::customContextMenuRequested, view, [view](const QPoint& at) {
        const QModelIndex index = view->indexAt(at);
        QMenu menu(view);
        if (index.isValid()) { // below the last row only the whole-table exports apply
            menu.addAction(u"Copy cell"_s, view, [index] { copy(cellText(index)); });
            menu.addAction(u"Copy row as JSON"_s, view, [view, index] {
                copy(QString::fromUtf8(QJsonDocument(rowAsJson(view->model(), index)).toJson()));
            });
            menu.addAction(u"Copy value"_s, view, [index] {
                const QString tip = index.data(Qt::ToolTipRole).toString();
                copy(tip.isEmpty() ? cellText(index) : tip);
            });
            menu.addAction(u"Copy selected rows"_s, view, [view] {
                copy(rowsAsText(view->model(), view->selectionModel()->selectedIndexes()));
            });
            menu.addSeparator();
        }
        addExportMenus(&menu, view);
        menu.exec(view->viewport()->mapToGlobal(at));
    });
    QHeaderView* h = nullptr;
    if (auto* table = qobject_cast<QTableView*>(view))
        h = table->horizontalHeader();
    else if (auto* tree = qobject_cast<QTreeView*>(view))
        h = tree->header();
    if (h) {
        // The key/name column fits its contents; the last one takes what room is left.
        h->setStretchLastSection(true);
        h->setSectionResizeMode(QHeaderView::Interactive);
        if (keyColumn >= 0) {
            h->setSectionResizeMode(keyColumn, QHeaderView::ResizeToContents);
            h->setMaximumSectionSize(std::max(h->maximumSectionSize(), 600));
        }
    }
}

} // namespace regscope
