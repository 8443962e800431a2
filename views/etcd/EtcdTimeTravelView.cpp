#include "views/etcd/EtcdTimeTravelView.h"

#include "models/etcd/EtcdTimeTravel.h"
#include "views/Theme.h"

#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
QTableView* makeTable(QAbstractItemModel* model, QWidget* parent) {
    auto* t = new QTableView(parent);
    t->setModel(model);
    useStateColours(t);
    t->verticalHeader()->hide();
    t->horizontalHeader()->setStretchLastSection(true);
    t->setSelectionBehavior(QAbstractItemView::SelectRows);
    t->setWordWrap(false);
    return t;
}
} // namespace

EtcdTimeTravelView::EtcdTimeTravelView(EtcdTimeTravel* travel, QWidget* parent)
    : QWidget(parent)
    , m_travel(travel) {
    auto* layout = new QVBoxLayout(this);
    auto* grid = new QGridLayout;
    m_bounds = new QLabel(u"revisions: unknown (press Refresh)"_s, this);
    m_refresh = new QPushButton(u"Refresh"_s, this);
    m_slider = new QSlider(Qt::Horizontal, this);
    m_revision = new QSpinBox(this);
    m_show = new QPushButton(u"Show registry at revision"_s, this);
    m_from = new QSpinBox(this);
    m_to = new QSpinBox(this);
    m_diff = new QPushButton(u"Diff"_s, this);
    for (QSpinBox* s : {m_revision, m_from, m_to})
        s->setRange(1, INT_MAX);
    grid->addWidget(m_bounds, 0, 0, 1, 3);
    grid->addWidget(m_refresh, 0, 3);
    grid->addWidget(m_slider, 1, 0, 1, 2);
    grid->addWidget(m_revision, 1, 2);
    grid->addWidget(m_show, 1, 3);
    grid->addWidget(new QLabel(u"Diff from"_s, this), 2, 0);
    grid->addWidget(m_from, 2, 1);
    grid->addWidget(m_to, 2, 2);
    grid->addWidget(m_diff, 2, 3);
    layout->addLayout(grid);
    m_status = new QLabel(this);
    layout->addWidget(m_status);
    auto* tabs = new QTabWidget(this);
    m_stateTable = makeTable(travel->stateModel(), tabs);
    m_diffTable = makeTable(travel->diffModel(), tabs);
    tabs->addTab(m_stateTable, u"State at revision"_s);
    tabs->addTab(m_diffTable, u"Diff"_s);
    layout->addWidget(tabs, 1);

    connect(m_slider, &QSlider::valueChanged, m_revision, &QSpinBox::setValue);
    connect(m_revision, &QSpinBox::valueChanged, m_slider, &QSlider::setValue);
    connect(m_refresh, &QPushButton::clicked, travel, &EtcdTimeTravel::refreshBounds);
    connect(m_show, &QPushButton::clicked, this, [this] {
        m_status->setText(u"reading revision %1…"_s.arg(m_revision->value()));
        m_travel->viewAt(m_revision->value());
    });
    connect(m_diff, &QPushButton::clicked, this, [this] {
        m_status->setText(u"comparing %1 and %2…"_s.arg(m_from->value()).arg(m_to->value()));
        m_travel->diff(m_from->value(), m_to->value());
    });
    connect(travel, &EtcdTimeTravel::boundsChanged, this, &EtcdTimeTravelView::setBounds);
    connect(travel, &EtcdTimeTravel::stateShown, this, [this, tabs](qint64 rev) {
        m_status->setText(u"registry at revision %1: %2 key(s)"_s.arg(rev).arg(
            m_travel->stateModel()->rowCount()));
        tabs->setCurrentIndex(0);
    });
    connect(travel, &EtcdTimeTravel::diffShown, this, [this, tabs](qint64 a, qint64 b) {
        m_status->setText(
            u"%1 → %2: %3 change(s)"_s.arg(a).arg(b).arg(m_travel->diffModel()->rowCount()));
        tabs->setCurrentIndex(1);
    });
    connect(travel, &EtcdTimeTravel::failed, this,
            [this](const QString& why) { m_status->setText(u"⚠ "_s + why); });
}

void EtcdTimeTravelView::setBounds(qint64 floor, qint64 current) {
    const int lo = static_cast<int>(std::clamp<qint64>(floor, 1, INT_MAX));
    const int hi = static_cast<int>(std::clamp<qint64>(current, lo, INT_MAX));
    m_bounds->setText(u"compaction floor %1 · current revision %2"_s.arg(lo).arg(hi));
    m_slider->setRange(lo, hi);
    for (QSpinBox* s : {m_revision, m_from, m_to})
        s->setRange(lo, hi);
    if (m_to->value() < hi && m_from->value() == lo)
        m_to->setValue(hi);
}

} // namespace regscope
