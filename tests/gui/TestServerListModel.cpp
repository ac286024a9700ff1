#include "ServerListModel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using latchkey::ipc::Json;
using latchkey::tray::ServerInfo;
using latchkey::tray::ServerListModel;

namespace {

// Shaped like the daemon's server.list result.
Json sampleList()
{
    return Json::parse(R"({"servers":[
        {"name":"github","kind":"stdio","command":["npx","-y","@modelcontextprotocol/server-github"],
         "env":[{"var":"GITHUB_TOKEN","source":"secret","key":"token","present":true}],
         "secrets":["token"]},
        {"name":"search","kind":"stdio","command":["/opt/search server","--port","0"],
         "env":[{"var":"API_KEY","source":"secret","key":"api-key","present":false},
                {"var":"API_SECRET","source":"secret","key":"api-secret","present":true},
                {"var":"API_KEY_AGAIN","source":"secret","key":"api-key","present":false}],
         "secrets":["api-secret"]},
        {"name":"plain","kind":"stdio","command":["/bin/true"],"env":[],"secrets":[]}
    ]})");
}

QString cell(const ServerListModel &model, int row, int column, int role = Qt::DisplayRole)
{
    return model.data(model.index(row, column), role).toString();
}

} // namespace

class TestServerListModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fillsRowsFromServerList()
    {
        ServerListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setServersFromJson(sampleList());

        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), int(ServerListModel::ColumnCount));
        QCOMPARE(model.headerData(ServerListModel::NameColumn, Qt::Horizontal).toString(), QStringLiteral("Name"));
        QCOMPARE(model.headerData(ServerListModel::StateColumn, Qt::Horizontal).toString(), QStringLiteral("State"));
        QCOMPARE(model.headerData(ServerListModel::TargetColumn, Qt::Horizontal).toString(),
                 QStringLiteral("URL or command"));

        QCOMPARE(cell(model, 0, ServerListModel::NameColumn), QStringLiteral("github"));
        QCOMPARE(cell(model, 0, ServerListModel::RungColumn), QStringLiteral("API key"));
        QCOMPARE(cell(model, 0, ServerListModel::TargetColumn),
                 QStringLiteral("npx -y @modelcontextprotocol/server-github"));
        QCOMPARE(cell(model, 0, ServerListModel::StateColumn), QStringLiteral("1 stored"));

        // A key bound to two variables counts once; the missing one is named.
        QCOMPARE(cell(model, 1, ServerListModel::TargetColumn), QStringLiteral("'/opt/search server' --port 0"));
        QCOMPARE(cell(model, 1, ServerListModel::StateColumn), QStringLiteral("missing: api-key"));
        QCOMPARE(model.data(model.index(1, 0), ServerListModel::MissingSecretsRole).toStringList(),
                 QStringList{QStringLiteral("api-key")});
        QVERIFY(!model.data(model.index(1, ServerListModel::StateColumn), Qt::DecorationRole).isNull());
        const QString tip = cell(model, 1, ServerListModel::StateColumn, Qt::ToolTipRole);
        QVERIFY2(tip.contains(QStringLiteral("API_KEY")) && tip.contains(QStringLiteral("latchkey secret set search")),
                 qPrintable(tip));

        QCOMPARE(cell(model, 2, ServerListModel::StateColumn), QStringLiteral("none needed"));
        QVERIFY(model.data(model.index(2, ServerListModel::StateColumn), Qt::DecorationRole).isNull());

        QCOMPARE(model.serversMissingSecrets(), 1);
        QCOMPARE(model.rowOf(QStringLiteral("plain")), 2);
        QCOMPARE(model.rowOf(QStringLiteral("absent")), -1);
    }

    void toleratesOddReplies()
    {
        ServerListModel model;
        model.setServersFromJson(Json::parse(R"({"servers":[
            {"kind":"stdio","command":["/bin/true"]},
            42,
            {"name":"odd","kind":"remote","command":"not a list","env":{"x":1},"secrets":[1,"k"]},
            {"name":"bad-env","env":[{"key":"k"},{"var":"V","key":"k","present":"yes"}]}
        ]})"));
        QCOMPARE(model.rowCount(), 2); // entries without a name are dropped
        QCOMPARE(cell(model, 0, ServerListModel::NameColumn), QStringLiteral("odd"));
        QCOMPARE(cell(model, 0, ServerListModel::RungColumn), QStringLiteral("OAuth"));
        QCOMPARE(cell(model, 0, ServerListModel::TargetColumn), QString()); // a remote server without url
        QCOMPARE(model.servers().at(0).secrets, QStringList{QStringLiteral("k")});
        // A binding without a variable is dropped; "present" that is not a boolean means missing.
        QCOMPARE(model.servers().at(1).env.size(), 1);
        QCOMPARE(cell(model, 1, ServerListModel::StateColumn), QStringLiteral("missing: k"));

        model.setServersFromJson(Json::parse(R"({"servers":"nope"})"));
        QCOMPARE(model.rowCount(), 0);
        model.setServersFromJson(Json::array());
        QCOMPARE(model.rowCount(), 0);
    }

    void refreshWithSameServersUpdatesInPlace()
    {
        ServerListModel model;
        model.setServersFromJson(sampleList());
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);

        Json updated = sampleList();
        updated["servers"][1]["env"][0]["present"] = true;
        updated["servers"][1]["env"][2]["present"] = true;
        model.setServersFromJson(updated);
        QCOMPARE(resets.size(), 0);
        QCOMPARE(changes.size(), 1);
        QCOMPARE(cell(model, 1, ServerListModel::StateColumn), QStringLiteral("2 stored"));
        QCOMPARE(model.serversMissingSecrets(), 0);

        updated["servers"].erase(0);
        model.setServersFromJson(updated);
        QCOMPARE(resets.size(), 1);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(cell(model, 0, ServerListModel::NameColumn), QStringLiteral("search"));
    }

    void remoteServersShowTheirGrant()
    {
        ServerListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        constexpr qint64 now = 1800000000;
        model.setNow(now);
        // URLs written with \/ (valid JSON): moc reads "//" inside a raw string as a comment.
        Json list = Json::parse(R"({"servers":[
            {"name":"notes","kind":"remote","url":"https:\/\/notes.example/mcp","resource":"https:\/\/notes.example/mcp",
             "issuer":"https:\/\/as.example","scopes":["notes:read","notes:write"],
             "grant":{"state":"active","reason":""},"auth_required":true,
             "apps":["/usr/bin/code",{"exe":"/opt/Claude/claude"},{"pid":3}],"secrets":[]},
            {"name":"wiki","kind":"remote","url":"https:\/\/wiki.example/mcp","issuer":"https:\/\/idp.example",
             "grant":{"state":"needs_login","reason":"invalid_grant: refresh token expired"},"secrets":[]},
            {"name":"fresh","kind":"remote","url":"https:\/\/fresh.example/mcp","grant":{"state":"none"},
             "rung":"enterprise","secrets":[]},
            {"name":"local","kind":"stdio","command":["/bin/true"],"env":[],"secrets":[]}
        ]})");
        list["servers"][0]["expires_at"] = now + 3600 + 30;
        list["servers"][0]["last_used_at"] = now - 300;
        model.setServersFromJson(list);
        QCOMPARE(model.rowCount(), 4);

        QCOMPARE(cell(model, 0, ServerListModel::TargetColumn), QStringLiteral("https://notes.example/mcp"));
        QCOMPARE(cell(model, 0, ServerListModel::RungColumn), QStringLiteral("OAuth"));
        QCOMPARE(cell(model, 0, ServerListModel::IssuerColumn), QStringLiteral("https://as.example"));
        QCOMPARE(cell(model, 0, ServerListModel::ScopesColumn), QStringLiteral("notes:read notes:write"));
        QCOMPARE(cell(model, 0, ServerListModel::ExpiryColumn), QStringLiteral("in 1 h"));
        QCOMPARE(cell(model, 0, ServerListModel::LastUsedColumn), QStringLiteral("5 min ago"));
        // Apps by executable name; an entry that names none is skipped.
        QCOMPARE(cell(model, 0, ServerListModel::AppsColumn), QStringLiteral("code, claude"));
        QCOMPARE(cell(model, 0, ServerListModel::AppsColumn, Qt::ToolTipRole),
                 QStringLiteral("/usr/bin/code\n/opt/Claude/claude"));
        QCOMPARE(cell(model, 0, ServerListModel::StateColumn), QStringLiteral("signed in"));
        QVERIFY(model.data(model.index(0, ServerListModel::StateColumn), Qt::DecorationRole).isNull());

        QCOMPARE(cell(model, 1, ServerListModel::StateColumn), QStringLiteral("sign-in needed"));
        QCOMPARE(cell(model, 1, ServerListModel::StateColumn, Qt::ToolTipRole),
                 QStringLiteral("invalid_grant: refresh token expired"));
        QVERIFY(!model.data(model.index(1, ServerListModel::StateColumn), Qt::DecorationRole).isNull());
        QCOMPARE(cell(model, 1, ServerListModel::ExpiryColumn), QString());
        QCOMPARE(cell(model, 1, ServerListModel::LastUsedColumn), QStringLiteral("not since start"));
        QVERIFY(model.servers().at(1).needsSignIn());

        QCOMPARE(cell(model, 2, ServerListModel::RungColumn), QStringLiteral("Enterprise"));
        QCOMPARE(cell(model, 2, ServerListModel::StateColumn), QStringLiteral("not signed in"));
        QVERIFY(model.servers().at(2).needsSignIn());
        QCOMPARE(cell(model, 3, ServerListModel::RungColumn), QStringLiteral("none"));
        QVERIFY(!model.servers().at(3).needsSignIn());

        // Time passes: only the relative columns change, in place.
        QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
        model.setNow(now + 3600 + 90);
        QCOMPARE(changes.size(), 1);
        QCOMPARE(changes.first().at(0).toModelIndex().column(), int(ServerListModel::ExpiryColumn));
        QCOMPARE(cell(model, 0, ServerListModel::ExpiryColumn), QStringLiteral("1 min ago"));
        QCOMPARE(cell(model, 0, ServerListModel::LastUsedColumn), QStringLiteral("1 h ago"));
    }

    void remoteServersWithCredentialHeadersAreApiKeys()
    {
        // What `latchkey import` makes of a remote server with an API key header: no OAuth, no sign-in;
        // its state is whether the header's secret is stored.
        ServerListModel model;
        model.setServersFromJson(Json::parse(R"({"servers":[
            {"name":"a-stored","kind":"remote","url":"https:\/\/a.example/mcp","auth_required":false,
             "grant":{"state":"none"},"headers":[{"header":"X-API-Key","key":"api-key","present":true}],
             "secrets":["api-key"]},
            {"name":"b-missing","kind":"remote","url":"https:\/\/b.example/mcp","auth_required":false,
             "grant":{"state":"none"},"headers":[{"header":"Authorization","key":"bearer","present":false}],
             "secrets":[]}
        ]})"));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(cell(model, 0, ServerListModel::RungColumn), QStringLiteral("API key"));
        QCOMPARE(cell(model, 0, ServerListModel::StateColumn), QStringLiteral("1 stored"));
        QCOMPARE(cell(model, 0, ServerListModel::StateColumn, Qt::ToolTipRole),
                 QStringLiteral("header X-API-Key ← api-key (stored)"));
        QCOMPARE(cell(model, 1, ServerListModel::StateColumn), QStringLiteral("missing: bearer"));
        QVERIFY(!model.data(model.index(1, ServerListModel::StateColumn), Qt::DecorationRole).isNull());
        for (const latchkey::tray::ServerInfo &server : model.servers()) {
            QVERIFY(!server.usesOAuth());
            QVERIFY(!server.needsSignIn());
        }
        QCOMPARE(model.servers().at(1).missingSecrets(), QStringList{QStringLiteral("bearer")});
    }

    void relativeTimeRoundsDown()
    {
        QCOMPARE(ServerListModel::relativeTime(100, 100), QStringLiteral("in under a minute"));
        QCOMPARE(ServerListModel::relativeTime(100, 130), QStringLiteral("just now"));
        QCOMPARE(ServerListModel::relativeTime(100 + 59 * 60 + 59, 100), QStringLiteral("in 59 min"));
        QCOMPARE(ServerListModel::relativeTime(100 + 47 * 3600, 100), QStringLiteral("in 47 h"));
        QCOMPARE(ServerListModel::relativeTime(100, 100 + 3 * 86400 + 5), QStringLiteral("3 days ago"));
    }

    void displayCommandQuotesLikeAShell()
    {
        QCOMPARE(ServerListModel::displayCommand({}), QString());
        QCOMPARE(ServerListModel::displayCommand({QStringLiteral("/bin/true")}), QStringLiteral("/bin/true"));
        QCOMPARE(ServerListModel::displayCommand({QStringLiteral("echo"), QString(), QStringLiteral("it's")}),
                 QStringLiteral("echo '' 'it'\\''s'"));
        QCOMPARE(
            ServerListModel::displayCommand({QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("a && b")}),
            QStringLiteral("sh -c 'a && b'"));
    }
};

QTEST_MAIN(TestServerListModel)
#include "TestServerListModel.moc"
