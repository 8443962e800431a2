#include "views/MainWindow.h"

#include <QLabel>

using namespace Qt::StringLiterals;

namespace regscope {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent) {
    setWindowTitle(u"regscope"_s);
    auto* label = new QLabel(u"regscope — attach to a registry"_s, this);
    label->setAlignment(Qt::AlignCenter);
    setCentralWidget(label);
    resize(1280, 800);
}

} // namespace regscope
