#pragma once
// Which sources may be written to. Every source starts read-only; a per-source toggle allows
// writes for this run only (nothing is saved: a restart is read-only again); --read-only
// (forceReadOnly) refuses every toggle for the whole process; a source can be pinned read-only
// with a reason the window shows (the in-process registry).

#include "models/actions/ActionTypes.h"

#include <QHash>
#include <QObject>
#include <QSet>

namespace regscope {

class ActionPolicy : public QObject {
    Q_OBJECT
public:
    explicit ActionPolicy(QObject* parent = nullptr);
    ~ActionPolicy() override;

    // --read-only: from now on no source of this process is writable. Cannot be undone.
    static void forceReadOnly();
    static bool readOnlyForced();

    // The reason shown instead of a toggle, e.g. "nothing writes into another process's
    // registry". A pinned source is never writable.
    void pinReadOnly(const QString& source, const QString& reason);

    bool isWritable(const QString& source) const;
    // Why the source is read-only now (empty when writable): forced, pinned, or the toggle.
    QString readOnlyReason(const QString& source) const;
    // Whether the toggle can be turned on at all (not forced, not pinned).
    bool canAllowWrites(const QString& source) const;
    // The toggle. Returns false (and changes nothing) when writes cannot be allowed.
    bool setWritable(const QString& source, bool writable);
    // The source went away: its toggle goes with it.
    void forget(const QString& source);

    // Ok, or a ReadOnly result saying why, for a request before it is sent.
    ActionResult check(const ActionRequest& request) const;

Q_SIGNALS:
    void writableChanged(const QString& source, bool writable);

private:
    QSet<QString> m_writable;
    QHash<QString, QString> m_pinned;
};

} // namespace regscope
