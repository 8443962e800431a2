// PluginSupervisor, the review of a reload (issue 15 §4): the new build loads beside the running
// one and waits, with its diff, for the user. Meanwhile the same payloads can go to both builds
// (shadow): typed, from a file or replayed from recent invokes, and the panel shows where their
// answers diverge. Only acceptReload switches; discardReload (or the new build dying) keeps the
// running build.

#include "connectors/loader/PluginSupervisor.h"

using namespace Qt::StringLiterals;

namespace regscope {
namespace {

constexpr std::size_t kMaxShadowResults = 64;
constexpr std::size_t kMaxRecordedPayloads = 32;
constexpr qint64 kMaxRecordedBytes = 1 << 20;

// A loader leaving. One still running reports through finished() (gently: it unloads, else
// it is killed) and onFinished then deletes it, a client it no longer knows; one that already
// ended has nothing more to report and is deleted now.
void retire(LoaderClient* client, bool gently) {
    if (!client)
        return;
    if (!client->running())
        client->deleteLater();
    else if (gently)
        client->unload();
    else
        client->kill();
}

} // namespace

ReloadCandidate& PluginSupervisor::editCandidate(Slot& slot) {
    auto copy = slot.row.candidate ? std::make_shared<ReloadCandidate>(*slot.row.candidate)
                                   : std::make_shared<ReloadCandidate>();
    ReloadCandidate& ref = *copy;
    slot.row.candidate = std::move(copy);
    return ref;
}

void PluginSupervisor::offerCandidate(Slot& slot, LoaderClient* client, const QString& path,
                                      const PluginVerdict& verdict) {
    dropCandidate(slot); // an older waiting build gives way to the newer one
    slot.candidate = client;
    auto review = std::make_shared<ReloadCandidate>();
    review->verdict = verdict;
    if (slot.row.verdict)
        review->diff =
            reloadDiff(*slot.row.verdict, verdict, m_knownNames ? m_knownNames() : QStringList());
    slot.row.candidate = review;
    slot.row.note = review->diff.isEmpty()
                        ? u"a new build is ready and nothing visible changed: accept or discard"_s
                        : u"a new build is ready (%1): accept or discard"_s.arg(review->diff);
    publish(path);
    record(path, u"reload ready"_s,
           review->diff.isEmpty() ? u"new build loaded beside the running one; no visible change"_s
                                  : review->diff);
}

void PluginSupervisor::acceptReload(const QString& path) {
    auto it = m_slots.find(path);
    if (it == m_slots.end() || !it->candidate)
        return;
    Slot& slot = *it;
    const QString diff = slot.row.candidate ? slot.row.candidate->diff : QString();
    retire(std::exchange(slot.active, std::exchange(slot.candidate, nullptr)), true);
    dropCandidate(slot); // the review: nothing left to kill
    setVerdict(path, slot.active->verdict());
    slot.row.note = diff.isEmpty() ? u"reloaded"_s : diff;
    publish(path);
    record(path, u"reload accepted"_s, diff.isEmpty() ? u"the new build runs now"_s : diff);
}

void PluginSupervisor::discardReload(const QString& path) {
    auto it = m_slots.find(path);
    if (it == m_slots.end() || (!it->candidate && !it->row.candidate))
        return;
    dropCandidate(*it);
    it->row.note = u"reload discarded: the running build stays"_s;
    publish(path);
    record(path, u"reload discarded"_s, u"the new build was stopped; the running one stays"_s);
}

void PluginSupervisor::dropCandidate(Slot& slot) {
    retire(std::exchange(slot.candidate, nullptr), false);
    slot.shadowBefore.clear();
    slot.shadowAfter.clear();
    slot.row.candidate.reset();
}

void PluginSupervisor::onCandidateFinished(Slot& slot, const QString& path,
                                           const PluginVerdict& verdict) {
    slot.candidate->deleteLater();
    slot.candidate = nullptr;
    ReloadCandidate& review = editCandidate(slot);
    review.verdict = verdict;
    review.crashed = true;
    for (ShadowResult& r : review.shadow)
        if (!r.afterAnswered) { // it never will now
            r.after.errorCode = u"crashed"_s;
            r.after.message = verdict.headline();
            r.afterAnswered = true;
        }
    slot.shadowAfter.clear();
    slot.row.note =
        u"the new build ended while waiting: %1; the running build stays"_s.arg(verdict.headline());
    publish(path);
    record(path, u"reload failed"_s,
           u"the new build ended while waiting: %1"_s.arg(verdict.headline()));
}

void PluginSupervisor::recordPayload(Slot& slot, const QString& name, const QByteArray& payload) {
    if (payload.size() > kMaxRecordedBytes)
        return;
    slot.recorded.emplace_back(name, payload);
    slot.recordedBytes += payload.size();
    while (slot.recorded.size() > kMaxRecordedPayloads || slot.recordedBytes > kMaxRecordedBytes) {
        slot.recordedBytes -= slot.recorded.front().second.size();
        slot.recorded.pop_front();
    }
    slot.row.recordedPayloads = static_cast<int>(slot.recorded.size());
}

void PluginSupervisor::shadowInvoke(const QString& path, const QString& name,
                                    const QByteArray& payload) {
    auto it = m_slots.find(path);
    if (it == m_slots.end())
        return;
    Slot& slot = *it;
    if (!slot.candidate || !slot.active || !slot.active->running()) {
        slot.row.note = slot.candidate ? u"shadow needs the running build: it is not loaded"_s
                                       : u"shadow needs a reload waiting for review"_s;
        publish(path);
        return;
    }
    ReloadCandidate& review = editCandidate(slot);
    ShadowResult r;
    r.name = name;
    r.payloadBytes = payload.size();
    r.before.name = r.after.name = name;
    review.shadow.push_back(std::move(r));
    const qint64 seq = slot.shadowFirstSeq + qint64(review.shadow.size()) - 1;
    while (review.shadow.size() > kMaxShadowResults) {
        review.shadow.erase(review.shadow.begin());
        ++slot.shadowFirstSeq;
    }
    slot.shadowBefore.insert(slot.active->invoke(name, payload), seq);
    slot.shadowAfter.insert(slot.candidate->invoke(name, payload), seq);
    record(path, u"shadow"_s, u"%1 (%2 bytes) to both builds"_s.arg(name).arg(payload.size()));
    publish(path);
}

void PluginSupervisor::shadowReplay(const QString& path) {
    auto it = m_slots.find(path);
    if (it == m_slots.end())
        return;
    const auto& recorded = it->recorded; // shadowInvoke adds no slot and records nothing
    if (recorded.empty()) {
        it->row.note = u"no recent invokes to replay: invoke the running build first"_s;
        publish(path);
        return;
    }
    for (const auto& [name, payload] : recorded)
        shadowInvoke(path, name, payload);
}

void PluginSupervisor::onShadowAnswer(const QString& path, const InvokeResult& result,
                                      bool fromCandidate) {
    auto it = m_slots.find(path);
    if (it == m_slots.end())
        return;
    Slot& slot = *it;
    auto& ids = fromCandidate ? slot.shadowAfter : slot.shadowBefore;
    const auto found = ids.find(result.id);
    if (found == ids.end() || !slot.row.candidate)
        return;
    const qint64 seq = found.value();
    ids.erase(found);
    const qint64 at = seq - slot.shadowFirstSeq;
    if (at < 0 || at >= qint64(slot.row.candidate->shadow.size()))
        return; // fell out of the bounded list
    ReloadCandidate& review = editCandidate(slot);
    ShadowResult& r = review.shadow[std::size_t(at)];
    (fromCandidate ? r.after : r.before) = result;
    (fromCandidate ? r.afterAnswered : r.beforeAnswered) = true;
    publish(path);
}

} // namespace regscope
