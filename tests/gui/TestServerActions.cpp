#include "DaemonConnection.h"
#include "DaemonHarness.h"
#include "FakeDaemon.h"
#include "GuiTestSupport.h"
#include "MainWindow.h"
#include "Protocol.h"
#include "ServerActions.h"
#include "ServerInfo.h"
#include "TrayController.h"

#include <QAction>
#include <QApplication>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

#include <nlohmann/json.hpp>

using latchkey::ipc::Json;
using latchkey::test::answer;
using latchkey::test::confirmation;
using latchkey::test::DaemonHarness;
using latchkey::test::FakeDaemon;
using latchkey::test::kGuiTimeout;
using latchkey::tray::DaemonConnection;
using latchkey::tray::ServerActions;
using latchkey::tray::ServerInfo;
using Action = latchkey::tray::ServerActions::Action;
using namespace std::chrono_literals;

namespace {

// A server as server.list describes it.
ServerInfo server(const Json &json)
{
    return ServerInfo::fromJson(json).value_or(ServerInfo{});
}

Json remote(const std::string &name, const std::string &grant)
{
    return {{"name", name},
            {"kind", "remote"},
            {"url", "https://" + name + ".example.com/mcp"},
            {"auth_required", true},
            {"grant", {{"state", grant}, {"reason", ""}}},
            {"secrets", Json::array()}};
}

// A remote server whose credential is a stored header (what `latchkey import` makes of an API key header).
Json headerServer(const std::string &name, bool stored)
{
    Json json = {{"name", name},
                 {"kind", "remote"},
                 {"url", "https://" + name + ".example.com/mcp"},
                 {"auth_required", false},
                 {"grant", {{"state", "none"}}},
                 {"headers", {{{"header", "X-API-Key"}, {"key", "api-key"}, {"present", stored}}}},
                 {"secrets", stored ? Json::array({"api-key"}) : Json::array()}};
    return json;
}

Json stdio(const std::string &name, const std::vector<std::string> &stored)
{
    Json env = Json::array();
    Json secrets = Json::array();
    for (const std::string &key : stored) {
        env.push_back({{"var", "VAR_" + key}, {"source", "secret"}, {"key", key}, {"present", true}});
        secrets.push_back(key);
    }
    return {{"name", name}, {"kind", "stdio"}, {"command", {"/bin/true"}}, {"env", env}, {"secrets", secrets}};
}

QString paramOf(const latchkey::ipc::Request &request, const char *key)
{
    const auto it = request.params.find(key);
    return it != request.params.end() && it->is_string() ? QString::fromStdString(it->get<std::string>())
                                                         : QStringLiteral("<none>");
}

struct Finished
{
    Action action;
    QString server;
    bool ok;
    QString message;
};

Finished finishedAt(const QSignalSpy &spy, int index)
{
    const QList<QVariant> &args = spy.at(index);
    return {args.at(0).value<Action>(), args.at(1).toString(), args.at(2).toBool(), args.at(3).toString()};
}

} // namespace

class TestServerActions : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void availabilityFollowsTheServerState_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<bool>("signIn");
        QTest::addColumn<bool>("signOut");
        QTest::addColumn<bool>("revoke");
        QTest::addColumn<bool>("remove");
        QTest::newRow("remote, never signed in")
            << QString::fromStdString(remote("a", "none").dump()) << true << false << false << true;
        QTest::newRow("remote, signed in")
            << QString::fromStdString(remote("a", "active").dump()) << true << true << true << true;
        QTest::newRow("remote, grant dead")
            << QString::fromStdString(remote("a", "needs_login").dump()) << true << false << false << true;
        Json signingIn = remote("a", "none");
        signingIn["signing_in"] = true;
        QTest::newRow("remote, the daemon is signing in")
            << QString::fromStdString(signingIn.dump()) << false << false << false << true;
        QTest::newRow("local, nothing stored")
            << QString::fromStdString(stdio("a", {}).dump()) << false << false << false << true;
        QTest::newRow("local, secrets stored")
            << QString::fromStdString(stdio("a", {"token"}).dump()) << false << false << true << true;
        // Not an OAuth server: nothing to sign in to; revoke deletes the stored header secret.
        QTest::newRow("remote with a stored header")
            << QString::fromStdString(headerServer("a", true).dump()) << false << false << true << true;
        QTest::newRow("remote with a missing header")
            << QString::fromStdString(headerServer("a", false).dump()) << false << false << false << true;
    }

    void availabilityFollowsTheServerState()
    {
        QFETCH(QString, json);
        QFETCH(bool, signIn);
        QFETCH(bool, signOut);
        QFETCH(bool, revoke);
        QFETCH(bool, remove);
        FakeDaemon fake;
        QVERIFY(fake.listen());
        DaemonConnection connection(fake.socketPath());
        QVERIFY(latchkey::test::connectNow(connection));
        ServerActions actions(&connection);
        const ServerInfo info = server(Json::parse(json.toStdString()));
        QCOMPARE(actions.isAvailable(Action::SignIn, &info), signIn);
        QCOMPARE(actions.isAvailable(Action::SignOut, &info), signOut);
        QCOMPARE(actions.isAvailable(Action::Revoke, &info), revoke);
        QCOMPARE(actions.isAvailable(Action::Remove, &info), remove);
        // Nothing selected: nothing to do to it.
        for (Action action : {Action::SignIn, Action::SignOut, Action::Revoke, Action::Remove}) {
            QVERIFY(!actions.isAvailable(action, nullptr));
        }
        QVERIFY(actions.isAvailable(Action::EnterpriseSignIn, nullptr));
    }

    void nothingIsAvailableWithoutTheDaemon()
    {
        QTemporaryDir dir;
        DaemonConnection connection(dir.filePath(QStringLiteral("nobody.sock")));
        connection.start();
        QTRY_COMPARE_WITH_TIMEOUT(connection.state(), DaemonConnection::State::Disconnected, kGuiTimeout);
        ServerActions actions(&connection);
        const ServerInfo info = server(remote("a", "active"));
        for (Action action :
             {Action::SignIn, Action::SignOut, Action::Revoke, Action::Remove, Action::EnterpriseSignIn}) {
            QVERIFY(!actions.isAvailable(action, &info));
        }
        // A call anyway: refused without a daemon, reported, not lost.
        QSignalSpy finished(&actions, &ServerActions::finished);
        actions.signOut(QStringLiteral("a"));
        QVERIFY(finished.wait(kGuiTimeout));
        QCOMPARE(finishedAt(finished, 0).ok, false);
        QVERIFY(!finishedAt(finished, 0).message.isEmpty());
    }

    void eachActionSendsItsMethod()
    {
        FakeDaemon fake;
        QVERIFY(fake.listen());
        fake.answer("server.logout", {{"revocation", "revoked at the authorization server"}});
        fake.answer("server.remove", Json::object());
        fake.answer("secret.remove", Json::object());
        DaemonConnection connection(fake.socketPath());
        QVERIFY(latchkey::test::connectNow(connection));
        ServerActions actions(&connection);
        QSignalSpy finished(&actions, &ServerActions::finished);

        actions.signOut(QStringLiteral("notes"));
        QVERIFY(finished.wait(kGuiTimeout));
        QCOMPARE(fake.requests("server.logout").size(), 1);
        QCOMPARE(paramOf(fake.requests("server.logout").at(0), "name"), QStringLiteral("notes"));
        Finished done = finishedAt(finished, 0);
        QCOMPARE(done.action, Action::SignOut);
        QCOMPARE(done.server, QStringLiteral("notes"));
        QVERIFY(done.ok);
        QCOMPARE(done.message, QStringLiteral("revoked at the authorization server"));

        // Revoking an OAuth server is a sign-out (its grant goes), reported as a revoke.
        actions.revoke(server(remote("drive", "active")));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, kGuiTimeout);
        QCOMPARE(fake.requests("server.logout").size(), 2);
        QCOMPARE(paramOf(fake.requests("server.logout").at(1), "name"), QStringLiteral("drive"));
        QCOMPARE(finishedAt(finished, 1).action, Action::Revoke);
        QVERIFY(fake.requests("secret.remove").isEmpty());

        // Revoking a local server deletes each stored secret, and signs nothing out.
        actions.revoke(server(stdio("gh", {"token", "org"})));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 3, kGuiTimeout);
        const QList<latchkey::ipc::Request> removed = fake.requests("secret.remove");
        QCOMPARE(removed.size(), 2);
        QCOMPARE(paramOf(removed.at(0), "server"), QStringLiteral("gh"));
        QCOMPARE(paramOf(removed.at(0), "key"), QStringLiteral("token"));
        QCOMPARE(paramOf(removed.at(1), "key"), QStringLiteral("org"));
        done = finishedAt(finished, 2);
        QCOMPARE(done.action, Action::Revoke);
        QVERIFY(done.ok);
        QCOMPARE(done.message, QStringLiteral("2 secret(s) deleted from the keychain"));
        QCOMPARE(fake.requests("server.logout").size(), 2);

        // A remote server whose credential is a header secret: the secret goes (there is no grant).
        actions.revoke(server(headerServer("search", true)));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 4, kGuiTimeout);
        QCOMPARE(fake.requests("secret.remove").size(), 3);
        QCOMPARE(paramOf(fake.requests("secret.remove").at(2), "server"), QStringLiteral("search"));
        QCOMPARE(paramOf(fake.requests("secret.remove").at(2), "key"), QStringLiteral("api-key"));
        QCOMPARE(fake.requests("server.logout").size(), 2);

        actions.remove(QStringLiteral("gh"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 5, kGuiTimeout);
        QCOMPARE(fake.requests("server.remove").size(), 1);
        QCOMPARE(paramOf(fake.requests("server.remove").at(0), "name"), QStringLiteral("gh"));
        QCOMPARE(finishedAt(finished, 4).action, Action::Remove);
        QVERIFY(finishedAt(finished, 4).ok);

        // Nothing stored: nothing is sent, and it says so.
        fake.clearRequests();
        actions.revoke(server(stdio("bare", {})));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 6, kGuiTimeout);
        QVERIFY(finishedAt(finished, 5).ok);
        QCOMPARE(finishedAt(finished, 5).message, QStringLiteral("bare has no stored secrets"));
        QVERIFY(fake.requests("secret.remove").isEmpty());
    }

    void aFailedCallReportsTheDaemonsMessage()
    {
        FakeDaemon fake;
        QVERIFY(fake.listen());
        fake.fail("secret.remove", latchkey::ipc::error::KeychainUnavailable, "the keychain is locked");
        fake.fail("server.remove", latchkey::ipc::error::NotFound, "no server named \"gone\"");
        DaemonConnection connection(fake.socketPath());
        QVERIFY(latchkey::test::connectNow(connection));
        ServerActions actions(&connection);
        QSignalSpy finished(&actions, &ServerActions::finished);

        // Every key is tried; one finished() for all, with the first failure.
        actions.revoke(server(stdio("gh", {"token", "org"})));
        QVERIFY(finished.wait(kGuiTimeout));
        QCOMPARE(fake.requests("secret.remove").size(), 2);
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finishedAt(finished, 0).ok, false);
        QCOMPARE(finishedAt(finished, 0).message, QStringLiteral("the keychain is locked"));

        actions.remove(QStringLiteral("gone"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, kGuiTimeout);
        QCOMPARE(finishedAt(finished, 1).ok, false);
        QCOMPARE(finishedAt(finished, 1).message, QStringLiteral("no server named \"gone\""));
    }

    void oneSignInAtATimePerServer()
    {
        FakeDaemon fake;
        QVERIFY(fake.listen());
        fake.hold("server.login");
        fake.answer("server.login.cancel", Json::object());
        DaemonConnection connection(fake.socketPath());
        QVERIFY(latchkey::test::connectNow(connection));
        ServerActions actions(&connection);
        QSignalSpy finished(&actions, &ServerActions::finished);
        QSignalSpy progress(&actions, &ServerActions::progress);
        const ServerInfo notes = server(remote("notes", "none"));

        actions.signIn(QStringLiteral("notes"));
        QTRY_COMPARE_WITH_TIMEOUT(fake.held("server.login").size(), 1, kGuiTimeout);
        QVERIFY(actions.isSigningIn(QStringLiteral("notes")));
        QVERIFY(!actions.isAvailable(Action::SignIn, &notes));

        // The daemon reports where the person should continue.
        fake.push({"login.progress",
                   {{"name", "notes"}, {"stage", "browser"}, {"url", "https://login.example.com/authorize?x=1"}}});
        QVERIFY(progress.wait(kGuiTimeout));
        QCOMPARE(progress.at(0).at(0).toString(), QStringLiteral("notes"));
        QCOMPARE(progress.at(0).at(1).toString(), QStringLiteral("browser"));
        QCOMPARE(progress.at(0).at(2).toUrl(), QUrl(QStringLiteral("https://login.example.com/authorize?x=1")));

        // A second one is refused here, without asking the daemon.
        actions.signIn(QStringLiteral("notes"));
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finishedAt(finished, 0).ok, false);
        QVERIFY(finishedAt(finished, 0).message.contains(QStringLiteral("already under way")));
        QCOMPARE(fake.requests("server.login").size(), 1);

        actions.cancelSignIn(QStringLiteral("notes"));
        QTRY_COMPARE_WITH_TIMEOUT(fake.requests("server.login.cancel").size(), 1, kGuiTimeout);
        QCOMPARE(paramOf(fake.requests("server.login.cancel").at(0), "name"), QStringLiteral("notes"));

        fake.answerHeld("server.login", 0,
                        latchkey::ipc::Response::failure(std::nullopt, latchkey::ipc::error::LoginFailed,
                                                         "the sign-in was cancelled"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, kGuiTimeout);
        QCOMPARE(finishedAt(finished, 1).action, Action::SignIn);
        QCOMPARE(finishedAt(finished, 1).ok, false);
        QCOMPARE(finishedAt(finished, 1).message, QStringLiteral("the sign-in was cancelled"));
        QVERIFY(!actions.isSigningIn(QStringLiteral("notes")));
        QVERIFY(actions.isAvailable(Action::SignIn, &notes));

        actions.signIn(QStringLiteral("notes"));
        QTRY_COMPARE_WITH_TIMEOUT(fake.held("server.login").size(), 1, kGuiTimeout);
        fake.answerHeld("server.login", 0, latchkey::ipc::Response::success(std::nullopt, Json::object()));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 3, kGuiTimeout);
        QVERIFY(finishedAt(finished, 2).ok);
        QCOMPARE(finishedAt(finished, 2).message, QStringLiteral("signed in to notes"));
    }

    void enterpriseSignInUnknownToTheDaemonIsUnavailable()
    {
        FakeDaemon fake;
        QVERIFY(fake.listen()); // answers enterprise.login with unknown_method, as an older daemon does
        DaemonConnection connection(fake.socketPath());
        QVERIFY(latchkey::test::connectNow(connection));
        ServerActions actions(&connection);
        QSignalSpy finished(&actions, &ServerActions::finished);
        QSignalSpy availability(&actions, &ServerActions::enterpriseAvailabilityChanged);
        QVERIFY(actions.isAvailable(Action::EnterpriseSignIn, nullptr));

        actions.enterpriseSignIn();
        QVERIFY(finished.wait(kGuiTimeout));
        QCOMPARE(fake.requests("enterprise.login").size(), 1);
        QCOMPARE(finishedAt(finished, 0).ok, false);
        QVERIFY(finishedAt(finished, 0).message.contains(QStringLiteral("not available")));
        QCOMPARE(availability.size(), 1);
        QCOMPARE(availability.at(0).at(0).toBool(), false);
        QVERIFY(!actions.isAvailable(Action::EnterpriseSignIn, nullptr));

        // A daemon that has it after all (a newer one after a restart): available again.
        fake.fail("enterprise.login", latchkey::ipc::error::InvalidParams, "no enterprise policy is deployed");
        actions.enterpriseSignIn();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, kGuiTimeout);
        QCOMPARE(finishedAt(finished, 1).message, QStringLiteral("no enterprise policy is deployed"));
        QCOMPARE(availability.size(), 2);
        QVERIFY(actions.isAvailable(Action::EnterpriseSignIn, nullptr));
    }

    // The window asks before revoke and remove; nothing reaches the daemon until the person agrees.
    void theWindowAsksBeforeRevokeAndRemove()
    {
        FakeDaemon fake;
        QVERIFY(fake.listen());
        fake.answer("server.list", {{"servers", {remote("drive", "active"), stdio("gh", {"token"})}}});
        fake.answer("server.logout", Json::object());
        fake.answer("server.remove", Json::object());
        fake.answer("secret.remove", Json::object());
        latchkey::tray::TrayController controller(
            latchkey::tray::TrayController::Options{fake.socketPath(), /*useSystemTray=*/false, /*showWindow=*/true});
        controller.connection()->setRetryInterval(20ms, 300ms);
        controller.start();
        latchkey::tray::MainWindow *window = controller.window();
        QTRY_VERIFY_WITH_TIMEOUT(window->selectServer(QStringLiteral("drive")), kGuiTimeout);
        auto *revoke = window->findChild<QPushButton *>(QStringLiteral("revokeButton"));
        auto *remove = window->findChild<QPushButton *>(QStringLiteral("removeButton"));
        QVERIFY(revoke->isEnabled());
        QVERIFY(remove->isEnabled());
        QVERIFY(window->findChild<QAction *>(QStringLiteral("signInAction"))->isEnabled());

        const auto askAndAnswer = [](QPushButton *button, bool yes, const QString &mentions) {
            QTest::mouseClick(button, Qt::LeftButton);
            if (!QTest::qWaitFor([] { return confirmation() != nullptr; }, kGuiTimeout)) {
                return QStringLiteral("no confirmation");
            }
            const QString text = confirmation()->text();
            answer(confirmation(), yes);
            if (!QTest::qWaitFor([] { return confirmation() == nullptr; }, kGuiTimeout)) {
                return QStringLiteral("the confirmation stayed");
            }
            return text.contains(mentions) ? QString() : text;
        };
        QSignalSpy finished(controller.actions(), &ServerActions::finished);

        QCOMPARE(askAndAnswer(revoke, false, QStringLiteral("revoked at its authorization server")), QString());
        QCOMPARE(askAndAnswer(remove, false, QStringLiteral("drive is removed")), QString());
        QVERIFY(fake.requests("server.logout").isEmpty());
        QVERIFY(fake.requests("server.remove").isEmpty());

        QCOMPARE(askAndAnswer(revoke, true, QStringLiteral("drive")), QString());
        QVERIFY(finished.wait(kGuiTimeout));
        QCOMPARE(fake.requests("server.logout").size(), 1);
        QCOMPARE(paramOf(fake.requests("server.logout").at(0), "name"), QStringLiteral("drive"));

        // A local server: the question names the secrets that go.
        QVERIFY(window->selectServer(QStringLiteral("gh")));
        QVERIFY(!window->findChild<QAction *>(QStringLiteral("signOutAction"))->isEnabled());
        QCOMPARE(askAndAnswer(revoke, true, QStringLiteral("stored secrets (token)")), QString());
        QTRY_COMPARE_WITH_TIMEOUT(fake.requests("secret.remove").size(), 1, kGuiTimeout);
        QCOMPARE(paramOf(fake.requests("secret.remove").at(0), "key"), QStringLiteral("token"));

        QCOMPARE(askAndAnswer(remove, true, QStringLiteral("gh is removed")), QString());
        QTRY_COMPARE_WITH_TIMEOUT(fake.requests("server.remove").size(), 1, kGuiTimeout);
        QCOMPARE(paramOf(fake.requests("server.remove").at(0), "name"), QStringLiteral("gh"));
        QVERIFY(fake.requests("server.logout").size() == 1);
    }

    // The same calls against a real latchkeyd: what it records afterwards is what the actions meant.
    void theRealDaemonDoesWhatTheActionsAsk()
    {
        DaemonHarness harness;
        const QString drive = DaemonHarness::uniqueName(QStringLiteral("act-drive"));
        const QString notes = DaemonHarness::uniqueName(QStringLiteral("act-notes"));
        const QString local = DaemonHarness::uniqueName(QStringLiteral("act-local"));
        QVERIFY(latchkey::test::writeServers(harness, {latchkey::test::remoteRecord(drive, "active"),
                                                       latchkey::test::remoteRecord(notes, "active"),
                                                       latchkey::test::stdioRecord(local)}));
        QVERIFY(harness.start());
        DaemonConnection connection(harness.socketPath());
        QVERIFY(latchkey::test::connectNow(connection));
        ServerActions actions(&connection);
        QSignalSpy finished(&actions, &ServerActions::finished);

        actions.signOut(drive);
        QVERIFY(finished.wait(kGuiTimeout));
        QVERIFY2(finishedAt(finished, 0).ok, qPrintable(finishedAt(finished, 0).message));
        QVERIFY(latchkey::test::daemonRecord(harness, drive)["grant"]["state"] == "none");

        QTRY_VERIFY_WITH_TIMEOUT(connection.servers().size() == 3, kGuiTimeout);
        actions.revoke(server(latchkey::test::daemonRecord(harness, notes)));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, kGuiTimeout);
        QVERIFY2(finishedAt(finished, 1).ok, qPrintable(finishedAt(finished, 1).message));
        QVERIFY(latchkey::test::daemonRecord(harness, notes)["grant"]["state"] == "none");

        actions.remove(local);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 3, kGuiTimeout);
        QVERIFY2(finishedAt(finished, 2).ok, qPrintable(finishedAt(finished, 2).message));
        QVERIFY(latchkey::test::daemonRecord(harness, local).is_null());

        // A server that is not there: the daemon's refusal, word for word.
        actions.remove(local);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 4, kGuiTimeout);
        QCOMPARE(finishedAt(finished, 3).ok, false);
        QVERIFY2(finishedAt(finished, 3).message.contains(local), qPrintable(finishedAt(finished, 3).message));

        const auto audit = harness.cli({QStringLiteral("audit"), QStringLiteral("--json")});
        QVERIFY2(audit.out.contains("server.removed") && audit.out.contains(local.toUtf8()), audit.out.constData());
    }

    void revokeDeletesARemoteServersHeaderSecret()
    {
        DaemonHarness harness;
        const QString name = DaemonHarness::uniqueName(QStringLiteral("act-header"));
        nlohmann::json record = latchkey::test::remoteRecord(name, "none");
        record.erase("authorization_server");
        record.erase("client_id");
        record.erase("registration");
        record["auth_required"] = false;
        record["scopes"] = nlohmann::json::array();
        record["headers"] = {{{"header", "X-API-Key"}, {"key", "api-key"}}};
        QVERIFY(latchkey::test::writeServers(harness, {record}));
        QVERIFY(harness.start());
        if (!latchkey::test::keychainAvailable(harness)) {
            QVERIFY2(!qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN"), "the keychain is required here");
            QSKIP("needs the Secret Service; run through scripts/test.sh");
        }
        const auto set = harness.cli({QStringLiteral("secret"), QStringLiteral("set"), name, QStringLiteral("api-key")},
                                     "header-secret-value");
        QVERIFY2(set.exitCode == 0, set.err.constData());
        QCOMPARE(latchkey::test::keychainLookup(name, QStringLiteral("api-key")),
                 QStringLiteral("header-secret-value"));

        DaemonConnection connection(harness.socketPath());
        QVERIFY(latchkey::test::connectNow(connection));
        ServerActions actions(&connection);
        QTRY_VERIFY_WITH_TIMEOUT(!connection.servers().isEmpty() && !connection.servers().first().secrets.isEmpty(),
                                 kGuiTimeout);
        const ServerInfo info = connection.servers().first();
        QVERIFY(!info.usesOAuth());
        QVERIFY(!actions.isAvailable(Action::SignIn, &info));
        QVERIFY(actions.isAvailable(Action::Revoke, &info));

        QSignalSpy finished(&actions, &ServerActions::finished);
        actions.revoke(info);
        QVERIFY(finished.wait(kGuiTimeout));
        QVERIFY2(finishedAt(finished, 0).ok, qPrintable(finishedAt(finished, 0).message));
        QCOMPARE(latchkey::test::keychainLookup(name, QStringLiteral("api-key")), QString());
        QVERIFY(latchkey::test::daemonRecord(harness, name)["secrets"].empty());
        // The record stays: revoke takes the credential, not the server.
        QVERIFY(!latchkey::test::daemonRecord(harness, name).is_null());
    }
};

QTEST_MAIN(TestServerActions)
#include "TestServerActions.moc"
