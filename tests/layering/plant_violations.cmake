# Plants one violation of each house rule in a scratch tree (the layering self-test).
cmake_minimum_required(VERSION 3.25)
set(t "${OUT}")
file(REMOVE_RECURSE "${t}")
file(WRITE "${t}/views/BadView.cpp" "#include \"connectors/etcd/EtcdConnector.h\"\n")
file(WRITE "${t}/models/ItemThing.h" "#pragma once\n#include <QAbstractTableModel>\nclass ItemThing : public QAbstractTableModel {};\n")
file(WRITE "${t}/connectors/BadConnector.cpp" "#include \"models/ItemThing.h\"\n#include \"views/MainWindow.h\"\n")
file(WRITE "${t}/app/UsesGrpc.cpp" "#include <grpcpp/grpcpp.h>\n")
# A connector other than etcd and probe is not a gRPC room either.
file(WRITE "${t}/connectors/discovery/UsesGrpc.cpp" "#include \"health.grpc.pb.h\"\n")
file(WRITE "${t}/models/registry/UsesQt.cpp" "#include <QString>\n")
file(WRITE "${t}/models/Paints.cpp" "#include <QColor>\n")
string(REPEAT "int x;\n" 601 big)
file(WRITE "${t}/app/Big.cpp" "${big}")
