#pragma once

// The sample configurations in tests/data/import/, with their placeholders filled in: @ID@ (a suffix
// for entry names, so parallel tests sharing one keychain never collide), @MCP_URL@ and @MCP_URL_2@.
#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QString>

namespace latchkey::test {

inline QByteArray importFixture(const QString &name, const QString &id = {},
                                const QString &mcpUrl = QStringLiteral("https://mcp.example.com/mcp"),
                                const QString &mcpUrl2 = QStringLiteral("https://mcp2.example.com/mcp"))
{
    QFile file(QDir(qEnvironmentVariable("LATCHKEY_SOURCE_DIR")).filePath(QStringLiteral("tests/data/import/") + name));
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    QByteArray text = file.readAll();
    text.replace("@ID@", id.toUtf8());
    text.replace("@MCP_URL@", mcpUrl.toUtf8());
    text.replace("@MCP_URL_2@", mcpUrl2.toUtf8());
    return text;
}

} // namespace latchkey::test
