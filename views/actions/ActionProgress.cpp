#include "views/actions/ActionProgress.h"

#include "views/actions/ActionRunner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>

using namespace Qt::StringLiterals;

namespace regscope {

ActionProgress::ActionProgress(ActionRunner* runner, QWidget* parent)
    : QWidget(parent)
    , m_runner(runner)
    , m_label(new QLabel(this))
    , m_cancel(new QPushButton(tr("Cancel"), this)) {
    setObjectName(u"actionProgress"_s);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_label);
    layout->addWidget(m_cancel);
    m_cancel->setToolTip(tr("End the actions in flight now; the server may still have applied "
                            "them: the window shows what it reports next."));
    connect(m_cancel, &QPushButton::clicked, m_runner, &ActionRunner::cancelAll);
    connect(m_runner, &ActionRunner::submitted, this, [this] {
        if (m_runner->inFlight().size() == 1)
            m_since.start();
        refresh();
    });
    connect(m_runner, &ActionRunner::finished, this, &ActionProgress::refresh);
    connect(&m_tick, &QTimer::timeout, this, &ActionProgress::refresh);
    m_tick.setInterval(1000);
    refresh();
}

void ActionProgress::refresh() {
    const auto out = m_runner->inFlight();
    setVisible(!out.isEmpty());
    if (out.isEmpty()) {
        m_tick.stop();
        return;
    }
    if (!m_tick.isActive())
        m_tick.start();
    const qint64 seconds = m_since.isValid() ? m_since.elapsed() / 1000 : 0;
    const QString what = out.size() == 1 ? m_runner->request(out.front()).summary()
                                         : tr("%1 actions").arg(out.size());
    m_label->setText(tr("Sending: %1 (%2 s)").arg(what).arg(seconds));
}

} // namespace regscope
