// Unit tests for ImportRunner with a fake daemon: the order of steps, all-or-nothing roll-back, the
// backup, and a file that changed meanwhile.
#include "ImportFixtures.h"
#include "ImportRunner.h"
#include "McpConfigReader.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using latchkey::import::ImportPlan;
using latchkey::import::ImportRunner;
using latchkey::import::McpClientKind;
using latchkey::import::McpConfigReader;
using latchkey::ipc::Response;
using latchkey::test::importFixture;
using Json = nlohmann::json;

class TestImportRunner : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void importsEverythingInOrder();
    void failureRollsBackAndKeepsTheFile();
    void changedFileChangesNothing();
    void noBackupWhenAskedNot();

private:
    ImportPlan makePlan();
    ImportRunner::Result run(const ImportPlan &plan, ImportRunner::Options options = {});
    QStringList backups() const;

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
    QByteArray m_original;
    QList<std::pair<std::string, Json>> m_calls;
    std::string m_failMethod; // the first call of this method fails
};

void TestImportRunner::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_path = m_dir->filePath(QStringLiteral("claude_desktop_config.json"));
    m_original = importFixture(QStringLiteral("claude_desktop_config.json"));
    QFile file(m_path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(m_original);
    m_calls.clear();
    m_failMethod.clear();
}

ImportPlan TestImportRunner::makePlan()
{
    QString error;
    const auto config = McpConfigReader::read(m_path, McpClientKind::ClaudeDesktop, &error);
    return config ? ImportPlan::build(*config, Json::array(), QStringLiteral("/usr/bin/latchkey")) : ImportPlan();
}

ImportRunner::Result TestImportRunner::run(const ImportPlan &plan, ImportRunner::Options options)
{
    ImportRunner runner([this](const std::string &method, Json params, std::function<void(const Response &)> done) {
        m_calls.push_back({method, params});
        if (method == m_failMethod) {
            m_failMethod.clear();
            done(Response::failure(1, "keychain_unavailable", "the keychain is unavailable: locked"));
            return;
        }
        done(Response::success(1, Json::object()));
    });
    std::optional<ImportRunner::Result> result;
    runner.run(plan, options, [&result](const ImportRunner::Result &r) { result = r; });
    return result.value_or(ImportRunner::Result{});
}

QStringList TestImportRunner::backups() const
{
    return QDir(m_dir->path()).entryList({QStringLiteral("*.latchkey-backup-*")}, QDir::Files);
}

void TestImportRunner::importsEverythingInOrder()
{
    const ImportRunner::Result result = run(makePlan());
    QVERIFY2(result.ok, qPrintable(result.message));
    QCOMPARE(m_calls.size(), size_t(3));
    QCOMPARE(m_calls[0].first, std::string("secret.set"));
    QCOMPARE(m_calls[0].second.at("server").get<std::string>(), std::string("github"));
    QCOMPARE(m_calls[0].second.at("value").get<std::string>(), std::string("ghp_FixtureClaude0123456789abcdefABCDEF"));
    QCOMPARE(m_calls[1].first, std::string("server.add"));
    QCOMPARE(m_calls[2].first, std::string("server.add"));
    QCOMPARE(result.added, (QStringList{QStringLiteral("github"), QStringLiteral("filesystem")}));
    QFile file(m_path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QVERIFY(!text.contains("ghp_FixtureClaude"));
    QVERIFY(text.contains("/usr/bin/latchkey"));
    QCOMPARE(backups().size(), 1);
    QCOMPARE(result.backupPath, m_dir->filePath(backups().at(0)));
}

void TestImportRunner::failureRollsBackAndKeepsTheFile()
{
    m_failMethod = "server.add"; // the first record fails, after its secret was stored
    const ImportRunner::Result result = run(makePlan());
    QVERIFY(!result.ok);
    QVERIFY2(result.message.contains(QStringLiteral("adding the server github")), qPrintable(result.message));
    QVERIFY(result.message.contains(QStringLiteral("Nothing was imported")));
    QVERIFY(!result.message.contains(QStringLiteral("ghp_")));
    QCOMPARE(m_calls.size(), size_t(3));
    QCOMPARE(m_calls[2].first, std::string("secret.remove"));
    QCOMPARE(m_calls[2].second.at("key").get<std::string>(), std::string("GITHUB_PERSONAL_ACCESS_TOKEN"));
    QVERIFY(result.added.isEmpty());
    QVERIFY(backups().isEmpty());
    QFile file(m_path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), m_original);
}

void TestImportRunner::changedFileChangesNothing()
{
    const ImportPlan plan = makePlan();
    QFile file(m_path);
    QVERIFY(file.open(QIODevice::Append));
    file.write("\n");
    file.close();
    const ImportRunner::Result result = run(plan);
    QVERIFY(!result.ok);
    QVERIFY(result.message.contains(QStringLiteral("changed since it was read")));
    QVERIFY(m_calls.empty());
    QVERIFY(backups().isEmpty());
}

void TestImportRunner::noBackupWhenAskedNot()
{
    const ImportRunner::Result result = run(makePlan(), {false});
    QVERIFY(result.ok);
    QVERIFY(result.backupPath.isEmpty());
    QVERIFY(backups().isEmpty());
}

QTEST_GUILESS_MAIN(TestImportRunner)
#include "TestImportRunner.moc"
