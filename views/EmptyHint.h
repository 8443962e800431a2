#pragma once
// Says why a table is empty, over its viewport: what the panel is for and why this source has
// nothing for it (Entries on etcd, Instances on the demo...), or that the filter hides
// everything. Shown only while the view's model has no rows; the text is asked again whenever
// rows come or go and when the store flushes (a source switch changes the reason).

#include <QObject>
#include <QPointer>

#include <functional>

class QAbstractItemView;
class QLabel;

namespace regscope {

class Store;

class EmptyHint : public QObject {
    Q_OBJECT
public:
    // text(): the sentence for an empty view now (empty: show nothing). The view's model is
    // watched as it is at construction. The label is the child "emptyHint" of the viewport.
    EmptyHint(QAbstractItemView* view, const Store* store, std::function<QString()> text);

    void refresh();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void place();

    QPointer<QAbstractItemView> m_view;
    QLabel* m_label;
    std::function<QString()> m_text;
};

// The sentences the standard panels use, from what the store holds: entries come from
// in-process registries, instances from discovery or etcd ?services=, keys from etcd.
QString emptySourceReason(const Store& store, const QString& what, const QString& whereFrom);

} // namespace regscope
