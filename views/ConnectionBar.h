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
    // "as of HH:MM:SS (N s ago)"; amber "stale data: last update N s ago" when stale.
    void setFreshness(qint64 lastDeliveryMs, qint64 nowMs, bool stale);
    // A long first load: "loading keys 12,000 / 200,000" with Cancel (finished: hidden).
    void setProgress(const ProgressEvent& progress);
    // Whether the source offers "Retry now" while it is down.
    void setRetryAvailable(bool available);
    QString freshnessText() const;
    QString progressText() const;
    // A snapshot source (file://): a badge "snapshot of SOURCE taken at TIME" next to the state,
    // and no freshness (a snapshot never updates). Empty: no badge.
    void setBadge(const QString& text);
    QString badgeText() const;
    // Forgets a URL from the saved list (the "forget" button does this for the current one).
    void forget(const QString& url);

    static constexpr int kMaxSaved = 10;

Q_SIGNALS:
    void connectRequested(const QString& url);
    void cancelLoadRequested();
    void retryNowRequested();
    // The "Connection…" button: the window opens the connection dialog.
    void dialogRequested();

protected:
    void changeEvent(QEvent* event) override;

private:
    void remember(const QString& url);
    void styleBadge();

    QComboBox* m_url = nullptr;
    QPushButton* m_connect = nullptr;
    QPushButton* m_dialog = nullptr;
    QLabel* m_state = nullptr;
    QLabel* m_reason = nullptr;
    QLabel* m_badge = nullptr;
    QLabel* m_fresh = nullptr;
    QLabel* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_retry = nullptr;
    QPushButton* m_forget = nullptr;
    QString m_pendingUrl; // remembered once it goes live
};

} // namespace regscope
