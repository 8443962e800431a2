#include "views/ConnectionDialog.h"

#include "views/WorkspaceBox.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

ConnectionDialog::ConnectionDialog(QWidget* parent)
    : QDialog(parent) {
    setWindowTitle(u"Connection"_s);
    setObjectName(u"connectionDialog"_s);

    auto* savedBox = new QVBoxLayout;
    savedBox->addWidget(new QLabel(u"Saved profiles"_s, this));
    m_list = new QListWidget(this);
    m_list->setObjectName(u"savedProfiles"_s);
    m_list->setMinimumWidth(180);
    savedBox->addWidget(m_list, 1);
    m_delete = new QPushButton(u"&Delete"_s, this);
    m_delete->setObjectName(u"deleteProfile"_s);
    m_delete->setEnabled(false);
    savedBox->addWidget(m_delete);
    m_workspaces = new WorkspaceBox(this);
    savedBox->addWidget(m_workspaces, 1);

    auto* form = new QFormLayout;
    m_name = addLine(form, this, u"&Name:"_s, u"name"_s, u"optional; the URL otherwise"_s);
    m_url = addLine(form, this, u"&URL:"_s, u"url"_s,
                    u"demo, http://host:port or etcd://host:port[,host:port]/prefix"_s);
    m_url->setMinimumWidth(380);
    m_kind = new QLabel(this);
    m_kind->setObjectName(u"kind"_s);
    form->addRow(u"Source:"_s, m_kind);

    m_etcd = new QGroupBox(u"etcd: TLS and authentication"_s, this);
    m_etcd->setObjectName(u"etcdGroup"_s);
    auto* etcdForm = new QFormLayout(m_etcd);
    m_caFile = addFileRow(etcdForm, u"&CA certificate:"_s, u"caFile"_s, u"CA certificate (PEM)"_s);
    m_caFile->setPlaceholderText(u"empty: the system's roots"_s);
    m_certFile = addFileRow(etcdForm, u"Client c&ertificate:"_s, u"clientCertFile"_s,
                            u"Client certificate (PEM)"_s);
    m_keyFile = addFileRow(etcdForm, u"Client &key:"_s, u"clientKeyFile"_s, u"Client key (PEM)"_s);
    m_serverName = addLine(etcdForm, m_etcd, u"&Server name:"_s, u"serverName"_s,
                           u"empty: the endpoint's host"_s);
    m_user = addLine(etcdForm, m_etcd, u"Use&r:"_s, u"user"_s, u"empty: no authentication"_s);
    m_password = addLine(etcdForm, m_etcd, u"&Password:"_s, u"password"_s, {});
    m_password->setEchoMode(QLineEdit::Password);
    form->addRow(m_etcd);

    m_save = new QCheckBox(u"Sa&ve this profile (the password is stored encrypted)"_s, this);
    m_save->setObjectName(u"saveProfile"_s);
    m_save->setChecked(true);
    form->addRow(m_save);
    m_message = new QLabel(this);
    m_message->setObjectName(u"message"_s);
    m_message->setWordWrap(true);
    m_message->setStyleSheet(u"color: #d03030"_s);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(m_message);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(u"C&onnect"_s);

    auto* columns = new QHBoxLayout;
    columns->addLayout(savedBox);
    columns->addLayout(form, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(columns, 1);
    layout->addWidget(m_buttons);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &ConnectionDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &ConnectionDialog::reject);
    for (QLineEdit* edit : findChildren<QLineEdit*>()) {
        connect(edit, &QLineEdit::textChanged, this, &ConnectionDialog::updateKind);
        connect(edit, &QLineEdit::textEdited, m_message, &QLabel::clear);
    }
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        m_delete->setEnabled(row >= 0);
        if (row >= 0 && row < m_profiles.size()) {
            setProfile(m_profiles.at(row));
            m_message->clear();
        }
    });
    connect(m_delete, &QPushButton::clicked, this, &ConnectionDialog::deleteSelected);
    updateKind();
}

QLineEdit* ConnectionDialog::addLine(QFormLayout* form, QWidget* parent, const QString& label,
                                     const QString& name, const QString& placeholder) {
    auto* edit = new QLineEdit(parent);
    edit->setObjectName(name);
    edit->setPlaceholderText(placeholder);
    form->addRow(label, edit);
    return edit;
}

QLineEdit* ConnectionDialog::addFileRow(QFormLayout* form, const QString& label,
                                        const QString& name, const QString& title) {
    auto* row = new QHBoxLayout;
    auto* edit = new QLineEdit(m_etcd);
    edit->setObjectName(name);
    row->addWidget(edit, 1);
    auto* browse = new QToolButton(m_etcd);
    browse->setObjectName(name + u"Browse"_s);
    browse->setText(u"…"_s);
    browse->setToolTip(u"Choose a file"_s);
    row->addWidget(browse);
    // A QLabel with a buddy: the row's mnemonic (&C...) then focuses the edit.
    auto* text = new QLabel(label, m_etcd);
    text->setBuddy(edit);
    form->addRow(text, row);
    // A non-modal-loop file dialog: open(), the answer comes as a signal.
    connect(browse, &QToolButton::clicked, this, [this, edit, title] {
        auto* picker = new QFileDialog(this, title, edit->text(),
                                       u"PEM files (*.pem *.crt *.key);;All files (*)"_s);
        picker->setAttribute(Qt::WA_DeleteOnClose);
        picker->setFileMode(QFileDialog::ExistingFile);
        connect(picker, &QFileDialog::fileSelected, edit, [this, edit](const QString& file) {
            edit->setText(file);
            m_message->clear();
        });
        picker->open();
    });
    return edit;
}

void ConnectionDialog::setProfiles(const QList<ConnectionProfile>& profiles) {
    m_profiles = profiles;
    const QSignalBlocker block(m_list);
    m_list->clear();
    for (const ConnectionProfile& p : m_profiles) {
        auto* item = new QListWidgetItem(p.displayName(), m_list);
        item->setToolTip(p.url);
    }
    m_delete->setEnabled(false);
}

void ConnectionDialog::setProfile(const ConnectionProfile& p) {
    m_name->setText(p.name);
    m_url->setText(p.url);
    m_caFile->setText(p.caFile);
    m_certFile->setText(p.clientCertFile);
    m_keyFile->setText(p.clientKeyFile);
    m_serverName->setText(p.serverName);
    m_user->setText(p.user);
    m_password->setText(p.password);
    updateKind();
}

ConnectionProfile ConnectionDialog::profile() const {
    ConnectionProfile p;
    p.name = m_name->text().trimmed();
    p.url = m_url->text().trimmed();
    // etcd fields only travel with an etcd URL: a discovery profile carries no stray password.
    if (p.kind() == ConnectionProfile::Kind::Etcd) {
        p.caFile = m_caFile->text().trimmed();
        p.clientCertFile = m_certFile->text().trimmed();
        p.clientKeyFile = m_keyFile->text().trimmed();
        p.serverName = m_serverName->text().trimmed();
        p.user = m_user->text().trimmed();
        p.password = m_password->text();
    }
    return p;
}

bool ConnectionDialog::saveRequested() const {
    return m_save->isChecked();
}

void ConnectionDialog::setSaveRequested(bool save) {
    m_save->setChecked(save);
}

QString ConnectionDialog::errorText() const {
    return m_message->text();
}

void ConnectionDialog::accept() {
    const ConnectionProfile p = profile();
    if (auto ok = validateProfile(p); !ok) {
        showError(ok.error().message);
        if (auto* field = findChild<QLineEdit*>(ok.error().field))
            field->setFocus(Qt::OtherFocusReason);
        return;
    }
    m_message->clear();
    Q_EMIT profileAccepted(p, saveRequested());
    QDialog::accept();
}

void ConnectionDialog::updateKind() {
    const ConnectionProfile::Kind kind = ConnectionProfile::kindOf(m_url->text());
    const bool etcd = kind == ConnectionProfile::Kind::Etcd;
    QString text = m_url->text().trimmed().isEmpty() ? u"(enter a URL)"_s : toString(kind);
    if (etcd) {
        const QString trimmed = m_url->text().trimmed();
        const QString rest = trimmed.sliced(trimmed.indexOf(u"://") + 3);
        const qsizetype endpoints = rest.section(u'/', 0, 0).section(u'?', 0, 0).count(u',') + 1;
        text += endpoints == 1 ? u", 1 endpoint"_s : u", %1 endpoints"_s.arg(endpoints);
    }
    if (etcd) {
        const ConnectionProfile p = profile();
        if (p.usesTls())
            text += u", TLS"_s;
        if (!p.user.isEmpty())
            text += u", user "_s + p.user;
    }
    m_kind->setText(text);
    m_etcd->setEnabled(etcd);
    m_etcd->setToolTip(etcd ? QString() : u"For etcd:// and etcds:// URLs"_s);
}

void ConnectionDialog::showError(const QString& message) {
    m_message->setText(message);
}

void ConnectionDialog::deleteSelected() {
    const int row = m_list->currentRow();
    if (row < 0 || row >= m_profiles.size())
        return;
    const QString name = m_profiles.takeAt(row).displayName();
    {
        // The next row must not become current and overwrite the form.
        const QSignalBlocker block(m_list);
        delete m_list->takeItem(row);
        m_list->setCurrentRow(-1);
    }
    m_delete->setEnabled(false);
    Q_EMIT profileDeleteRequested(name);
}

} // namespace regscope
