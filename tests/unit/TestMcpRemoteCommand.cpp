// Unit tests for McpRemoteCommand: which command lines run mcp-remote, and how its arguments are read —
// the URL, headers as written, the flags `latchkey connect` has no use for, and a refusal (naming the flag,
// never a value) for everything else.
#include "McpRemoteCommand.h"

#include <QTest>

using latchkey::import::McpRemoteCommand;

namespace {
QStringList split(const char *text)
{
    return QString::fromUtf8(text).split(QLatin1Char(' '), Qt::SkipEmptyParts);
}
} // namespace

class TestMcpRemoteCommand : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void launches_data();
    void launches();
    void headersAndDroppedFlags();
    void refused_data();
    void refused();
};

void TestMcpRemoteCommand::launches_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("first"); // -1: not mcp-remote
    QTest::newRow("npx") << QStringLiteral("npx") << split("mcp-remote https://x/mcp") << 1;
    QTest::newRow("npx -y") << QStringLiteral("npx") << split("-y mcp-remote https://x/mcp") << 2;
    QTest::newRow("npx --yes -q") << QStringLiteral("npx") << split("--yes -q mcp-remote https://x/mcp") << 3;
    QTest::newRow("version") << QStringLiteral("npx") << split("-y mcp-remote@0.1.15 https://x/mcp") << 2;
    QTest::newRow("latest") << QStringLiteral("npx") << split("mcp-remote@latest https://x/mcp") << 1;
    QTest::newRow("npx path") << QStringLiteral("/usr/local/bin/npx") << split("mcp-remote https://x/mcp") << 1;
    QTest::newRow("npx.cmd") << QStringLiteral("C:\\nodejs\\npx.cmd") << split("-y mcp-remote https://x/mcp") << 2;
    QTest::newRow("global binary") << QStringLiteral("/opt/node/bin/mcp-remote") << split("https://x/mcp") << 0;
    QTest::newRow("global .cmd") << QStringLiteral("mcp-remote.cmd") << split("https://x/mcp") << 0;
    QTest::newRow("cmd /c npx") << QStringLiteral("cmd") << split("/c npx -y mcp-remote https://x/mcp") << 4;
    QTest::newRow("cmd /C binary") << QStringLiteral("C:\\Windows\\System32\\cmd.exe")
                                   << split("/C mcp-remote https://x/mcp") << 2;
    QTest::newRow("cmd /c other") << QStringLiteral("cmd") << split("/c node server.js") << -1;
    QTest::newRow("other package") << QStringLiteral("npx") << split("-y @scope/mcp-remote-ish https://x/mcp") << -1;
    QTest::newRow("npx -p") << QStringLiteral("npx") << split("-p mcp-remote mcp-remote https://x/mcp") << -1;
    QTest::newRow("prefix only") << QStringLiteral("npx") << split("mcp-remote-client https://x/mcp") << -1;
    QTest::newRow("npx alone") << QStringLiteral("npx") << split("-y") << -1;
    QTest::newRow("node") << QStringLiteral("node") << split("server.js") << -1;
}

void TestMcpRemoteCommand::launches()
{
    QFETCH(QString, command);
    QFETCH(QStringList, args);
    QFETCH(int, first);
    qsizetype index = -1;
    QCOMPARE(McpRemoteCommand::launches(command, args, &index), first >= 0);
    if (first >= 0) {
        QCOMPARE(index, qsizetype(first));
    }
}

void TestMcpRemoteCommand::headersAndDroppedFlags()
{
    const McpRemoteCommand remote = McpRemoteCommand::parse(
        {QStringLiteral("https://example.com/mcp"), QStringLiteral("9696"), QStringLiteral("--header"),
         QStringLiteral("Authorization: Bearer ${AUTH_TOKEN}"), QStringLiteral("--transport"),
         QStringLiteral("http-only"), QStringLiteral("--allow-http"), QStringLiteral("--header"),
         QStringLiteral("X-Tenant:acme"), QStringLiteral("--host"), QStringLiteral("127.0.0.1"),
         QStringLiteral("--debug")});
    QVERIFY2(remote.problem().isEmpty(), qPrintable(remote.problem()));
    QCOMPARE(remote.url(), QStringLiteral("https://example.com/mcp"));
    QCOMPARE(remote.headers().size(), 2);
    QCOMPARE(remote.headers().at(0),
             qMakePair(QStringLiteral("Authorization"), QStringLiteral("Bearer ${AUTH_TOKEN}")));
    QCOMPARE(remote.headers().at(1), qMakePair(QStringLiteral("X-Tenant"), QStringLiteral("acme")));
    // In command-line order; the port, a positional argument, last.
    QCOMPARE(remote.dropped(),
             (QStringList{QStringLiteral("--transport http-only"), QStringLiteral("--allow-http"),
                          QStringLiteral("--host"), QStringLiteral("--debug"), QStringLiteral("the callback port")}));

    // A header given twice: the last one counts, as in mcp-remote.
    const McpRemoteCommand twice = McpRemoteCommand::parse({QStringLiteral("https://x/mcp"), QStringLiteral("--header"),
                                                            QStringLiteral("X-Key: one"), QStringLiteral("--header"),
                                                            QStringLiteral("X-Key: two")});
    QCOMPARE(twice.headers().size(), 1);
    QCOMPARE(twice.headers().front().second, QStringLiteral("two"));

    // The URL may come after the flags, as mcp-remote only looks at what the flags leave.
    const McpRemoteCommand late = McpRemoteCommand::parse(
        {QStringLiteral("--header"), QStringLiteral("X-Key: k"), QStringLiteral("http://127.0.0.1:8080/mcp")});
    QVERIFY(late.problem().isEmpty());
    QCOMPARE(late.url(), QStringLiteral("http://127.0.0.1:8080/mcp"));
}

void TestMcpRemoteCommand::refused_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("sse transport") << split("https://x/sse --transport sse-only") << QStringLiteral("sse-only");
    QTest::newRow("sse first") << split("https://x/sse --transport sse-first") << QStringLiteral("HTTP+SSE");
    QTest::newRow("bad transport") << split("https://x/mcp --transport carrier-pigeon")
                                   << QStringLiteral("--transport value");
    QTest::newRow("static client") << split("https://x/mcp --static-oauth-client-info {\"client_secret\":\"cs-9z\"}")
                                   << QStringLiteral("--static-oauth-client-info");
    QTest::newRow("resource") << split("https://x/mcp --resource https://x/") << QStringLiteral("--resource");
    QTest::newRow("ignore tool") << split("https://x/mcp --ignore-tool delete*") << QStringLiteral("--ignore-tool");
    QTest::newRow("proxy") << split("https://x/mcp --enable-proxy") << QStringLiteral("--enable-proxy");
    QTest::newRow("header=") << QStringList{QStringLiteral("https://x/mcp"), QStringLiteral("--header=X-Key: k-77")}
                             << QStringLiteral("--header,");
    QTest::newRow("bad header") << QStringList{QStringLiteral("https://x/mcp"), QStringLiteral("--header"),
                                               QStringLiteral("no colon here")}
                                << QStringLiteral("\"Name: value\"");
    QTest::newRow("header last") << split("https://x/mcp --header") << QStringLiteral("\"Name: value\"");
    QTest::newRow("host last") << split("https://x/mcp --host") << QStringLiteral("--host without a value");
    QTest::newRow("no url") << split("--debug") << QStringLiteral("no server URL");
    QTest::newRow("extra positional") << split("https://x/mcp 3334 extra") << QStringLiteral("neither a port");
    QTest::newRow("not a port") << split("https://x/mcp https://y/mcp") << QStringLiteral("neither a port");
}

void TestMcpRemoteCommand::refused()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);
    const McpRemoteCommand remote = McpRemoteCommand::parse(args);
    QVERIFY(!remote.problem().isEmpty());
    QVERIFY2(remote.problem().contains(mentions), qPrintable(remote.problem()));
    // Values are never repeated: a static client's secret, a header's value.
    QVERIFY(!remote.problem().contains(QStringLiteral("cs-9z")));
    QVERIFY(!remote.problem().contains(QStringLiteral("k-77")));
}

QTEST_GUILESS_MAIN(TestMcpRemoteCommand)
#include "TestMcpRemoteCommand.moc"
