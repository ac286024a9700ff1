// ConsentDialog alone: what it names, its buttons, the keyboard (no default button; Esc denies) and the
// countdown that ends in TimedOut.
#include "ConsentDialog.h"

#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using latchkey::tray::ConsentDialog;
using latchkey::tray::ConsentRequest;
using Outcome = ConsentDialog::Outcome;

namespace {

ConsentRequest sample(int timeoutMs = 60000)
{
    ConsentRequest request;
    request.id = 7;
    request.appExecutable = QStringLiteral("/usr/share/code/code");
    request.appName = QStringLiteral("code");
    request.appPid = 4242;
    request.serverName = QStringLiteral("github");
    request.serverUrl = QStringLiteral("https://api.githubcopilot.com/mcp/");
    request.timeoutMs = timeoutMs;
    return request;
}

QString allText(const QWidget &widget)
{
    QStringList texts;
    for (const QLabel *label : widget.findChildren<QLabel *>()) {
        texts.append(label->text());
    }
    return texts.join(QLatin1Char('\n'));
}

} // namespace

class TestConsentDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void namesTheAppAndTheServer()
    {
        ConsentDialog dialog(sample());
        const QString text = allText(dialog);
        QVERIFY(text.contains(QStringLiteral("/usr/share/code/code")));
        QVERIFY(text.contains(QStringLiteral("4242")));
        QVERIFY(text.contains(QStringLiteral("github")));
        QVERIFY(text.contains(QStringLiteral("https://api.githubcopilot.com/mcp/")));
        QVERIFY(dialog.windowTitle().contains(QStringLiteral("github")));
    }

    void stdioServerShowsItsCommandAndBorrowedTokens()
    {
        ConsentRequest request = sample();
        request.serverUrl.clear();
        request.command = {QStringLiteral("npx"), QStringLiteral("server-github")};
        request.tokensOf = {QStringLiteral("github-remote")};
        ConsentDialog dialog(request);
        QVERIFY(allText(dialog).contains(QStringLiteral("npx server-github")));
        QVERIFY(allText(dialog).contains(QStringLiteral("github-remote")));
    }

    void eachButtonDecides_data()
    {
        QTest::addColumn<Outcome>("outcome");
        QTest::newRow("once") << Outcome::AllowOnce;
        QTest::newRow("always") << Outcome::AllowAlways;
        QTest::newRow("deny") << Outcome::Deny;
    }

    void eachButtonDecides()
    {
        QFETCH(Outcome, outcome);
        ConsentDialog dialog(sample());
        dialog.show();
        QSignalSpy decided(&dialog, &ConsentDialog::decided);
        QTest::mouseClick(dialog.button(outcome), Qt::LeftButton);
        QCOMPARE(decided.size(), 1);
        QCOMPARE(decided.first().first().value<Outcome>(), outcome);
        QVERIFY(!dialog.isVisible());
        dialog.button(Outcome::AllowAlways)->click(); // a second click changes nothing
        QCOMPARE(decided.size(), 1);
    }

    void noButtonAllowsOnEnter()
    {
        ConsentDialog dialog(sample());
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        for (Outcome outcome : {Outcome::AllowOnce, Outcome::AllowAlways, Outcome::Deny}) {
            QVERIFY(!dialog.button(outcome)->isDefault());
            QVERIFY(!dialog.button(outcome)->autoDefault());
        }
        QSignalSpy decided(&dialog, &ConsentDialog::decided);
        QTest::keyClick(&dialog, Qt::Key_Return);
        QTest::keyClick(&dialog, Qt::Key_Enter);
        QCOMPARE(decided.size(), 0);
        QVERIFY(dialog.isVisible());
    }

    void escapeDenies()
    {
        ConsentDialog dialog(sample());
        dialog.show();
        QSignalSpy decided(&dialog, &ConsentDialog::decided);
        QTest::keyClick(&dialog, Qt::Key_Escape);
        QCOMPARE(decided.size(), 1);
        QCOMPARE(decided.first().first().value<Outcome>(), Outcome::Deny);
    }

    void countsDownAndTimesOut()
    {
        ConsentDialog dialog(sample(1500));
        dialog.show();
        QVERIFY(dialog.countdownText().contains(QStringLiteral("2 second")) ||
                dialog.countdownText().contains(QStringLiteral("1 second")));
        QSignalSpy decided(&dialog, &ConsentDialog::decided);
        QVERIFY(decided.wait(10000));
        QCOMPARE(decided.first().first().value<Outcome>(), Outcome::TimedOut);
        QVERIFY(!dialog.isVisible());
    }

    void dismissSaysNothing()
    {
        ConsentDialog dialog(sample());
        dialog.show();
        QSignalSpy decided(&dialog, &ConsentDialog::decided);
        dialog.dismiss();
        QVERIFY(!dialog.isVisible());
        QTest::keyClick(&dialog, Qt::Key_Escape);
        QCOMPARE(decided.size(), 0);
    }
};

QTEST_MAIN(TestConsentDialog)
#include "TestConsentDialog.moc"
