#pragma once
// What the Plugins panel may ask for. Implemented by PluginSupervisor (connectors/loader);
// the panel only sees this interface and PluginModel, never a connector.

#include <QByteArray>
#include <QString>

namespace regscope {

class PluginActions {
public:
    virtual ~PluginActions() = default;
    virtual void loadFile(const QString& path) = 0;
    // Loads every *.so in it and watches it: new or changed plugins show up.
    virtual void loadDirectory(const QString& path) = 0;
    // A manual retry; clears the crash-loop stop. longerDeadline: 4× the stage deadline.
    virtual void retry(const QString& path, bool longerDeadline) = 0;
    // Loads the file again beside the running build. Once the new build is ready it waits,
    // with its diff, for acceptReload (it replaces the old one) or discardReload.
    virtual void reload(const QString& path) = 0;
    virtual void acceptReload(const QString& path) = 0;
    virtual void discardReload(const QString& path) = 0;
    // Shadow: the same payload to the running build and the waiting one; the pair of answers
    // lands in the candidate's shadow results. replay: the recorded payloads of recent invokes.
    virtual void shadowInvoke(const QString& path, const QString& name,
                              const QByteArray& payload) = 0;
    virtual void shadowReplay(const QString& path) = 0;
    virtual void unload(const QString& path) = 0;
    virtual void invoke(const QString& path, const QString& name, const QByteArray& payload) = 0;
    // go-plugin binaries: the host's magic cookie for the next loads (empty key: built-ins).
    virtual void setPluginCookie(const QString& key, const QString& value) = 0;
};

} // namespace regscope
