#include "views/actions/EtcdValueEditor.h"

#include <QCheckBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::StringLiterals;

namespace regscope {

namespace {
bool isUtf8(const QByteArray& bytes) {
    return QString::fromUtf8(bytes).toUtf8() == bytes;
}

QString where(const QByteArray& text, int offset) {
    offset = std::clamp(offset, 0, static_cast<int>(text.size()));
    const QByteArray before = text.left(offset);
    const int line = static_cast<int>(before.count('\n')) + 1;
    const int column = offset - static_cast<int>(before.lastIndexOf('\n'));
    return u"line "_s + QString::number(line) + u", column "_s + QString::number(column);
}
} // namespace

JsonCheck checkJson(const QByteArray& text) {
    QJsonParseError e{};
    QJsonDocument::fromJson(text, &e);
    if (e.error == QJsonParseError::NoError)
        return {};
    // Qt parses objects and arrays only: a scalar is checked inside brackets.
    QJsonParseError wrapped{};
    QJsonDocument::fromJson('[' + text + ']', &wrapped);
    if (wrapped.error == QJsonParseError::NoError && !text.trimmed().isEmpty())
        return {};
    return JsonCheck{false, where(text, e.offset) + u": "_s + e.errorString()};
}

EtcdValueEditor::EtcdValueEditor(QWidget* parent)
    : QWidget(parent) {
    setObjectName(u"etcdValueEditor"_s);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* bar = new QHBoxLayout;
    m_json = new QCheckBox(u"JSON"_s, this);
    m_json->setObjectName(u"jsonMode"_s);
    m_format = new QPushButton(u"Format"_s, this);
    m_format->setObjectName(u"formatJson"_s);
    m_format->setToolTip(u"Reformat the JSON (otherwise the bytes are kept as typed)"_s);
    m_status = new QLabel(this);
    m_status->setObjectName(u"valueStatus"_s);
    bar->addWidget(m_json);
    bar->addWidget(m_format);
    bar->addWidget(m_status, 1);
    layout->addLayout(bar);
    m_text = new QPlainTextEdit(this);
    m_text->setObjectName(u"valueText"_s);
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_text->setLineWrapMode(QPlainTextEdit::NoWrap);
    layout->addWidget(m_text, 1);

    m_debounce.setSingleShot(true);
    m_debounce.setInterval(200);
    connect(&m_debounce, &QTimer::timeout, this, &EtcdValueEditor::runCheck);
    connect(m_text, &QPlainTextEdit::textChanged, this, &EtcdValueEditor::scheduleCheck);
    connect(m_json, &QCheckBox::toggled, this, &EtcdValueEditor::scheduleCheck);
    connect(m_format, &QPushButton::clicked, this, &EtcdValueEditor::formatJson);
    connect(&m_watcher, &QFutureWatcher<JsonCheck>::finished, this, [this] {
        const quint64 generation = m_watcher.property("generation").toULongLong();
        if (generation != m_generation)
            return; // the text changed again meanwhile
        const JsonCheck c = m_watcher.result();
        setValidity(c.ok, c.error);
    });
}

EtcdValueEditor::~EtcdValueEditor() {
    m_watcher.waitForFinished();
}

void EtcdValueEditor::setOriginal(const QByteArray& bytes) {
    m_original = bytes;
    m_binary = !isUtf8(bytes);
    if (m_binary) {
        m_text->setPlainText(QString::fromLatin1(bytes.toHex(' ')));
        m_text->setReadOnly(true);
        m_json->setChecked(false);
        m_json->setEnabled(false);
        m_format->setEnabled(false);
    } else {
        m_text->setReadOnly(false);
        m_text->setPlainText(QString::fromUtf8(bytes));
        m_json->setEnabled(true);
        m_json->setChecked(!bytes.trimmed().isEmpty() && checkJson(bytes).ok);
    }
    m_text->document()->setModified(false);
    ++m_generation;
    setValidity(true, QString());
    m_status->setText(m_binary ? u"binary value: shown as hex, kept as it is"_s : QString());
}

QByteArray EtcdValueEditor::value() const {
    if (m_binary || !isModified())
        return m_original;
    return m_text->toPlainText().toUtf8();
}

bool EtcdValueEditor::isModified() const {
    return !m_binary && m_text->document()->isModified() &&
           m_text->toPlainText().toUtf8() != m_original;
}

bool EtcdValueEditor::jsonMode() const {
    return m_json->isChecked();
}

void EtcdValueEditor::setJsonMode(bool on) {
    m_json->setChecked(on && !m_binary);
}

void EtcdValueEditor::formatJson() {
    const QJsonDocument doc = QJsonDocument::fromJson(value());
    if (doc.isNull())
        return;
    m_text->setPlainText(QString::fromUtf8(doc.toJson(QJsonDocument::Indented)));
    m_text->document()->setModified(true);
}

void EtcdValueEditor::scheduleCheck() {
    ++m_generation;
    // Until the check has run, nothing can be sent.
    setValidity(!jsonMode(), jsonMode() ? u"checking…"_s : QString());
    if (jsonMode())
        m_debounce.start();
}

void EtcdValueEditor::runCheck() {
    if (!jsonMode())
        return;
    m_watcher.setProperty("generation", m_generation);
    m_watcher.setFuture(QtConcurrent::run(&checkJson, value()));
}

void EtcdValueEditor::setValidity(bool valid, const QString& error) {
    const bool changed = valid != m_valid;
    m_valid = valid;
    m_error = error;
    if (valid)
        m_status->setText(jsonMode() ? u"valid JSON"_s : QString());
    else
        m_status->setText(error);
    if (changed)
        Q_EMIT validityChanged(valid);
}

} // namespace regscope
