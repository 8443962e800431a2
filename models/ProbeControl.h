#pragma once
// The opt-in reality check: probing every registered instance address. Views hold this
// interface, never the prober (connectors/probe); the composition root implements it. Off
// until the user (or --probe) turns it on: the hosts at the other end did not ask for it.

#include <QObject>
#include <QString>

#include <expected>

namespace regscope {

// The bounds of probing (issue 13 §3): in flight, per second, per probe, per instance.
struct ProbeLimits {
    int maxInFlight = 32;
    double ratePerSecond = 50;
    int timeoutMs = 1000;
    int intervalMs = 30'000; // each address probed again this long after its last probe
    QString httpPath = QStringLiteral("/"); // what an http(s):// probe GETs

    friend bool operator==(const ProbeLimits&, const ProbeLimits&) = default;
};

// --probe-options: comma-separated KEY=VALUE over the defaults: path=/healthz, rate=50
// (probes started per second), in-flight=32, timeout=1 and interval=30 (seconds, decimals
// allowed). The error names the bad part.
std::expected<ProbeLimits, QString> parseProbeLimits(const QString& text, ProbeLimits base = {});

class ProbeControl : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~ProbeControl() override;

    virtual bool probing() const = 0;
    virtual void setProbing(bool on) = 0;
    virtual int addressCount() const = 0; // addresses probed now (0 while off)
    virtual ProbeLimits limits() const = 0;

Q_SIGNALS:
    void probingChanged(bool on);
    void addressCountChanged(int count);
};

} // namespace regscope
