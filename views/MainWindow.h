#pragma once
// The main window: a connection bar on top, the panels as tabs, a status bar with the event
// rate and the store's size. Panels come from views/ and from other rooms via addPanel().

#include "models/ConnectionProfile.h"
#include "views/AttachDialog.h"

#include <QKeySequence>
#include <QMainWindow>

#include <functional>
#include <utility>
#include <vector>

class QComboBox;
class QTabWidget;
class QLabel;
class QMenu;

namespace regscope {

class ConnectionBar;
class SourcesModel;
class ConnectionDialog;
class ControlBroker;
class SnapshotCompareDialog;
class Store;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class Theme { Light, Dark };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Adds a panel as a tab; the shortcut (default Alt+<n>) brings it to front.
    void addPanel(const QString& title, QWidget* panel, const QKeySequence& shortcut = {});
    // Brings the panel whose title matches (case-insensitive) to front; false if none.
    bool showPanel(const QString& title);
    QStringList panelTitles() const;
    QWidget* panel(const QString& title) const;

    // The source scope (MainWindowScope.cpp): the tab bar's corner lists the sources, the
    // panels' first, and "All sources"; a record panel with an all-sources view (set here,
    // after its addPanel) shows that view while all sources are shown.
    void setSourcesModel(SourcesModel* sources);
    void setAllSourcesView(const QString& title, QWidget* view);
    QWidget* allSourcesView(const QString& title) const;
    void setShowAllSources(bool all); // ignored (false) with fewer than two sources
    bool showsAllSources() const { return m_allSources; }

    ConnectionBar* connectionBar() const { return m_connectionBar; }
    // Shows the store's health in the connection bar and its size/event rate in the status bar.
    void setStore(Store* store);
    // The attached source's controls: the bar's Cancel load and Retry now go through it.
    void setControlBroker(ControlBroker* broker);
    // The attached source's URL (the app sets it on every attach): a snapshot names it, and a
    // file:// source shows its "snapshot of SOURCE taken at TIME" badge in the bar.
    void setSourceUrl(const QString& url);
    // File ▸ Save snapshot…: the store is copied here (cheap), serialized and written
    // atomically on a worker; the status bar says how it went, and snapshotSaved tells.
    void saveSnapshot(const QString& path);
    // The window's other sources (watched beside the panels'), saved in the same document.
    using SnapshotSources = std::function<std::vector<std::pair<QString, const Store*>>()>;
    void setExtraSnapshotSources(SnapshotSources sources) { m_extraSources = std::move(sources); }
    // File ▸ Compare with snapshot…: the differences with the live store (open(), not exec()).
    SnapshotCompareDialog* openCompare(const QString& snapshotPath);
    // The Help ▸ Keyboard shortcuts text (also shown by "?").
    QString shortcutsText() const;

    // The saved profiles the connection dialog lists (the app loads and saves them).
    void setProfiles(const QList<ConnectionProfile>& profiles);
    QList<ConnectionProfile> profiles() const { return m_profiles; }
    // The workspaces the dialog lists, and what a Save there keeps (the window's sources).
    void setWorkspaces(const QList<Workspace>& workspaces);
    void setCurrentSourcesProvider(std::function<QStringList()> provider) {
        m_currentSources = std::move(provider);
    }
    // Opens the connection dialog (window-modal, open() not exec()) filled with the current
    // URL; answers come as profileConnectRequested / profileDeleteRequested.
    ConnectionDialog* openConnectionDialog();
    // What File ▸ Attach to process… lists (the app hands in connectors/attach's listing).
    void setAttachLister(AttachDialog::Lister lister) { m_attachLister = std::move(lister); }
    // Opens the Attach dialog (open(), not exec()); a chosen process comes as connectRequested.
    AttachDialog* openAttachDialog();

    // Remember::No for a headless screenshot: the user's saved theme stays as it was.
    enum class Remember : bool { No, Yes };
    void setTheme(Theme theme, Remember remember = Remember::Yes);
    Theme theme() const { return m_theme; }

    // Restores geometry, layout, theme and current panel from QSettings.
    void restoreLayout();
    void saveLayout() const;

Q_SIGNALS:
    // The user asked to attach to another source (connection bar or dialog).
    void connectRequested(const QString& url);
    // The connection dialog was accepted (validated); save: keep it as a profile.
    void profileConnectRequested(const regscope::ConnectionProfile& profile, bool save);
    void profileDeleteRequested(const QString& name);
    // The dialog's workspaces: open one, keep the current sources under a name, delete one.
    void workspaceOpenRequested(const regscope::Workspace& workspace);
    void workspaceSaveRequested(const regscope::Workspace& workspace);
    void workspaceDeleteRequested(const QString& name);
    // The scope changed: all sources shown, or the panels' source only.
    void allSourcesShown(bool all);
    // The scope's list chose a watched source (its SourcesModel row) for the panels.
    void panelSourceRequested(int row);
    // After the palette changed: charts and painted widgets re-read their theme colours.
    void themeChanged();
    // A File ▸ Save snapshot… finished: error is empty when the file was written.
    void snapshotSaved(const QString& path, const QString& error);

protected:
    void closeEvent(class QCloseEvent* event) override;

private:
    void updateStatus();
    void addHelpMenu();
    void focusFilter();
    void addSnapshotActions(QMenu* file); // MainWindowSnapshot.cpp
    void updateBadge();
    void updateScope();
    QWidget* panelPage(int index) const; // the panel itself, under its scope stack if any

    ConnectionBar* m_connectionBar = nullptr;
    QTabWidget* m_tabs = nullptr;
    QLabel* m_rateLabel = nullptr;
    QLabel* m_sizeLabel = nullptr;
    Store* m_store = nullptr;
    QString m_sourceUrl;
    SnapshotSources m_extraSources;
    ControlBroker* m_broker = nullptr;
    SourcesModel* m_sources = nullptr;
    QComboBox* m_scope = nullptr;
    bool m_allSources = false;
    QList<ConnectionProfile> m_profiles;
    QList<Workspace> m_workspaces;
    std::function<QStringList()> m_currentSources;
    AttachDialog::Lister m_attachLister;
    Theme m_theme = Theme::Light;
    quint64 m_lastEvents = 0;
    qint64 m_lastStatusMs = 0;
};

} // namespace regscope
