#pragma once

#include "DaemonHarness.h"

#include "Client.h"
#include "JsonFields.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <memory>
#include <optional>

namespace latchkey::test {

// Shared by the e2e tests: HTTP as a test client, the Secret Service as secret-tool sees it, the
// browser program the daemon starts, and a daemon connection that also sees events.

struct HttpResult
{
    int status = 0;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    QString error; // transport error or timeout

    QJsonObject json() const;
    QByteArray header(QByteArrayView name) const;
};

// One request, waited for on the event loop with a deadline.
HttpResult httpRequest(QNetworkAccessManager &network, const QByteArray &verb, const QUrl &url,
                       const QByteArray &body = {}, const QList<QPair<QByteArray, QByteArray>> &headers = {},
                       int timeoutMs = 15000);

// Why the e2e tests cannot run here (no session bus for the Secret Service, no Node test servers, no
// chromium), or empty when they can.
QString e2eUnavailableReason();

// A string member of an IPC answer, or empty; and an answer as one line for failure messages.
using ipc::jsonString;
QByteArray describeResponse(const ipc::Response &response);

// The payload of a JWT, unverified (the test only reads what the daemon handed out).
QJsonObject jwtPayload(const QString &token);

// The Secret Service, through secret-tool (the same items qtkeychain writes: server=latchkey, user=<key>).
QByteArray secretToolLookup(const QString &user);
// Every `user` attribute of the items with server=latchkey.
QStringList keychainUsers();

// The program LATCHKEY_BROWSER names: a shell script in `dir` that runs tests/servers/browser.mjs with
// the URL, detached from the daemon's stdio; browser.mjs appends JSON lines to the log.
class BrowserProgram
{
public:
    explicit BrowserProgram(const QString &dir);

    QString program() const { return m_program; }
    QString logPath() const { return m_log; }
    // Sets LATCHKEY_BROWSER and LATCHKEY_BROWSER_LOG for the daemon.
    void installInto(DaemonHarness &daemon) const;

    QList<QJsonObject> entries() const;
    int count(const QString &event) const;
    int visits() const { return count(QStringLiteral("open")); }
    // Every started browser has logged its exit.
    bool allExited() const { return count(QStringLiteral("exit")) == visits(); }
    int failures() const;
    QString describe() const; // the log and browser.mjs's own output, for failure messages

private:
    QString m_program;
    QString m_log;
};

// A daemon connection subscribed to events, for long calls (server.login) made without blocking the
// event loop, so the test can act while the daemon waits for the browser.
class EventClient : public QObject
{
    Q_OBJECT

public:
    explicit EventClient(const QString &socketPath, QObject *parent = nullptr);

    bool connectAndSubscribe(QString *error);
    ipc::Response call(const std::string &method, ipc::Json params = ipc::Json::object(), int timeoutMs = 30000);

    // An asynchronous call; its reply lands in the returned slot.
    std::shared_ptr<std::optional<ipc::Response>> callAsync(const std::string &method, ipc::Json params);

    const QList<ipc::Event> &events() const { return m_events; }
    // The authorization URL of the latest login.progress "browser" event for `name`, if any.
    QUrl authorizationUrl(const QString &name) const;

private:
    ipc::Client m_client;
    QList<ipc::Event> m_events;
};

} // namespace latchkey::test
