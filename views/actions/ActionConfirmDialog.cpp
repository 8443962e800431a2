#include "views/actions/ActionConfirmDialog.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
QString confirmText(const ActionRequest& r) {
    switch (r.kind) {
    case ActionKind::EtcdPut:
        return r.expectedModRevision == 0 ? u"Create"_s : u"Write"_s;
    case ActionKind::EtcdDelete:
        return u"Delete"_s;
    case ActionKind::EtcdDeletePrefix:
        return u"Delete "_s + QString::number(r.expectedCount) + u" keys"_s;
    case ActionKind::EtcdLeaseRevoke:
        return u"Revoke"_s;
    case ActionKind::DiscoveryCancel:
        return u"Cancel "_s + QString::number(r.instances.size()) + u" instance(s)"_s;
    case ActionKind::DiscoverySet:
        return u"Set"_s;
    case ActionKind::DiscoveryRegister:
        return u"Register"_s;
    default:
        return u"Run"_s;
    }
}
} // namespace

ActionConfirmDialog::ActionConfirmDialog(ActionRequest request, QWidget* parent)
    : QDialog(parent)
    , m_request(std::move(request)) {
    setObjectName(u"actionConfirmDialog"_s);
    setWindowTitle(u"Confirm: "_s + m_request.summary());
    setAttribute(Qt::WA_DeleteOnClose);
    auto* layout = new QVBoxLayout(this);
    auto* title = new QLabel(u"<b>"_s + m_request.summary().toHtmlEscaped() + u"</b>"_s, this);
    title->setTextFormat(Qt::RichText);
    layout->addWidget(title);

    m_details = new QPlainTextEdit(this);
    m_details->setObjectName(u"actionDetails"_s);
    m_details->setReadOnly(true);
    m_details->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_details->setPlainText(m_request.details().join(u'\n') + u"\n\nRequest:\n"_s +
                            QString::fromUtf8(QJsonDocument(m_request.toJson()).toJson()));
    layout->addWidget(m_details, 1);

    auto* buttons = new QDialogButtonBox(this);
    m_confirm = buttons->addButton(confirmText(m_request), QDialogButtonBox::AcceptRole);
    m_confirm->setObjectName(u"confirmButton"_s);
    buttons->addButton(QDialogButtonBox::Cancel);
    if (needsTypedCount()) {
        const QString n = QString::number(m_request.itemCount());
        auto* ask =
            new QLabel(u"This takes away "_s + n + u" items. Type the number to confirm:"_s, this);
        m_count = new QLineEdit(this);
        m_count->setObjectName(u"typedCount"_s);
        m_count->setPlaceholderText(n);
        layout->addWidget(ask);
        layout->addWidget(m_count);
        connect(m_count, &QLineEdit::textChanged, this, &ActionConfirmDialog::updateConfirm);
    }
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // Enter must not confirm a destructive action by accident.
    m_confirm->setAutoDefault(false);
    m_confirm->setDefault(false);
    updateConfirm();
    resize(560, 380);
}

bool ActionConfirmDialog::needsTypedCount() const {
    return isDestructive(m_request.kind) && m_request.itemCount() > 1;
}

void ActionConfirmDialog::updateConfirm() {
    m_confirm->setEnabled(!m_count ||
                          m_count->text().trimmed() == QString::number(m_request.itemCount()));
}

} // namespace regscope
