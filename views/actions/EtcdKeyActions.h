#pragma once
// The etcd actions as a view offers them (key tree, keys table, leases): each opens its editor
// or confirmation and goes through the ActionRunner. Built from a runner and a source name;
// the view hands it the key records it shows (the revision the user saw comes from them).

#include "models/SourceEvent.h"
#include "models/actions/ActionTypes.h"

#include <QObject>

#include <functional>

namespace regscope {

class ActionConfirmDialog;
class ActionRunner;
class KeyEditDialog;
class KeyHistoryDialog;
class LeasesDialog;

class EtcdKeyActions : public QObject {
    Q_OBJECT
public:
    EtcdKeyActions(ActionRunner* runner, QString source, QObject* parent = nullptr);

    QString source() const { return m_source; }
    void setSource(const QString& source) { m_source = source; }
    bool writable() const;

    KeyEditDialog* edit(const KeyRecord& kv);        // null when read-only (reason shown)
    KeyEditDialog* create(const QByteArray& prefix); // the same
    ActionConfirmDialog* remove(const KeyRecord& kv);
    // seenRevision: the highest mod_revision among the keys shown under the prefix.
    ActionConfirmDialog* removePrefix(const QByteArray& prefix, qint64 count, qint64 seenRevision);
    // keyCount: the keys bound to it now (the count to type when more than one).
    ActionConfirmDialog* revokeLease(qint64 lease, qint64 keyCount);
    ActionConfirmDialog* keepLeaseAlive(qint64 lease);
    // Reads the history; historyShown follows with the dialog (a failure is shown by the runner).
    void showHistory(const QByteArray& key);
    // Lists the leases with their TTL and keys; leasesShown follows with the dialog.
    void showLeases();

Q_SIGNALS:
    void historyShown(regscope::KeyHistoryDialog* dialog);
    void leasesShown(regscope::LeasesDialog* dialog);

private:
    KeyEditDialog* openEditor(const KeyRecord& kv, const QByteArray& prefix);
    // Submits a read and calls show(result) when it succeeds (the runner shows a failure).
    void read(const ActionRequest& request, std::function<void(const ActionResult&)> show);

    ActionRunner* m_runner;
    QString m_source;
};

} // namespace regscope
