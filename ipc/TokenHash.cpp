#include "TokenHash.h"

#include <QCryptographicHash>

namespace latchkey::ipc {

std::string tokenHash(QByteArrayView value)
{
    return QCryptographicHash::hash(value, QCryptographicHash::Sha256).toHex().left(16).toStdString();
}

} // namespace latchkey::ipc
