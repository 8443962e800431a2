#pragma once
// What a view may ask of the attached source, and the broker that hands it out (GammaRay's
// ObjectBroker idea). Views and models hold a ControlBroker, never a connector: the
// composition root sets the current source's controls on it. A source that cannot do a thing
// says so (supports...), so a panel explains instead of waiting for an answer that never comes.

#include "models/SourceEvent.h"

#include <QObject>
#include <QPointer>

namespace regscope {

class SourceControls : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~SourceControls() override;

    // A long first load (ProgressEvent::cancellable) can be abandoned; the source goes Down.
    virtual bool canCancelLoad() const { return false; }
    virtual void cancelLoad() {}

    // A source waiting out a reconnect backoff can be asked to try again at once.
    virtual bool canRetryNow() const { return false; }
    virtual void retryNow() {}

    // Time travel: the source as it was at a revision (0: latest). The answer comes as
    // revisionStateReady with the same requestId, off the GUI thread's work.
    virtual bool supportsTimeTravel() const { return false; }
    virtual void requestRevisionState(quint64 requestId, qint64 revision);

Q_SIGNALS:
    void revisionStateReady(const regscope::RevisionState& state);
};

class ControlBroker : public QObject {
    Q_OBJECT
public:
    explicit ControlBroker(QObject* parent = nullptr);
    ~ControlBroker() override;

    // Never null: a source without controls gets one that supports nothing.
    SourceControls* controls() const;
    // The composition root sets the attached source's controls (nullptr: none) and its URL
    // (the name actions and the write toggle use for it).
    void setControls(SourceControls* controls, const QString& source = QString());
    QString source() const { return m_source; }

Q_SIGNALS:
    void controlsChanged();
    // Forwarded from the current controls.
    void revisionStateReady(const regscope::RevisionState& state);

private:
    mutable SourceControls m_none;
    QPointer<SourceControls> m_current;
    QString m_source;
    QMetaObject::Connection m_forward;
};

} // namespace regscope
