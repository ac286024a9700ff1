// GrantsModel and GrantsPanel against a real latchkeyd: decisions listed, and the Revoke button's path to the
// daemon (the app is asked again afterwards).
#include "DaemonConnection.h"
#include "DaemonHarness.h"
#include "GrantsModel.h"
#include "GrantsPanel.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QPushButton>
#include <QTableView>
#include <QTest>

#include <nlohmann/json.hpp>

using latchkey::test::DaemonHarness;
using latchkey::tray::DaemonConnection;
using latchkey::tray::GrantsModel;
using latchkey::tray::GrantsPanel;

namespace {
constexpr int kTimeout = 20000;
}

class TestGrantsModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listsAndRevokes()
    {
        DaemonHarness daemon;
        // A decision on file before the daemon starts, as the tray or `latchkey apps allow` left it.
        QDir().mkpath(QFileInfo(daemon.configPath()).absolutePath());
        QFile grants(QFileInfo(daemon.configPath()).dir().filePath(QStringLiteral("grants.json")));
        QVERIFY(grants.open(QIODevice::WriteOnly));
        const nlohmann::json doc = {
            {"schema", 1},
            {"grants",
             {{{"app", "/usr/share/code/code"},
               {"server", "github"},
               {"decision", "always"},
               {"at", "2026-11-26T10:00:00Z"}},
              {{"app", "/opt/evil"}, {"server", "github"}, {"decision", "deny"}, {"at", "2026-11-26T10:01:00Z"}}}}};
        grants.write(QByteArray::fromStdString(doc.dump()));
        grants.close();
        daemon.setEnv(QStringLiteral("LATCHKEY_CONSENT"), QStringLiteral("ask"));
        QVERIFY(daemon.start());

        DaemonConnection connection(daemon.socketPath());
        GrantsModel model(connection);
        GrantsPanel panel(model);
        panel.show();
        connection.start();
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 2, kTimeout);
        QCOMPARE(model.columnCount(), int(GrantsModel::ColumnCount));
        QVERIFY(!panel.revokeButton()->isEnabled()); // nothing selected
        int codeRow = model.grants().at(0).app == QStringLiteral("/usr/share/code/code") ? 0 : 1;
        QCOMPARE(model.data(model.index(codeRow, GrantsModel::App)).toString(), QStringLiteral("code"));
        QCOMPARE(model.data(model.index(codeRow, GrantsModel::App), Qt::ToolTipRole).toString(),
                 QStringLiteral("/usr/share/code/code"));
        QCOMPARE(model.data(model.index(codeRow, GrantsModel::Decision)).toString(), QStringLiteral("Always allowed"));
        QCOMPARE(model.data(model.index(1 - codeRow, GrantsModel::Decision)).toString(), QStringLiteral("Denied"));

        panel.view()->selectRow(codeRow);
        QVERIFY(panel.revokeButton()->isEnabled());
        QTest::mouseClick(panel.revokeButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, kTimeout);
        QCOMPARE(model.grants().at(0).app, QStringLiteral("/opt/evil"));
        // The daemon forgot it too.
        const auto list = daemon.cli({QStringLiteral("apps"), QStringLiteral("--json")});
        QVERIFY2(!list.out.contains("/usr/share/code/code"), list.out.constData());
        QVERIFY(list.out.contains("/opt/evil"));
    }

    void refreshesWhenDecisionsChangeElsewhere()
    {
        DaemonHarness daemon;
        daemon.setEnv(QStringLiteral("LATCHKEY_CONSENT"), QStringLiteral("ask"));
        QDir().mkpath(QFileInfo(daemon.configPath()).absolutePath());
        QFile grants(QFileInfo(daemon.configPath()).dir().filePath(QStringLiteral("grants.json")));
        QVERIFY(grants.open(QIODevice::WriteOnly));
        grants.write(R"({"schema":1,"grants":[{"app":"/a","server":"x","decision":"always","at":""}]})");
        grants.close();
        QVERIFY(daemon.start());
        DaemonConnection connection(daemon.socketPath());
        GrantsModel model(connection);
        connection.start();
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, kTimeout);
        // Revoked by the CLI: the daemon's server.changed event refreshes the model.
        const auto revoke = daemon.cli({QStringLiteral("apps"), QStringLiteral("revoke"), QStringLiteral("/a")});
        QVERIFY2(revoke.exitCode == 0, revoke.err.constData());
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 0, kTimeout);
    }
};

QTEST_MAIN(TestGrantsModel)
#include "TestGrantsModel.moc"
