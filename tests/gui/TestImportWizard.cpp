// The tray's import wizard against a real latchkeyd and the real Secret Service: the Claude Desktop sample
// is imported through the wizard's pages (plan and masked diff, Import, result); its secret lands in the
// keychain and not in the file, the original is backed up 0600. A malformed file stops on the first page
// with the line and column; a conflicting import cannot be started. Nothing changes in either case.
#include "DaemonHarness.h"
#include "ImportFixtures.h"
#include "ImportWizard.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using latchkey::test::DaemonHarness;
using latchkey::tray::ImportWizard;

namespace {

const QByteArray kSecret = "ghp_FixtureClaude0123456789abcdefABCDEF";

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestImportWizard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void importsThroughThePages();
    void malformedFileStopsOnTheFirstPage();
    void conflictCannotBeImported();
    void planShowsWhatStaysAndMcpRemote();

private:
    QString place(const QString &fixture);
    std::unique_ptr<ImportWizard> wizardFor(const QString &path);
    bool toPlan(ImportWizard &wizard);

    std::unique_ptr<DaemonHarness> m_harness;
    QString m_id;
};

void TestImportWizard::initTestCase()
{
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS")) {
        if (qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN")) {
            QFAIL("no session bus: the Secret Service is required here");
        }
        QSKIP("needs the Secret Service; run through scripts/test.sh");
    }
    m_harness = std::make_unique<DaemonHarness>();
    QVERIFY(m_harness->start());
    m_id = DaemonHarness::uniqueName(QString());
}

QString TestImportWizard::place(const QString &fixture)
{
    static int count = 0;
    const QString path = QDir(m_harness->home()).filePath(QStringLiteral("%1-%2").arg(++count).arg(fixture));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return {};
    }
    file.write(latchkey::test::importFixture(fixture, m_id));
    return path;
}

std::unique_ptr<ImportWizard> TestImportWizard::wizardFor(const QString &path)
{
    auto wizard = std::make_unique<ImportWizard>(
        ImportWizard::Options{m_harness->socketPath(), DaemonHarness::binary(QStringLiteral("latchkey"))});
    wizard->show();
    wizard->clientBox()->setCurrentIndex(0); // Claude Desktop
    wizard->fileEdit()->setText(path);
    return wizard;
}

bool TestImportWizard::toPlan(ImportWizard &wizard)
{
    QSignalSpy planned(&wizard, &ImportWizard::planReady);
    wizard.next();
    if (wizard.currentId() != ImportWizard::PlanPage) {
        return false;
    }
    return !planned.isEmpty() || planned.wait(20000);
}

void TestImportWizard::importsThroughThePages()
{
    const QString path = place(QStringLiteral("claude_desktop_config.json"));
    const QByteArray original = readFile(path);
    const QString github = QStringLiteral("github") + m_id;
    auto wizard = wizardFor(path);
    QVERIFY(wizard->backupBox()->isChecked());
    QVERIFY(toPlan(*wizard));

    // The plan names the new servers; the diff shows the rewrite with the secret masked.
    QVERIFY2(wizard->planLabel()->text().contains(github), qPrintable(wizard->planLabel()->text()));
    const QString diff = wizard->diffView()->toPlainText();
    QVERIFY2(diff.contains(QStringLiteral("********")), qPrintable(diff));
    QVERIFY(diff.contains(QStringLiteral("\"run\"")));
    QVERIFY(!diff.contains(QString::fromUtf8(kSecret)));
    QAbstractButton *import = wizard->button(QWizard::CommitButton);
    QVERIFY(import->isVisible());
    QVERIFY(import->isEnabled());
    QCOMPARE(readFile(path), original); // nothing happened yet

    QSignalSpy finished(wizard.get(), &ImportWizard::importFinished);
    QTest::mouseClick(import, Qt::LeftButton);
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.front().front().toBool(), true);
    QCOMPARE(wizard->currentId(), int(ImportWizard::ResultPage));
    QVERIFY2(wizard->resultLabel()->text().contains(QStringLiteral("still holds the secrets")),
             qPrintable(wizard->resultLabel()->text()));

    // The secret went to the keychain, not the file; the backup holds the original for its owner only.
    QProcess lookup;
    lookup.start(QStringLiteral("secret-tool"),
                 {QStringLiteral("lookup"), QStringLiteral("server"), QStringLiteral("latchkey"),
                  QStringLiteral("user"),
                  QStringLiteral("latchkey/secret/%1/GITHUB_PERSONAL_ACCESS_TOKEN").arg(github)});
    QVERIFY(lookup.waitForFinished(10000));
    QCOMPARE(lookup.readAllStandardOutput(), kSecret);
    const QByteArray rewritten = readFile(path);
    QVERIFY(!rewritten.contains(kSecret));
    const QJsonObject entry = QJsonDocument::fromJson(rewritten)
                                  .object()
                                  .value(QStringLiteral("mcpServers"))
                                  .toObject()
                                  .value(github)
                                  .toObject();
    QCOMPARE(entry.value(QStringLiteral("args")).toArray(), (QJsonArray{QStringLiteral("run"), github}));
    const QFileInfo info(path);
    const QStringList backups =
        info.dir().entryList({info.fileName() + QStringLiteral(".latchkey-backup-*")}, QDir::Files);
    QCOMPARE(backups.size(), 1);
    const QString backup = info.dir().filePath(backups.front());
    QCOMPARE(readFile(backup), original);
    QCOMPARE(QFile::permissions(backup) & ~(QFileDevice::ReadUser | QFileDevice::WriteUser),
             QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    const auto servers = m_harness->cli({QStringLiteral("servers"), QStringLiteral("--json")});
    QVERIFY(servers.out.contains(github.toUtf8()));
}

void TestImportWizard::malformedFileStopsOnTheFirstPage()
{
    const QString path = place(QStringLiteral("malformed-syntax.json"));
    const QByteArray before = readFile(path);
    auto wizard = wizardFor(path);
    wizard->next();
    QCOMPARE(wizard->currentId(), int(ImportWizard::SourcePage));
    const auto labels = wizard->findChildren<QLabel *>();
    const bool explained = std::any_of(labels.cbegin(), labels.cend(), [&](const QLabel *label) {
        return label->text().contains(path) && label->text().contains(QStringLiteral("line 6, column 11")) &&
               label->text().contains(QStringLiteral("Nothing was changed."));
    });
    QVERIFY(explained);
    QCOMPARE(readFile(path), before);
}

void TestImportWizard::conflictCannotBeImported()
{
    // Runs after the import above: the same entries now collide with the servers it added.
    const QString path = place(QStringLiteral("claude_desktop_config.json"));
    const QByteArray before = readFile(path);
    auto wizard = wizardFor(path);
    QVERIFY(toPlan(*wizard));
    QVERIFY2(wizard->planLabel()->text().contains(QStringLiteral("already has a server named")),
             qPrintable(wizard->planLabel()->text()));
    QVERIFY(!wizard->button(QWizard::CommitButton)->isEnabled());
    QVERIFY(wizard->diffView()->toPlainText().isEmpty());
    QCOMPARE(readFile(path), before);
    QCOMPARE(QDir(m_harness->home()).entryList({QStringLiteral("*.latchkey-backup-*")}, QDir::Files).size(), 1);
}

void TestImportWizard::planShowsWhatStaysAndMcpRemote()
{
    // mcp-remote.json: two mcp-remote entries Latchkey takes over, two it leaves (a flag it does not take
    // over, an API key on the command line). The plan says so, masked; the two can still be imported.
    const QString path = place(QStringLiteral("mcp-remote.json"));
    const QByteArray before = readFile(path);
    auto wizard = wizardFor(path);
    QVERIFY(toPlan(*wizard));
    const QString plan = wizard->planLabel()->text();
    QVERIFY2(plan.contains(QStringLiteral("left unchanged")) && plan.contains(QStringLiteral("--api-key ********")) &&
                 plan.contains(QStringLiteral("--static-oauth-client-info")) &&
                 plan.contains(QStringLiteral("~/.mcp-auth")),
             qPrintable(plan));
    QVERIFY(wizard->button(QWizard::CommitButton)->isEnabled());
    const QString shown = plan + wizard->diffView()->toPlainText();
    QVERIFY(shown.contains(QStringLiteral("\"connect\"")));
    for (const char *secret : {"mr-FixtureBearer", "mr-FixtureInlineKey", "FixtureClientSecret", "FixtureArgSecret"}) {
        QVERIFY2(!shown.contains(QLatin1String(secret)), secret);
    }
    QCOMPARE(readFile(path), before);
}

QTEST_MAIN(TestImportWizard)
#include "TestImportWizard.moc"
