#include "connectors/Connector.h"

namespace regscope {

Connector::~Connector() = default;

void registerConnectorMetaTypes() {
    qRegisterMetaType<regscope::EventBatchPtr>();
}

} // namespace regscope
