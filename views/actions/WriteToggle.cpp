#include "views/actions/WriteToggle.h"

#include "models/actions/ActionControl.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>

using namespace Qt::StringLiterals;

namespace regscope {

WriteToggle::WriteToggle(ActionControl* control, QString source, QWidget* parent)
    : QWidget(parent)
    , m_control(control)
    , m_source(std::move(source)) {
    setObjectName(u"writeToggle"_s);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_state = new QLabel(this);
    m_state->setObjectName(u"writeState"_s);
    m_check = new QCheckBox(u"Writes allowed"_s, this);
    m_check->setObjectName(u"writesAllowed"_s);
    layout->addWidget(m_state);
    layout->addWidget(m_check);
    connect(m_check, &QCheckBox::toggled, this, [this](bool on) {
        m_control->setWritable(m_source, on);
        refresh();
    });
    connect(m_control, &ActionControl::writableChanged, this, [this](const QString& s, bool) {
        if (s == m_source)
            refresh();
    });
    refresh();
}

void WriteToggle::setSource(const QString& source) {
    m_source = source;
    refresh();
}

void WriteToggle::refresh() {
    const bool writable = m_control->isWritable(m_source);
    const bool can = m_control->canAllowWrites(m_source);
    const QSignalBlocker block(m_check);
    m_check->setChecked(writable);
    m_check->setEnabled(can);
    const QString reason = m_control->readOnlyReason(m_source);
    m_state->setText(writable ? u"<b>writes allowed</b>"_s : u"read-only"_s);
    m_state->setToolTip(writable ? u"Actions on "_s + m_source +
                                       u" are sent after a confirmation; turn off to stop."_s
                                 : reason);
    m_check->setToolTip(can ? u"Allow actions on this source until regscope exits"_s : reason);
}

} // namespace regscope
