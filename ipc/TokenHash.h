#pragma once

#include <QByteArrayView>

#include <string>

namespace latchkey::ipc {

// The short, one-way name of a token (or of any identifier worth hiding) that the protocol and the audit
// log use: the first 16 hex digits of its SHA-256. token.get's `rejected` names a refused token this way,
// so a bridge can say which token failed without sending it back.
std::string tokenHash(QByteArrayView value);

} // namespace latchkey::ipc
