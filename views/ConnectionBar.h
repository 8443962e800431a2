#pragma once
// The source the window is attached to: its URL (editable, with the saved connections), its
// health state and the reason for it.

#include "models/SourceEvent.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;

namespace regscope {

class ConnectionBar : public QWidget {
    Q_OBJECT
public:
    explicit ConnectionBar(QWidget* parent = nullptr);

    void setUrl(const QString& url);
    QString url() const;
    void setHealth(const SourceHealth& health);
    // A URL that names no source: the attached source stays as it was, and the bar says so.
    void showRefused(const QString& url, const QString& why, const QString& stillAttached);
    QString stateText() const;
    QString reasonText() const;
    QStringList savedConnections() const;
    void focusUrl();

    static constexpr int kMaxSaved = 10;

Q_SIGNALS:
    void connectRequested(const QString& url);
    // The "Connection…" button: the window opens the connection dialog.
    void dialogRequested();

private:
    void remember(const QString& url);

    QComboBox* m_url = nullptr;
    QPushButton* m_connect = nullptr;
    QPushButton* m_dialog = nullptr;
    QLabel* m_state = nullptr;
    QLabel* m_reason = nullptr;
};

} // namespace regscope
