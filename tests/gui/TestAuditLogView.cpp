#include "AuditLogView.h"
#include "DaemonConnection.h"
#include "DaemonHarness.h"
#include "FakeDaemon.h"
#include "GuiTestSupport.h"
#include "Protocol.h"

#include <QDateTime>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using latchkey::ipc::Json;
using latchkey::test::DaemonHarness;
using latchkey::test::FakeDaemon;
using latchkey::test::kGuiTimeout;
using latchkey::tray::AuditLogView;
using latchkey::tray::DaemonConnection;
using namespace std::chrono_literals;

namespace {

// Entries as audit.list returns them: oldest first.
Json sampleEntries()
{
    return Json::array({
        {{"ts", "2026-11-26T09:00:00.000Z"}, {"event", "daemon.started"}, {"pid", 41}},
        {{"ts", "2026-11-26T09:01:00.000Z"},
         {"event", "server.added"},
         {"server", "github"},
         {"exe", "/usr/bin/latchkey"}},
        {{"ts", "2026-11-26T09:02:00.000Z"},
         {"event", "token.handout"},
         {"server", "github"},
         {"exe", "/usr/share/code/code"},
         {"uid", 1000}},
        {{"ts", "2026-11-26T09:03:00.000Z"}, {"event", "consent.denied"}, {"server", "notes"}, {"exe", "/opt/Evil"}},
    });
}

// The text shown in a cell of the (filtered, sorted) view.
QString shown(const AuditLogView &view, int row, int column)
{
    const auto *table = view.findChild<QTableView *>(QStringLiteral("auditView"));
    return table->model()->index(row, column).data().toString();
}

QString count(const AuditLogView &view)
{
    return view.findChild<QLabel *>(QStringLiteral("auditCount"))->text();
}

// A view on FakeDaemon, its audit.list answered with the entries given.
struct OnFake
{
    FakeDaemon fake;
    DaemonConnection connection{fake.socketPath()};
    AuditLogView view{&connection};
    QSignalSpy loaded{&view, &AuditLogView::loaded};

    bool start(const Json &entries)
    {
        if (!fake.listen()) {
            return false;
        }
        fake.answer("audit.list", {{"entries", entries}});
        return latchkey::test::connectNow(connection);
    }
    // Reloads and waits for the answer.
    bool reload()
    {
        loaded.clear();
        view.reload();
        return loaded.wait(kGuiTimeout);
    }
};

} // namespace

class TestAuditLogView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsTheNewestFirstWithEveryField()
    {
        OnFake audit;
        QVERIFY(audit.start(sampleEntries()));
        QVERIFY(audit.reload());
        FakeDaemon &fake = audit.fake;
        AuditLogView &view = audit.view;

        // It asks for a bounded number of entries.
        QCOMPARE(fake.requests("audit.list").size(), 1);
        QCOMPARE(fake.requests("audit.list").at(0).params.value("limit", 0), 2000);
        QCOMPARE(view.loadedRows(), 4);
        QCOMPARE(view.visibleRows(), 4);
        QCOMPARE(count(view), QStringLiteral("4 of 4 entries"));
        QCOMPARE(shown(view, 0, AuditLogView::EventColumn), QStringLiteral("consent.denied"));
        QCOMPARE(shown(view, 3, AuditLogView::EventColumn), QStringLiteral("daemon.started"));
        // Local time, to the second.
        const QDateTime newest = QDateTime::fromString(QStringLiteral("2026-11-26T09:03:00.000Z"), Qt::ISODateWithMs);
        QCOMPARE(shown(view, 0, AuditLogView::TimeColumn),
                 newest.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
        QCOMPARE(shown(view, 1, AuditLogView::ServerColumn), QStringLiteral("github"));
        // The other fields as key=value (numbers as JSON).
        QCOMPARE(shown(view, 1, AuditLogView::DetailsColumn), QStringLiteral("exe=/usr/share/code/code  uid=1000"));
        QCOMPARE(shown(view, 3, AuditLogView::DetailsColumn), QStringLiteral("pid=41"));
    }

    void theFilterMatchesAnyColumnInAnyCase()
    {
        OnFake audit;
        QVERIFY(audit.start(sampleEntries()));
        QVERIFY(audit.reload());
        FakeDaemon &fake = audit.fake;
        AuditLogView &view = audit.view;

        QTest::keyClicks(view.filterEdit(), QStringLiteral("github")); // the server column
        QCOMPARE(view.visibleRows(), 2);
        QCOMPARE(count(view), QStringLiteral("2 of 4 entries"));
        view.filterEdit()->setText(QStringLiteral("CONSENT.DENIED")); // the event column, other case
        QCOMPARE(view.visibleRows(), 1);
        QCOMPARE(shown(view, 0, AuditLogView::ServerColumn), QStringLiteral("notes"));
        view.filterEdit()->setText(QStringLiteral("share/code")); // inside the details
        QCOMPARE(view.visibleRows(), 1);
        QCOMPARE(shown(view, 0, AuditLogView::EventColumn), QStringLiteral("token.handout"));
        view.filterEdit()->setText(QStringLiteral("[.*")); // text, not a pattern
        QCOMPARE(view.visibleRows(), 0);
        QCOMPARE(count(view), QStringLiteral("0 of 4 entries"));
        view.filterEdit()->clear();
        QCOMPARE(view.visibleRows(), 4);

        // The filter stays across a reload, and applies to what the reload brings.
        view.filterEdit()->setText(QStringLiteral("github"));
        Json more = sampleEntries();
        more.push_back({{"ts", "2026-11-26T09:04:00.000Z"}, {"event", "server.removed"}, {"server", "github"}});
        fake.answer("audit.list", {{"entries", more}});
        QVERIFY(audit.reload());
        QCOMPARE(view.loadedRows(), 5);
        QCOMPARE(view.visibleRows(), 3);
        QCOMPARE(shown(view, 0, AuditLogView::EventColumn), QStringLiteral("server.removed"));
        QCOMPARE(count(view), QStringLiteral("3 of 5 entries"));
        QCOMPARE(view.filterEdit()->text(), QStringLiteral("github"));
    }

    void anOlderAnswerNeverReplacesANewerOne()
    {
        OnFake audit;
        QVERIFY(audit.start(Json::array()));
        FakeDaemon &fake = audit.fake;
        AuditLogView &view = audit.view;
        QSignalSpy &loaded = audit.loaded;
        fake.hold("audit.list");
        view.reload();
        view.reload(); // F5 pressed again before the first answer
        QTRY_COMPARE_WITH_TIMEOUT(fake.held("audit.list").size(), 2, kGuiTimeout);

        const Json newer = {{"entries", {{{"ts", "2026-11-26T10:00:00.000Z"}, {"event", "newer"}}}}};
        const Json older = {{"entries", {{{"ts", "2026-11-26T09:00:00.000Z"}, {"event", "older"}}}}};
        fake.answerHeld("audit.list", 1, latchkey::ipc::Response::success(std::nullopt, newer));
        QVERIFY(loaded.wait(kGuiTimeout));
        fake.answerHeld("audit.list", 0, latchkey::ipc::Response::success(std::nullopt, older));
        // The stale answer arrives and is dropped. A call made now is answered after it on the same
        // connection, so once that answer is in, the view has had its chance to get it wrong.
        QVERIFY(latchkey::test::answeredSoFar(audit.connection));
        QCOMPARE(loaded.size(), 1);
        QCOMPARE(view.loadedRows(), 1);
        QCOMPARE(shown(view, 0, AuditLogView::EventColumn), QStringLiteral("newer"));
    }

    void aRefusalIsShownAndKeepsWhatWasLoaded()
    {
        OnFake audit;
        QVERIFY(audit.start(sampleEntries()));
        QVERIFY(audit.reload());
        FakeDaemon &fake = audit.fake;
        AuditLogView &view = audit.view;

        fake.fail("audit.list", latchkey::ipc::error::Internal, "cannot read /x/audit.jsonl: permission denied");
        QVERIFY(audit.reload());
        QCOMPARE(count(view),
                 QStringLiteral("cannot read the audit log: cannot read /x/audit.jsonl: permission denied"));
        QCOMPARE(view.loadedRows(), 4);
    }

    void entriesThatAreNotRecordsAreSkipped()
    {
        Json entries = sampleEntries();
        entries.push_back(42);
        entries.push_back("a string");
        entries.push_back(Json::array({1, 2}));
        entries.push_back({{"event", "no.time"}, {"ts", 7}});
        OnFake audit;
        QVERIFY(audit.start(entries));
        QVERIFY(audit.reload());
        QCOMPARE(audit.view.loadedRows(), 5);
        QCOMPARE(shown(audit.view, 0, AuditLogView::EventColumn), QStringLiteral("no.time"));
    }

    void theRealDaemonsNewRecordsAppearOnReload()
    {
        DaemonHarness harness;
        QVERIFY(harness.start());
        DaemonConnection connection(harness.socketPath());
        QVERIFY(latchkey::test::connectNow(connection));
        AuditLogView view(&connection);
        QSignalSpy loaded(&view, &AuditLogView::loaded);
        view.reload();
        QVERIFY(loaded.wait(kGuiTimeout));
        const int before = view.loadedRows();
        QVERIFY2(before >= 1, qPrintable(count(view))); // daemon.started at least

        const QString name = DaemonHarness::uniqueName(QStringLiteral("audit-view"));
        QVERIFY(harness
                    .cli({QStringLiteral("add"), QStringLiteral("stdio"), name, QStringLiteral("--"),
                          QStringLiteral("/bin/true")})
                    .exitCode == 0);
        QVERIFY(harness.cli({QStringLiteral("remove"), name}).exitCode == 0);
        view.filterEdit()->setText(name);
        QCOMPARE(view.visibleRows(), 0); // not loaded yet: never polled
        loaded.clear();
        view.reload();
        QVERIFY(loaded.wait(kGuiTimeout));
        QVERIFY(view.loadedRows() >= before + 2);
        QCOMPARE(view.visibleRows(), 2);
        QCOMPARE(shown(view, 0, AuditLogView::EventColumn), QStringLiteral("server.removed"));
        QCOMPARE(shown(view, 1, AuditLogView::EventColumn), QStringLiteral("server.added"));
        QCOMPARE(shown(view, 0, AuditLogView::ServerColumn), name);
        // The time is this run's, in local time.
        const QDateTime when =
            QDateTime::fromString(shown(view, 0, AuditLogView::TimeColumn), QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        QVERIFY(when.isValid());
        QVERIFY(qAbs(when.secsTo(QDateTime::currentDateTime())) < 600);
    }
};

QTEST_MAIN(TestAuditLogView)
#include "TestAuditLogView.moc"
