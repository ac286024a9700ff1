#include "Icons.h"

#include <QHash>
#include <QPainter>
#include <QPixmap>
#include <QSvgRenderer>

namespace latchkey::tray {

namespace {

QIcon render(const QString &path)
{
    static QHash<QString, QIcon> cache;
    if (const auto it = cache.constFind(path); it != cache.constEnd()) {
        return *it;
    }
    QSvgRenderer renderer(path);
    QIcon icon;
    if (renderer.isValid()) {
        for (const int size : {16, 22, 24, 32, 48, 64, 128, 256}) {
            QPixmap pixmap(size, size);
            pixmap.fill(Qt::transparent);
            QPainter painter(&pixmap);
            renderer.render(&painter);
            painter.end();
            icon.addPixmap(pixmap);
        }
    }
    cache.insert(path, icon);
    return icon;
}

} // namespace

QString Icons::resourcePath(Health health)
{
    switch (health) {
    case Health::Good:
        return QStringLiteral(":/icons/latchkey-ok.svg");
    case Health::Attention:
        return QStringLiteral(":/icons/latchkey-attention.svg");
    case Health::Error:
        return QStringLiteral(":/icons/latchkey-error.svg");
    case Health::Unknown:
        break;
    }
    return QStringLiteral(":/icons/latchkey.svg");
}

QIcon Icons::application()
{
    return render(QStringLiteral(":/icons/latchkey.svg"));
}

QIcon Icons::forHealth(Health health)
{
    return render(resourcePath(health));
}

QIcon Icons::attentionMark()
{
    return render(QStringLiteral(":/icons/attention.svg"));
}

} // namespace latchkey::tray
