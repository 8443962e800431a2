#pragma once
// One etcd value in full: JSON as a collapsible tree (with a pretty text tab), else UTF-8
// text, else a hex dump.

#include <QWidget>

class QTreeWidget;
class QPlainTextEdit;
class QStackedWidget;
class QLabel;

namespace regscope {

class EtcdValueView : public QWidget {
    Q_OBJECT
public:
    explicit EtcdValueView(QWidget* parent = nullptr);

    void setValue(const QByteArray& key, const QByteArray& value);
    void clear();
    QTreeWidget* jsonTree() const { return m_tree; }
    QPlainTextEdit* textView() const { return m_text; }
    bool showsJsonTree() const;

private:
    QLabel* m_title = nullptr;
    QStackedWidget* m_stack = nullptr;
    QTreeWidget* m_tree = nullptr;
    QPlainTextEdit* m_text = nullptr;
};

} // namespace regscope
