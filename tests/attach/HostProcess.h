#pragma once
// Runs tests/attach/endpoint_host as a real separate process and talks to it over its stdin /
// stdout command lines (see endpoint_host.cpp).

#include <QDeadlineTimer>
#include <QProcess>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>

namespace attachtest {

class HostProcess {
public:
    explicit HostProcess(QStringList args,
                         QProcessEnvironment env = QProcessEnvironment::systemEnvironment())
        : args_(std::move(args)) {
        process_.setProcessEnvironment(env);
        process_.setProcessChannelMode(QProcess::SeparateChannels);
    }
    ~HostProcess() {
        if (process_.state() != QProcess::NotRunning) {
            process_.kill();
            process_.waitForFinished(5000);
        }
    }
    // Starts and waits for "READY <path>"; returns the path ("-" without endpoint) or "".
    std::string Start(int timeoutMs = 10000) {
        process_.start(QStringLiteral(ENDPOINT_HOST_PATH), args_);
        if (!process_.waitForStarted(timeoutMs))
            return {};
        const auto line = ReadLine(timeoutMs);
        if (!line.starts_with("READY "))
            return {};
        path_ = line.substr(6);
        return path_;
    }
    std::string Command(const std::string& cmd, int timeoutMs = 30000) {
        process_.write((cmd + "\n").c_str());
        process_.waitForBytesWritten(timeoutMs);
        return ReadLine(timeoutMs);
    }
    std::string ReadLine(int timeoutMs) {
        QDeadlineTimer deadline(timeoutMs);
        while (!process_.canReadLine()) {
            if (deadline.hasExpired() || process_.state() == QProcess::NotRunning)
                return {};
            process_.waitForReadyRead(
                static_cast<int>(std::max<qint64>(1, deadline.remainingTime())));
        }
        auto line = process_.readLine().toStdString();
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.pop_back();
        return line;
    }
    // The host's own view: (tenant, name, version) -> alias_of.
    std::map<std::tuple<std::string, std::string, std::string>, nlohmann::json>
    Dump(const std::string& file) {
        std::map<std::tuple<std::string, std::string, std::string>, nlohmann::json> out;
        if (Command("dump " + file) != "OK")
            return out;
        std::ifstream in(file);
        std::string line;
        while (std::getline(in, line)) {
            auto j = nlohmann::json::parse(line);
            out[{j["tenant"], j["name"], j["version"]}] = j;
        }
        return out;
    }
    QProcess& Process() { return process_; }
    qint64 Pid() const { return process_.processId(); }
    bool Running() {
        process_.waitForFinished(0); // takes in a pending exit
        return process_.state() == QProcess::Running;
    }
    const std::string& Path() const { return path_; }

private:
    QStringList args_;
    QProcess process_;
    std::string path_;
};

} // namespace attachtest
