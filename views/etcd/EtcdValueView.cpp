#include "views/etcd/EtcdValueView.h"

#include "models/etcd/EtcdValueFormat.h"

#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QStackedWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {

constexpr int kMaxTreeItems = 20000; // a huge document is shown as text past this

void addJson(QTreeWidgetItem* parent, const QString& name, const nlohmann::json& j, int& budget) {
    if (--budget < 0)
        return;
    auto* item = new QTreeWidgetItem(parent);
    item->setText(0, name);
    if (j.is_object()) {
        item->setText(1, u"{"_s + QString::number(j.size()) + u"}"_s);
        for (auto it = j.begin(); it != j.end(); ++it)
            addJson(item, QString::fromStdString(it.key()), *it, budget);
    } else if (j.is_array()) {
        item->setText(1, u"["_s + QString::number(j.size()) + u"]"_s);
        int i = 0;
        for (const auto& v : j)
            addJson(item, QString::number(i++), v, budget);
    } else {
        item->setText(1, QString::fromStdString(j.is_string() ? j.get<std::string>() : j.dump()));
    }
}

} // namespace

EtcdValueView::EtcdValueView(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_title = new QLabel(this);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_stack = new QStackedWidget(this);
    m_tree = new QTreeWidget(this);
    m_tree->setColumnCount(2);
    m_tree->setHeaderLabels({u"Field"_s, u"Value"_s});
    m_tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_text = new QPlainTextEdit(this);
    m_text->setReadOnly(true);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_stack->addWidget(m_tree);
    m_stack->addWidget(m_text);
    layout->addWidget(m_title);
    layout->addWidget(m_stack, 1);
}

bool EtcdValueView::showsJsonTree() const {
    return m_stack->currentWidget() == m_tree;
}

void EtcdValueView::clear() {
    m_title->clear();
    m_tree->clear();
    m_text->clear();
}

void EtcdValueView::setValue(const QByteArray& key, const QByteArray& value) {
    const EtcdValueKind kind = classifyEtcdValue(value);
    m_title->setText(etcdKeyDisplay(key) + u"  ·  "_s + toString(kind) + u", "_s +
                     QString::number(value.size()) + u" bytes"_s);
    m_tree->clear();
    if (kind == EtcdValueKind::Json) {
        const auto j = nlohmann::json::parse(value.constBegin(), value.constEnd(), nullptr, false);
        int budget = kMaxTreeItems;
        if (!j.is_discarded() && j.size() < static_cast<size_t>(kMaxTreeItems)) {
            auto* root = m_tree->invisibleRootItem();
            addJson(root, u"(value)"_s, j, budget);
            if (budget >= 0) {
                m_tree->expandToDepth(1); // collapsible: deeper levels start folded
                m_stack->setCurrentWidget(m_tree);
                return;
            }
            m_tree->clear();
        }
    }
    m_text->setPlainText(etcdValuePretty(value, kind));
    m_stack->setCurrentWidget(m_text);
}

} // namespace regscope
