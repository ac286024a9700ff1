#include "WizardTaskPage.h"

#include <QSignalSpy>
#include <QTest>
#include <QWizard>

using latchkey::tray::WizardTaskPage;

class TestWizardTaskPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void completeOnlyAfterTheJobSucceeds()
    {
        QWizard wizard;
        auto *first = new QWizardPage;
        auto *task = new WizardTaskPage;
        auto *last = new QWizardPage;
        wizard.addPage(first);
        wizard.addPage(task);
        wizard.addPage(last);
        quint64 token = 0;
        int runs = 0;
        task->setJob([&](WizardTaskPage *page, quint64 t) {
            token = t;
            ++runs;
            page->append(t, QStringLiteral("working"));
        });
        wizard.show();
        QSignalSpy finished(task, &WizardTaskPage::jobFinished);

        wizard.next();
        QCOMPARE(runs, 1);
        QVERIFY(task->isRunning());
        QVERIFY(!task->isComplete());
        wizard.next(); // not past a job that has not succeeded
        QCOMPARE(wizard.currentPage(), task);

        task->finish(token, false);
        QCOMPARE(finished.size(), 1);
        QVERIFY(!task->isRunning() && !task->succeeded());
        wizard.next();
        QCOMPARE(wizard.currentPage(), task);

        // Back and on again runs the job afresh; a report from the abandoned run is ignored.
        const quint64 old = token;
        wizard.back();
        wizard.next();
        QCOMPARE(runs, 2);
        task->append(old, QStringLiteral("stale"));
        task->finish(old, true);
        QVERIFY(task->isRunning());
        QVERIFY(!task->log().contains(QStringLiteral("stale")));
        task->append(token, QStringLiteral("done"));
        task->finish(token, true);
        QVERIFY(task->succeeded());
        QCOMPARE(task->log(), QStringLiteral("working\ndone"));
        wizard.next();
        QCOMPARE(wizard.currentPage(), last);
    }
};

QTEST_MAIN(TestWizardTaskPage)
#include "TestWizardTaskPage.moc"
