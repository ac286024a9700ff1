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
        QCOMPARE(model.headerData(ServerListModel::SecretsColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Secrets"));

        QCOMPARE(cell(model, 0, ServerListModel::NameColumn), QStringLiteral("github"));
        QCOMPARE(cell(model, 0, ServerListModel::KindColumn), QStringLiteral("local (stdio)"));
        QCOMPARE(cell(model, 0, ServerListModel::CommandColumn),
                 QStringLiteral("npx -y @modelcontextprotocol/server-github"));
        QCOMPARE(cell(model, 0, ServerListModel::SecretsColumn), QStringLiteral("1 stored"));

        // A key bound to two variables counts once; the missing one is named.
        QCOMPARE(cell(model, 1, ServerListModel::CommandColumn), QStringLiteral("'/opt/search server' --port 0"));
        QCOMPARE(cell(model, 1, ServerListModel::SecretsColumn), QStringLiteral("missing: api-key"));
        QCOMPARE(model.data(model.index(1, 0), ServerListModel::MissingSecretsRole).toStringList(),
                 QStringList{QStringLiteral("api-key")});
        QVERIFY(!model.data(model.index(1, ServerListModel::SecretsColumn), Qt::DecorationRole).isNull());
        const QString tip = cell(model, 1, ServerListModel::SecretsColumn, Qt::ToolTipRole);
        QVERIFY2(tip.contains(QStringLiteral("API_KEY")) && tip.contains(QStringLiteral("latchkey secret set search")),
                 qPrintable(tip));

        QCOMPARE(cell(model, 2, ServerListModel::SecretsColumn), QStringLiteral("none needed"));
        QVERIFY(model.data(model.index(2, ServerListModel::SecretsColumn), Qt::DecorationRole).isNull());

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
        QCOMPARE(cell(model, 0, ServerListModel::KindColumn), QStringLiteral("remote"));
        QCOMPARE(cell(model, 0, ServerListModel::CommandColumn), QString());
        QCOMPARE(model.servers().at(0).secrets, QStringList{QStringLiteral("k")});
        // A binding without a variable is dropped; "present" that is not a boolean means missing.
        QCOMPARE(model.servers().at(1).env.size(), 1);
        QCOMPARE(cell(model, 1, ServerListModel::SecretsColumn), QStringLiteral("missing: k"));

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
        QCOMPARE(cell(model, 1, ServerListModel::SecretsColumn), QStringLiteral("2 stored"));
        QCOMPARE(model.serversMissingSecrets(), 0);

        updated["servers"].erase(0);
        model.setServersFromJson(updated);
        QCOMPARE(resets.size(), 1);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(cell(model, 0, ServerListModel::NameColumn), QStringLiteral("search"));
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
