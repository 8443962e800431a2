#pragma once
// The one thing a view sees to act on a source (ARCHITECTURE.md, "controls"): submit a
// request, cancel it, hear its result; ask and flip the source's write toggle. A view never
// sees a connector. Results arrive on the control's thread (the GUI thread) via finished().
// The window's state is not changed by a result: the source's watch/poll brings the change.

#include "models/actions/ActionTypes.h"

#include <QObject>

namespace regscope {

class ActionControl : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~ActionControl() override;

    // Starts the request off the GUI thread; finished(id, ...) follows exactly once, also when
    // it is refused at once (read-only, unsupported). Never blocks.
    virtual ActionId submit(const ActionRequest& request) = 0;
    // Asks an action in flight to stop; finished() still follows (Canceled, or the result if
    // the server had already answered). Unknown or finished ids are ignored.
    virtual void cancel(ActionId id) = 0;
    virtual bool isInFlight(ActionId id) const = 0;

    virtual bool isWritable(const QString& source) const = 0;
    // Why the source is read-only (empty when writable).
    virtual QString readOnlyReason(const QString& source) const = 0;
    // Whether the toggle may be turned on (not --read-only, not the in-process registry).
    virtual bool canAllowWrites(const QString& source) const = 0;
    // The toggle; false when writes cannot be allowed for that source.
    virtual bool setWritable(const QString& source, bool writable) = 0;
    // Whether the source can do this kind of action at all (etcd vs discovery).
    virtual bool supports(const QString& source, ActionKind kind) const = 0;

Q_SIGNALS:
    void finished(regscope::ActionId id, const regscope::ActionResult& result);
    void writableChanged(const QString& source, bool writable);
};

} // namespace regscope
