#pragma once

#include "DaemonHarness.h"
#include "E2eSupport.h"
#include "NodeServer.h"

#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace latchkey::test {

// What TestSingleFlight and TestRefreshCrashSafety share: the test AS (as.mjs) with a given
// access-token lifetime, an MCP server of it, a latchkeyd with the browser program, and one remote
// server signed in through chromium. Every wait has a deadline; failures come back as text for
// QVERIFY2.
class SignedInServer
{
public:
    explicit SignedInServer(int accessTtlSeconds);
    ~SignedInServer();

    // Why these tests cannot run here (no session bus, no Node servers, no chromium); empty when they can.
    static QString unavailableReason();

    // Starts the AS, the MCP server and the daemon, and adds the server (discovery and registration).
    QString start();
    // server.login, answered by chromium through the AS's login and consent pages.
    QString signIn(int timeoutMs = 90000);

    DaemonHarness &daemon() { return *m_daemon; }
    const BrowserProgram &browser() const { return *m_browser; }
    QString name() const { return m_name; }
    QString url() const { return m_url; }
    QString issuer() const { return m_issuer; }
    NodeServer &authorizationServer() { return *m_as; }

    // One call on a fresh connection to the current daemon.
    ipc::Response call(const std::string &method, ipc::Json params = ipc::Json::object(), int timeoutMs = 30000);
    // token.get by name: the response as it came.
    ipc::Response tokenGet(int timeoutMs = 30000)
    {
        return call("token.get", {{"name", m_name.toStdString()}}, timeoutMs);
    }

    // The AS's /__test/stats, and its /__test/token-endpoint knobs (negative: leave as it is).
    QJsonObject asStats();
    QString setTokenEndpoint(int holdMs, int graceSeconds);

    // RFC 7662 introspection at the AS (its test client may introspect any token): is it live there?
    bool isActiveAtAs(const QString &token);
    // The token set in the Secret Service, as secret-tool reads it (empty object when none).
    QJsonObject keychainTokenSet();
    // tools/call test-tool at the MCP server with this bearer token.
    HttpResult callTool(const QString &token);

private:
    int m_accessTtl;
    QTemporaryDir m_scratch;
    std::unique_ptr<NodeServer> m_as;
    std::unique_ptr<NodeServer> m_mcp;
    std::unique_ptr<DaemonHarness> m_daemon;
    std::unique_ptr<BrowserProgram> m_browser;
    QNetworkAccessManager m_network;
    QString m_issuer;
    QString m_url;
    QString m_name;
};

QString describe(const ipc::Response &response);

} // namespace latchkey::test
