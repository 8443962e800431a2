#pragma once
// The value editor of an etcd put. It preserves bytes: an untouched value is sent back exactly
// as read (whitespace, key order, a trailing newline), an edited one exactly as typed; only
// "Format" reformats, when asked. In JSON mode the text must parse before it can be sent; the
// check runs off the GUI thread (values go up to etcd's 1.5 MiB request limit). A value that
// is not UTF-8 is shown as hex and cannot be edited here (it would not survive the round trip).

#include <QByteArray>
#include <QFutureWatcher>
#include <QTimer>
#include <QWidget>

class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace regscope {

struct JsonCheck {
    bool ok = true;
    QString error; // "line 3, column 7: unterminated object"
};
// Top-level scalars ("3", "\"on\"", "null") are JSON too.
JsonCheck checkJson(const QByteArray& text);

class EtcdValueEditor : public QWidget {
    Q_OBJECT
public:
    explicit EtcdValueEditor(QWidget* parent = nullptr);
    ~EtcdValueEditor() override;

    // The value as read from etcd; JSON mode is on when it parses as JSON.
    void setOriginal(const QByteArray& bytes);
    QByteArray value() const;
    bool isModified() const;
    bool isBinary() const { return m_binary; }
    bool jsonMode() const;
    void setJsonMode(bool on);
    // Sendable now: not binary-and-edited, JSON checked and valid (or text mode).
    bool isValid() const { return m_valid; }
    QString error() const { return m_error; }
    void formatJson(); // the explicit reformat

    QPlainTextEdit* textEdit() const { return m_text; }

Q_SIGNALS:
    void validityChanged(bool valid);

private:
    void scheduleCheck();
    void runCheck();
    void setValidity(bool valid, const QString& error);

    QByteArray m_original;
    bool m_binary = false;
    bool m_valid = true;
    QString m_error;
    quint64 m_generation = 0;
    QPlainTextEdit* m_text;
    QCheckBox* m_json;
    QPushButton* m_format;
    QLabel* m_status;
    QTimer m_debounce;
    QFutureWatcher<JsonCheck> m_watcher;
};

} // namespace regscope
