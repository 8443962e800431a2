#include "views/actions/KeyEditDialog.h"

#include "models/etcd/EtcdIds.h"
#include "views/actions/EtcdValueEditor.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

KeyEditDialog::KeyEditDialog(QString source, const KeyRecord& existing, const QByteArray& keyPrefix,
                             QWidget* parent)
    : QDialog(parent)
    , m_source(std::move(source))
    , m_existing(existing) {
    setObjectName(u"keyEditDialog"_s);
    setAttribute(Qt::WA_DeleteOnClose);
    const bool creating = existing.key.isEmpty();
    setWindowTitle(creating ? u"Create key"_s : u"Edit "_s + QString::fromUtf8(existing.key));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    m_key = new QLineEdit(QString::fromUtf8(creating ? keyPrefix : existing.key), this);
    m_key->setObjectName(u"keyName"_s);
    m_key->setReadOnly(!creating);
    form->addRow(u"Key"_s, m_key);
    if (!creating) {
        form->addRow(u"Seen at"_s,
                     new QLabel(u"mod_revision "_s + QString::number(existing.modRevision) +
                                    u", version "_s + QString::number(existing.version) +
                                    u" — refused if it changed since"_s,
                                this));
        if (existing.lease)
            form->addRow(u"Lease"_s,
                         new QLabel(u"keeps lease "_s + etcdLeaseText(existing.lease), this));
    }
    layout->addLayout(form);
    m_editor = new EtcdValueEditor(this);
    m_editor->setOriginal(existing.value);
    layout->addWidget(m_editor, 1);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(u"Review…"_s);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_editor, &EtcdValueEditor::validityChanged, this, &KeyEditDialog::updateOk);
    connect(m_key, &QLineEdit::textChanged, this, &KeyEditDialog::updateOk);
    updateOk();
    resize(640, 480);
}

ActionRequest KeyEditDialog::request() const {
    ActionRequest r;
    r.kind = ActionKind::EtcdPut;
    r.source = m_source;
    r.key = m_existing.key.isEmpty() ? m_key->text().toUtf8() : m_existing.key;
    r.value = m_editor->value();
    r.expectedModRevision = m_existing.key.isEmpty() ? 0 : m_existing.modRevision;
    r.lease = m_existing.lease;
    return r;
}

void KeyEditDialog::updateOk() {
    m_ok->setEnabled(m_editor->isValid() && !m_key->text().isEmpty());
}

} // namespace regscope
