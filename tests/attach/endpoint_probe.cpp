// endpoint_probe PATH: attaches to a debug endpoint and prints the outcome; exit 0 attached
// (hello received), 2 no connection, 3 refused. The other-uid test runs it as nobody.

#include "tests/attach/EndpointTestClient.h"

#include <iostream>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: endpoint_probe SOCKET\n";
        return 64;
    }
    attachtest::Client c;
    if (auto e = c.Connect(argv[1])) {
        std::cout << "cannot connect: " << *e << std::endl;
        return 2;
    }
    if (auto refused = c.Handshake()) {
        std::cout << *refused << std::endl;
        return 3;
    }
    auto hello = c.ReadFrame(std::chrono::seconds(5));
    if (!hello || (*hello)["type"] != "hello") {
        std::cout << "no hello" << std::endl;
        return 3;
    }
    std::cout << "attached to pid " << (*hello)["pid"] << std::endl;
    return 0;
}
