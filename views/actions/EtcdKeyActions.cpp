#include "views/actions/EtcdKeyActions.h"

#include "models/actions/ActionControl.h"
#include "views/actions/ActionConfirmDialog.h"
#include "views/actions/ActionRunner.h"
#include "views/actions/KeyEditDialog.h"
#include "views/actions/KeyHistoryDialog.h"
#include "views/actions/LeasesDialog.h"

#include <QWidget>

using namespace Qt::StringLiterals;

namespace regscope {

EtcdKeyActions::EtcdKeyActions(ActionRunner* runner, QString source, QObject* parent)
    : QObject(parent)
    , m_runner(runner)
    , m_source(std::move(source)) {}

bool EtcdKeyActions::writable() const {
    return m_runner->control()->isWritable(m_source);
}

KeyEditDialog* EtcdKeyActions::openEditor(const KeyRecord& kv, const QByteArray& prefix) {
    ActionRequest probe;
    probe.kind = ActionKind::EtcdPut;
    probe.source = m_source;
    probe.key = kv.key.isEmpty() ? prefix : kv.key;
    probe.expectedModRevision = kv.modRevision;
    if (!writable()) {
        m_runner->confirmAndSubmit(probe); // shows why, sends nothing
        return nullptr;
    }
    auto* dialog =
        new KeyEditDialog(m_source, kv, prefix, qobject_cast<QWidget*>(m_runner->parent()));
    connect(dialog, &QDialog::accepted, this,
            [this, dialog] { m_runner->confirmAndSubmit(dialog->request()); });
    dialog->open();
    return dialog;
}

KeyEditDialog* EtcdKeyActions::edit(const KeyRecord& kv) {
    return openEditor(kv, {});
}

KeyEditDialog* EtcdKeyActions::create(const QByteArray& prefix) {
    return openEditor(KeyRecord{}, prefix);
}

ActionConfirmDialog* EtcdKeyActions::remove(const KeyRecord& kv) {
    ActionRequest r;
    r.kind = ActionKind::EtcdDelete;
    r.source = m_source;
    r.key = kv.key;
    r.expectedModRevision = kv.modRevision;
    return m_runner->confirmAndSubmit(r);
}

ActionConfirmDialog* EtcdKeyActions::removePrefix(const QByteArray& prefix, qint64 count,
                                                  qint64 seenRevision) {
    ActionRequest r;
    r.kind = ActionKind::EtcdDeletePrefix;
    r.source = m_source;
    r.key = prefix;
    r.expectedCount = count;
    r.seenRevision = seenRevision;
    return m_runner->confirmAndSubmit(r);
}

ActionConfirmDialog* EtcdKeyActions::revokeLease(qint64 lease, qint64 keyCount) {
    ActionRequest r;
    r.kind = ActionKind::EtcdLeaseRevoke;
    r.source = m_source;
    r.lease = lease;
    r.expectedCount = keyCount;
    return m_runner->confirmAndSubmit(r);
}

ActionConfirmDialog* EtcdKeyActions::keepLeaseAlive(qint64 lease) {
    ActionRequest r;
    r.kind = ActionKind::EtcdLeaseKeepAlive;
    r.source = m_source;
    r.lease = lease;
    return m_runner->confirmAndSubmit(r);
}

void EtcdKeyActions::read(const ActionRequest& request,
                          std::function<void(const ActionResult&)> show) {
    const ActionId id = m_runner->submit(request);
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(m_runner, &ActionRunner::finished, this,
                          [id, connection, show = std::move(show)](
                              ActionId done, const ActionRequest&, const ActionResult& result) {
                              if (done != id)
                                  return;
                              disconnect(*connection);
                              if (result.ok())
                                  show(result);
                          });
}

void EtcdKeyActions::showHistory(const QByteArray& key) {
    ActionRequest r;
    r.kind = ActionKind::EtcdKeyHistory;
    r.source = m_source;
    r.key = key;
    read(r, [this, key](const ActionResult& result) {
        auto* dialog =
            new KeyHistoryDialog(key, result, qobject_cast<QWidget*>(m_runner->parent()));
        dialog->open();
        Q_EMIT historyShown(dialog);
    });
}

void EtcdKeyActions::showLeases() {
    ActionRequest r;
    r.kind = ActionKind::EtcdLeaseList;
    r.source = m_source;
    read(r, [this](const ActionResult& result) {
        auto* dialog = new LeasesDialog(this, result, qobject_cast<QWidget*>(m_runner->parent()));
        dialog->open();
        Q_EMIT leasesShown(dialog);
    });
}

} // namespace regscope
