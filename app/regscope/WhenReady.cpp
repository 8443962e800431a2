#include "app/regscope/WhenReady.h"

#include "models/Store.h"

#include <QTimer>

#include <memory>

namespace regscope {

void whenReady(Store* store, int deadlineMs, std::function<bool()> ready,
               std::function<void(bool reached)> done) {
    auto* poll = new QTimer(store);
    poll->setInterval(50);
    auto finished = std::make_shared<bool>(false);
    auto finish = [poll, finished, done](bool reached) {
        if (std::exchange(*finished, true))
            return;
        poll->stop();
        poll->deleteLater();
        done(reached);
    };
    QObject::connect(poll, &QTimer::timeout, store, [store, ready, finish] {
        if (ready())
            finish(true);
        else if (store->health().state == HealthState::Down && store->eventsApplied() > 0)
            finish(false);
    });
    QTimer::singleShot(deadlineMs, store, [finish] { finish(false); });
    poll->start();
}

} // namespace regscope
