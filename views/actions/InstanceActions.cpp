#include "views/actions/InstanceActions.h"

#include "models/actions/ActionControl.h"
#include "views/actions/ActionRunner.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace regscope {

std::optional<QMap<QString, QString>> parseMetadataText(const QString& text) {
    QMap<QString, QString> out;
    const auto parts = text.split(u',', Qt::SkipEmptyParts);
    for (const QString& part : parts) {
        const auto eq = part.indexOf(u'=');
        if (eq <= 0)
            return std::nullopt;
        out.insert(part.left(eq).trimmed(), part.mid(eq + 1).trimmed());
    }
    return out;
}

namespace {
const QStringList kRegisterFields{u"zone"_s,     u"env"_s,   u"appid"_s,
                                  u"hostname"_s, u"addrs"_s, u"version"_s};
}

InstanceFormDialog::InstanceFormDialog(Mode mode, QString source, QList<InstanceRef> instances,
                                       QWidget* parent)
    : QDialog(parent)
    , m_mode(mode)
    , m_source(std::move(source))
    , m_instances(std::move(instances)) {
    setObjectName(u"instanceFormDialog"_s);
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowTitle(mode == Mode::Set ? u"Set instances"_s : u"Register a test instance"_s);
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    if (mode == Mode::Set) {
        QStringList hosts;
        for (const auto& i : m_instances)
            hosts << i.appid + u' ' + i.hostname;
        auto* who = new QLabel(hosts.join(u'\n'), this);
        form->addRow(u"Instances"_s, who);
    } else {
        const InstanceRef d = m_instances.value(0);
        const QStringList values{d.zone,   d.env, d.appid, d.hostname, u"http://127.0.0.1:8080"_s,
                                 u"test"_s};
        for (int i = 0; i < kRegisterFields.size(); ++i) {
            auto* edit = new QLineEdit(values[i], this);
            edit->setObjectName(kRegisterFields[i]);
            m_fields << edit;
            form->addRow(kRegisterFields[i], edit);
            connect(edit, &QLineEdit::textChanged, this, &InstanceFormDialog::updateOk);
        }
    }
    m_status = new QComboBox(this);
    m_status->setObjectName(u"status"_s);
    if (mode == Mode::Set)
        m_status->addItem(u"(unchanged)"_s, 0);
    m_status->addItem(u"UP"_s, 1);
    m_status->addItem(u"WAITING"_s, 2);
    form->addRow(u"Status"_s, m_status);
    m_metadata = new QLineEdit(this);
    m_metadata->setObjectName(u"metadata"_s);
    m_metadata->setPlaceholderText(u"key=value, key2=value2"_s);
    form->addRow(u"Metadata"_s, m_metadata);
    layout->addLayout(form);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setText(u"Review…"_s);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_status, &QComboBox::currentIndexChanged, this, &InstanceFormDialog::updateOk);
    connect(m_metadata, &QLineEdit::textChanged, this, &InstanceFormDialog::updateOk);
    updateOk();
}

QLineEdit* InstanceFormDialog::field(const QString& name) const {
    const auto i = kRegisterFields.indexOf(name);
    return i >= 0 && i < m_fields.size() ? m_fields[i] : nullptr;
}

ActionRequest InstanceFormDialog::request() const {
    ActionRequest r;
    r.source = m_source;
    r.status = m_status->currentData().toInt();
    r.metadata = parseMetadataText(m_metadata->text()).value_or(QMap<QString, QString>{});
    if (m_mode == Mode::Set) {
        r.kind = ActionKind::DiscoverySet;
        r.instances = m_instances;
        return r;
    }
    r.kind = ActionKind::DiscoveryRegister;
    r.instances = {
        InstanceRef{field(u"zone"_s)->text().trimmed(), field(u"env"_s)->text().trimmed(),
                    field(u"appid"_s)->text().trimmed(), field(u"hostname"_s)->text().trimmed()}};
    r.addrs = field(u"addrs"_s)->text().split(u',', Qt::SkipEmptyParts);
    for (auto& a : r.addrs)
        a = a.trimmed();
    r.version = field(u"version"_s)->text().trimmed();
    return r;
}

QString InstanceFormDialog::error() const {
    if (!parseMetadataText(m_metadata->text()))
        return u"metadata: write key=value pairs separated by commas"_s;
    const ActionRequest r = request();
    if (m_mode == Mode::Set && r.status == 0 && r.metadata.isEmpty())
        return u"nothing to set"_s;
    if (m_mode == Mode::Register) {
        for (QLineEdit* f : m_fields)
            if (f->text().trimmed().isEmpty() && f != field(u"version"_s))
                return f->objectName() + u" is required"_s;
    }
    return QString();
}

void InstanceFormDialog::updateOk() {
    const QString why = error();
    m_ok->setEnabled(why.isEmpty());
    m_ok->setToolTip(why);
}

InstanceActions::InstanceActions(ActionRunner* runner, QString source, QObject* parent)
    : QObject(parent)
    , m_runner(runner)
    , m_source(std::move(source)) {}

bool InstanceActions::writable() const {
    return m_runner->control()->isWritable(m_source);
}

QString InstanceActions::readOnlyReason() const {
    return m_runner->control()->readOnlyReason(m_source);
}

ActionConfirmDialog* InstanceActions::cancel(const QList<InstanceRef>& instances) {
    ActionRequest r;
    r.kind = ActionKind::DiscoveryCancel;
    r.source = m_source;
    r.instances = instances;
    return m_runner->confirmAndSubmit(r);
}

InstanceFormDialog* InstanceActions::openForm(InstanceFormDialog::Mode mode,
                                              QList<InstanceRef> instances) {
    if (!m_runner->control()->isWritable(m_source)) {
        ActionRequest probe;
        probe.kind = mode == InstanceFormDialog::Mode::Set ? ActionKind::DiscoverySet
                                                           : ActionKind::DiscoveryRegister;
        probe.source = m_source;
        probe.instances = instances;
        m_runner->confirmAndSubmit(probe); // shows why, sends nothing
        return nullptr;
    }
    auto* dialog = new InstanceFormDialog(mode, m_source, std::move(instances),
                                          qobject_cast<QWidget*>(m_runner->parent()));
    connect(dialog, &QDialog::accepted, this,
            [this, dialog] { m_runner->confirmAndSubmit(dialog->request()); });
    dialog->open();
    return dialog;
}

InstanceFormDialog* InstanceActions::set(const QList<InstanceRef>& instances) {
    return openForm(InstanceFormDialog::Mode::Set, instances);
}

InstanceFormDialog* InstanceActions::registerTest(const InstanceRef& defaults) {
    return openForm(InstanceFormDialog::Mode::Register, {defaults});
}

} // namespace regscope
