#pragma once
// File ▸ Attach to process… (Ctrl+Shift+A): a live list of the processes that expose a
// regscope debug endpoint (pid, executable, registries, entries, uptime), with a filter;
// double-click (or Attach) asks for pid://PID, with ?reattach=1 when "Reattach when it comes
// back" is on. The list comes from a lister the app hands in (views never see connectors);
// it runs on a worker thread, once a second while the dialog is open, so the GUI thread
// never waits on a socket.

#include <QDialog>
#include <QJsonObject>
#include <QList>

#include <functional>

class QCheckBox;
class QLabel;
class QLineEdit;
class QThread;
class QTreeWidget;
class QTreeWidgetItem;

namespace regscope {

class AttachDialog : public QDialog {
    Q_OBJECT
public:
    // Blocking; called on a worker thread. One object per process (see
    // connectors/attach/AttachDiscovery.h: pid, exe, name, registries, entries, uptime_s, url).
    using Lister = std::function<QList<QJsonObject>()>;

    explicit AttachDialog(Lister lister, QWidget* parent = nullptr);
    ~AttachDialog() override;

    // The URL of the selected row ("pid://1234" or with "?reattach=1"), empty if none.
    QString selectedUrl() const;
    // Starts a listing now (also done every refreshMs while visible).
    void refresh();
    void setRefreshInterval(int ms);

Q_SIGNALS:
    void attachRequested(const QString& url);
    // After each listing has been shown (tests wait on it).
    void listed(int processes);

protected:
    void showEvent(class QShowEvent* event) override;
    void hideEvent(class QHideEvent* event) override;

private:
    void showProcesses(const QList<QJsonObject>& processes);
    void applyFilter();
    void attachItem(QTreeWidgetItem* item);

    Lister m_lister;
    QLineEdit* m_filter = nullptr;
    QTreeWidget* m_list = nullptr;
    QCheckBox* m_reattach = nullptr;
    QLabel* m_status = nullptr;
    class QTimer* m_timer = nullptr;
    QThread* m_running = nullptr; // the listing in flight, if any
};

} // namespace regscope
