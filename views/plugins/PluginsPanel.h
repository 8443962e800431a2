#pragma once
// The Plugins panel: the list of plugins (PluginModel) beside a detail pane with stages,
// registrations, symbols, needed libraries, signature and stderr tail; a crash verdict with
// retry / longer deadline / copy report; invoke with a typed or file payload; reload (reviewed
// in ReloadReview before it switches) and unload. It asks PluginActions for everything and never
// blocks the GUI thread.

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTableView;
class QTextBrowser;

namespace regscope {

class PluginActions;
class PluginModel;
class ReloadReview;
struct PluginRow;

class PluginsPanel : public QWidget {
    Q_OBJECT
public:
    PluginsPanel(PluginModel* model, PluginActions* actions, QWidget* parent = nullptr);

    // Enables "Load demo plugins" and "Load crashing plugin" (one click each).
    void setDemoDirectory(const QString& directory);
    QString selectedPath() const;
    void selectPath(const QString& path);
    // The selected plugin's verdict as indented JSON (what "Copy report" puts on the clipboard).
    QString reportText() const;
    ReloadReview* review() const { return m_review; }

public Q_SLOTS:
    void loadDemoCrash();
    void invokeSelected();

private:
    void refreshDetails();
    QString detailsHtml(const PluginRow& row) const;
    void showInvokeResult(const PluginRow& row);
    void chooseFile();
    void chooseDirectory();
    void choosePayloadFile();

    PluginModel* m_model;
    PluginActions* m_actions;
    QString m_demoDirectory;
    QTableView* m_table;
    QLabel* m_headline;
    QPushButton* m_retry;
    QPushButton* m_retryLonger;
    QPushButton* m_copy;
    QPushButton* m_reload;
    QPushButton* m_unload;
    QPushButton* m_demoAll;
    QPushButton* m_demoCrash;
    QTextBrowser* m_details;
    QComboBox* m_invokeName;
    QLineEdit* m_payload;
    QPushButton* m_invoke;
    QPlainTextEdit* m_output;
    ReloadReview* m_review;
};

} // namespace regscope
