#include "DaemonConnection.h"
#include "DaemonHarness.h"
#include "GuiTestSupport.h"
#include "ServerDetails.h"
#include "ServerInfo.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QTest>

#include <nlohmann/json.hpp>

using latchkey::ipc::Json;
using latchkey::test::DaemonHarness;
using latchkey::test::kGuiTimeout;
using latchkey::tray::DaemonConnection;
using latchkey::tray::ServerDetails;
using latchkey::tray::ServerInfo;
using namespace std::chrono_literals;

namespace {

constexpr qint64 kNow = 1'800'000'000; // a fixed "now", so relative times are exact

std::optional<ServerInfo> server(const Json &json)
{
    return ServerInfo::fromJson(json);
}

// Everything the pane shows, every label's text, joined.
QString everythingShown(const ServerDetails &details)
{
    QStringList texts;
    for (const QLabel *label : details.findChildren<QLabel *>()) {
        texts.append(label->text());
    }
    return texts.join(QLatin1Char('\n'));
}

const QStringList kFields{
    QStringLiteral("detailRung"),    QStringLiteral("detailTarget"),   QStringLiteral("detailResource"),
    QStringLiteral("detailIssuer"),  QStringLiteral("detailScopes"),   QStringLiteral("detailState"),
    QStringLiteral("detailExpiry"),  QStringLiteral("detailLastUsed"), QStringLiteral("detailEnvironment"),
    QStringLiteral("detailHeaders"), QStringLiteral("detailApps")};

Json signedInRemote()
{
    return {{"name", "notes"},
            {"kind", "remote"},
            {"url", "https://notes.example.com/mcp"},
            {"resource", "https://notes.example.com/mcp"},
            {"issuer", "https://login.example.com"},
            {"scopes", {"notes:read", "notes:write"}},
            {"grant", {{"state", "active"}, {"reason", ""}}},
            {"expires_at", kNow + 2 * 3600 + 30},
            {"last_used_at", kNow - 5 * 60},
            {"apps", {"/usr/share/code/code", "/opt/Claude/claude"}},
            {"secrets", Json::array()}};
}

} // namespace

class TestServerDetails : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void nothingSelectedShowsAHintAndNoRows()
    {
        ServerDetails details;
        details.setServer(server(signedInRemote()), kNow);
        details.setServer(std::nullopt, kNow);
        QCOMPARE(details.value(QStringLiteral("detailTitle")), QStringLiteral("Select a server to see its details."));
        for (const QString &field : kFields) {
            QVERIFY2(details.value(field).isEmpty(), qPrintable(field));
        }
        // The previous server's words are gone from the widget, not just hidden.
        QVERIFY(!everythingShown(details).contains(QStringLiteral("notes")));
    }

    void aSignedInServerShowsExpiryScopesAndApps()
    {
        ServerDetails details;
        details.setServer(server(signedInRemote()), kNow);
        QCOMPARE(details.value(QStringLiteral("detailTitle")), QStringLiteral("notes"));
        QCOMPARE(details.value(QStringLiteral("detailRung")), QStringLiteral("OAuth"));
        QCOMPARE(details.value(QStringLiteral("detailTarget")), QStringLiteral("https://notes.example.com/mcp"));
        QCOMPARE(details.value(QStringLiteral("detailResource")), QStringLiteral("https://notes.example.com/mcp"));
        QCOMPARE(details.value(QStringLiteral("detailIssuer")), QStringLiteral("https://login.example.com"));
        QCOMPARE(details.value(QStringLiteral("detailScopes")), QStringLiteral("notes:read notes:write"));
        QCOMPARE(details.value(QStringLiteral("detailState")), QStringLiteral("signed in"));
        // Relative, then the moment itself in the locale's short form.
        const QString expiry = details.value(QStringLiteral("detailExpiry"));
        QVERIFY2(expiry.startsWith(QStringLiteral("in 2 h (")), qPrintable(expiry));
        QVERIFY2(expiry.contains(
                     QLocale().toString(QDateTime::fromSecsSinceEpoch(kNow + 2 * 3600 + 30), QLocale::ShortFormat)),
                 qPrintable(expiry));
        QVERIFY2(details.value(QStringLiteral("detailLastUsed")).startsWith(QStringLiteral("5 min ago (")),
                 qPrintable(details.value(QStringLiteral("detailLastUsed"))));
        // Apps by their full executable path, one a line: the path is what the grant is for.
        QCOMPARE(details.value(QStringLiteral("detailApps")),
                 QStringLiteral("/usr/share/code/code\n/opt/Claude/claude"));
        QVERIFY(details.value(QStringLiteral("detailEnvironment")).isEmpty());
        QVERIFY(details.value(QStringLiteral("detailHeaders")).isEmpty());
    }

    void anExpiredTokenAndADeadGrantSaySo()
    {
        Json json = signedInRemote();
        json["expires_at"] = kNow - 3 * 86400;
        json["grant"] = {{"state", "needs_login"}, {"reason", "invalid_grant: refresh token expired"}};
        json.erase("last_used_at");
        json["apps"] = Json::array();
        ServerDetails details;
        details.setServer(server(json), kNow);
        QVERIFY2(details.value(QStringLiteral("detailExpiry")).startsWith(QStringLiteral("3 days ago (")),
                 qPrintable(details.value(QStringLiteral("detailExpiry"))));
        QCOMPARE(details.value(QStringLiteral("detailState")),
                 QStringLiteral("sign-in needed (invalid_grant: refresh token expired)"));
        QCOMPARE(details.value(QStringLiteral("detailLastUsed")), QStringLiteral("not since the daemon started"));
        QVERIFY(details.value(QStringLiteral("detailApps")).isEmpty());
    }

    void aLocalServerShowsItsBindingsNotAuthorization()
    {
        ServerDetails details;
        details.setServer(server(signedInRemote()), kNow);
        const Json local = {{"name", "gh"},
                            {"kind", "stdio"},
                            {"command", {"npx", "-y", "server github"}},
                            {"env",
                             {{{"var", "GITHUB_TOKEN"}, {"source", "secret"}, {"key", "token"}, {"present", true}},
                              {{"var", "GITHUB_ORG"}, {"source", "secret"}, {"key", "org"}, {"present", false}}}},
                            {"secrets", {"token"}}};
        details.setServer(server(local), kNow);
        QCOMPARE(details.value(QStringLiteral("detailTitle")), QStringLiteral("gh"));
        QCOMPARE(details.value(QStringLiteral("detailRung")), QStringLiteral("API key"));
        QCOMPARE(details.value(QStringLiteral("detailTarget")), QStringLiteral("npx -y 'server github'"));
        QCOMPARE(details.value(QStringLiteral("detailEnvironment")),
                 QStringLiteral("GITHUB_TOKEN ← token (secret, stored)\nGITHUB_ORG ← org (secret, missing)"));
        QCOMPARE(details.value(QStringLiteral("detailState")), QStringLiteral("missing: org"));
        // What the remote server showed is not left behind.
        for (const char *field : {"detailResource", "detailIssuer", "detailScopes", "detailExpiry", "detailApps"}) {
            QVERIFY2(details.value(QString::fromLatin1(field)).isEmpty(), field);
        }
    }

    void aHeaderCredentialIsAnApiKeyNotASignIn()
    {
        const Json json = {{"name", "search"},
                           {"kind", "remote"},
                           {"url", "https://search.example.com/mcp"},
                           {"auth_required", false},
                           {"grant", {{"state", "none"}}},
                           {"headers", {{{"header", "X-API-Key"}, {"key", "api-key"}, {"present", true}}}},
                           {"secrets", {"api-key"}}};
        ServerDetails details;
        details.setServer(server(json), kNow);
        QCOMPARE(details.value(QStringLiteral("detailRung")), QStringLiteral("API key"));
        QCOMPARE(details.value(QStringLiteral("detailHeaders")),
                 QStringLiteral("X-API-Key ← api-key (secret, stored)"));
        QCOMPARE(details.value(QStringLiteral("detailState")), QStringLiteral("1 stored"));
    }

    void neverShowsASecret()
    {
        // Whatever a daemon (a buggy or hostile one) puts in a record, the pane shows only the fields
        // it knows, none of which carries a secret.
        Json json = signedInRemote();
        json["access_token"] = "at-SECRET-1";
        json["refresh_token"] = "rt-SECRET-2";
        json["token"] = {{"access_token", "at-SECRET-3"}};
        json["client_secret"] = "cs-SECRET-4";
        json["secrets"] = {"token"};
        json["secret_values"] = {{"token", "sv-SECRET-5"}};
        json["env"] = {{{"var", "TOKEN"}, {"source", "secret"}, {"key", "token"}, {"value", "ev-SECRET-6"}}};
        json["headers"] = Json::array();
        ServerDetails details;
        details.setServer(server(json), kNow);
        const QString shown = everythingShown(details);
        QVERIFY(shown.contains(QStringLiteral("notes")));
        QVERIFY2(!shown.contains(QStringLiteral("SECRET")), qPrintable(shown));
    }

    // Against a real latchkeyd: a stored secret shows as "stored", never as its value; the apps
    // allowed by a stored consent decision are listed.
    void showsWhatTheDaemonSaysAndNoSecret()
    {
        DaemonHarness harness;
        const QString local = DaemonHarness::uniqueName(QStringLiteral("details-gh"));
        const QString remote = DaemonHarness::uniqueName(QStringLiteral("details-notes"));
        QVERIFY(latchkey::test::writeServers(harness, {latchkey::test::stdioRecord(local, "GITHUB_TOKEN", "token"),
                                                       latchkey::test::remoteRecord(remote, "active")}));
        QFile grants(QFileInfo(harness.configPath()).dir().filePath(QStringLiteral("grants.json")));
        QVERIFY(grants.open(QIODevice::WriteOnly));
        const nlohmann::json doc = {{"schema", 1},
                                    {"grants",
                                     {{{"app", "/usr/share/code/code"},
                                       {"server", remote.toStdString()},
                                       {"decision", "always"},
                                       {"at", "2026-11-26T10:00:00Z"}},
                                      {{"app", "/opt/evil"},
                                       {"server", remote.toStdString()},
                                       {"decision", "deny"},
                                       {"at", "2026-11-26T10:01:00Z"}}}}};
        grants.write(QByteArray::fromStdString(doc.dump()));
        grants.close();
        harness.setEnv(QStringLiteral("LATCHKEY_CONSENT"), QStringLiteral("ask"));
        QVERIFY(harness.start());
        const bool keychain = latchkey::test::keychainAvailable(harness);
        const QByteArray secret = "details-secret-value-" + QByteArray::number(QDateTime::currentMSecsSinceEpoch());
        if (keychain) {
            const auto set =
                harness.cli({QStringLiteral("secret"), QStringLiteral("set"), local, QStringLiteral("token")}, secret);
            QVERIFY2(set.exitCode == 0, set.err.constData());
        }

        DaemonConnection connection(harness.socketPath());
        QVERIFY(latchkey::test::connectNow(connection));
        const auto find = [&connection](const QString &name) -> std::optional<ServerInfo> {
            for (const ServerInfo &info : connection.servers()) {
                if (info.name == name) {
                    return info;
                }
            }
            return std::nullopt;
        };
        QTRY_VERIFY_WITH_TIMEOUT(find(local) && find(remote), kGuiTimeout);
        if (keychain) {
            QTRY_VERIFY_WITH_TIMEOUT(!find(local)->secrets.isEmpty(), kGuiTimeout);
        }

        ServerDetails details;
        details.setServer(find(remote), QDateTime::currentSecsSinceEpoch());
        QCOMPARE(details.value(QStringLiteral("detailIssuer")), QStringLiteral("https://login.example.com"));
        QCOMPARE(details.value(QStringLiteral("detailScopes")), QStringLiteral("files:read files:write"));
        // Only the "always" decision gives access.
        QCOMPARE(details.value(QStringLiteral("detailApps")), QStringLiteral("/usr/share/code/code"));

        details.setServer(find(local), QDateTime::currentSecsSinceEpoch());
        QCOMPARE(details.value(QStringLiteral("detailEnvironment")),
                 keychain ? QStringLiteral("GITHUB_TOKEN ← token (secret, stored)")
                          : QStringLiteral("GITHUB_TOKEN ← token (secret, missing)"));
        QVERIFY(!everythingShown(details).contains(QString::fromLatin1(secret)));
        if (!keychain) {
            QVERIFY2(!qEnvironmentVariableIsSet("LATCHKEY_REQUIRE_KEYCHAIN"), "the keychain is required here");
            QSKIP("the stored-secret half needs the Secret Service; run through scripts/test.sh");
        }
    }
};

QTEST_MAIN(TestServerDetails)
#include "TestServerDetails.moc"
