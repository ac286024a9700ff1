#pragma once

// Shared by the GUI tests: the tray app built as latchkey-tray builds it, against one harness daemon,
// and servers.json records a test can seed before the daemon starts (remote servers in any grant
// state without an authorization server to sign in at).
#include "DaemonConnection.h"
#include "DaemonHarness.h"
#include "MainWindow.h"
#include "TrayController.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QTest>

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace latchkey::test {

constexpr int kGuiTimeout = 20000;

struct TrayApp
{
    explicit TrayApp(const DaemonHarness &harness)
        : controller(tray::TrayController::Options{harness.socketPath(), /*useSystemTray=*/false,
                                                   /*showWindow=*/true})
    {
        using namespace std::chrono_literals;
        controller.connection()->setRetryInterval(20ms, 300ms);
        controller.start();
    }

    tray::MainWindow *window() const { return controller.window(); }
    template <typename T> T *find(const char *objectName) const
    {
        return window()->findChild<T *>(QString::fromLatin1(objectName));
    }
    QString text(const char *objectName) const
    {
        auto *label = find<QLabel>(objectName);
        return label ? label->text() : QStringLiteral("<no label %1>").arg(QString::fromLatin1(objectName));
    }
    bool connected() const
    {
        return controller.connection()->state() == tray::DaemonConnection::State::Connected &&
               controller.connection()->hasStatus();
    }

    tray::TrayController controller;
};

// Starts a connection with a short backoff and waits (with a deadline) until it is connected.
inline bool connectNow(tray::DaemonConnection &connection)
{
    using namespace std::chrono_literals;
    connection.setRetryInterval(20ms, 200ms);
    connection.start();
    return QTest::qWaitFor([&connection] { return connection.state() == tray::DaemonConnection::State::Connected; },
                           kGuiTimeout);
}

// Waits until the daemon answered every call made so far on this connection: one made now is answered
// after them, in order (any method will do; an unknown one is answered too).
inline bool answeredSoFar(tray::DaemonConnection &connection)
{
    auto answered = std::make_shared<bool>(false);
    connection.call("test.marker", nlohmann::json::object(), [answered](const ipc::Response &) { *answered = true; });
    return QTest::qWaitFor([answered] { return *answered; }, kGuiTimeout);
}

// The confirmation box the window opened (non-modal: MainWindow::confirm), once it is there.
inline QMessageBox *confirmation()
{
    for (QWidget *widget : QApplication::topLevelWidgets()) {
        if (widget->objectName() == QStringLiteral("confirmDialog") && widget->isVisible()) {
            return qobject_cast<QMessageBox *>(widget);
        }
    }
    return nullptr;
}

// Clicks the box's destructive button (yes) or Cancel.
inline void answer(QMessageBox *box, bool yes)
{
    QAbstractButton *button =
        yes ? static_cast<QAbstractButton *>(box->findChild<QPushButton *>(QStringLiteral("confirmButton")))
            : box->button(QMessageBox::Cancel);
    QTest::mouseClick(button, Qt::LeftButton);
}

// A remote server record as servers.json keeps it. grant: "none", "active" or "needs_login".
inline nlohmann::json remoteRecord(const QString &name, const std::string &grant, const std::string &reason = {},
                                   const std::string &url = {})
{
    const std::string where = url.empty() ? "https://" + name.toStdString() + ".example.com/mcp" : url;
    return {{"name", name.toStdString()},
            {"kind", "remote"},
            {"url", where},
            {"resource", where},
            {"auth_required", true},
            {"scopes", {"files:read", "files:write"}},
            {"client_id", "client-" + name.toStdString()},
            {"registration", "dcr"},
            {"grant", {{"state", grant}, {"reason", reason}}},
            {"authorization_server",
             {{"issuer", "https://login.example.com"},
              {"authorization_endpoint", "https://login.example.com/authorize"},
              {"token_endpoint", "https://login.example.com/token"}}}};
}

inline nlohmann::json stdioRecord(const QString &name, const std::string &variable = {}, const std::string &key = {})
{
    nlohmann::json env = nlohmann::json::array();
    if (!variable.empty()) {
        env.push_back({{"var", variable}, {"source", "secret"}, {"key", key}});
    }
    return {{"name", name.toStdString()}, {"kind", "stdio"}, {"command", {"/bin/true", "--stdio"}}, {"env", env}};
}

// Writes servers.json (before the daemon starts, or while it is stopped).
// (A vector: a one-element braced list would make a json of the element itself, not an array.)
inline bool writeServers(const DaemonHarness &harness, const std::vector<nlohmann::json> &records)
{
    QDir().mkpath(QFileInfo(harness.configPath()).absolutePath());
    QFile file(harness.configPath());
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return false;
    }
    nlohmann::json doc = {{"schema", 1}, {"servers", nlohmann::json::array()}};
    for (const nlohmann::json &record : records) {
        doc["servers"].push_back(record);
    }
    const std::string text = doc.dump();
    return file.write(text.data(), static_cast<qint64>(text.size())) == static_cast<qint64>(text.size());
}

// What the daemon says about one server right now (latchkey servers --json), or null.
inline nlohmann::json daemonRecord(const DaemonHarness &harness, const QString &name)
{
    const auto listed = harness.cli({QStringLiteral("servers"), QStringLiteral("--json")});
    const auto json = nlohmann::json::parse(listed.out.toStdString(), nullptr, false);
    const auto &servers = json.is_object() && json.contains("servers") ? json["servers"] : json;
    if (servers.is_array()) {
        for (const auto &server : servers) {
            if (server.value("name", std::string()) == name.toStdString()) {
                return server;
            }
        }
    }
    return nullptr;
}

// The secret as the Secret Service holds it (what qtkeychain wrote), or empty.
inline QString keychainLookup(const QString &server, const QString &key)
{
    QProcess tool;
    tool.start(QStringLiteral("secret-tool"),
               {QStringLiteral("lookup"), QStringLiteral("server"), QStringLiteral("latchkey"), QStringLiteral("user"),
                QStringLiteral("latchkey/secret/%1/%2").arg(server, key)});
    if (!tool.waitForFinished(10000) || tool.exitCode() != 0) {
        return {};
    }
    return QString::fromUtf8(tool.readAllStandardOutput());
}

// Whether the daemon can reach a keychain (the Secret Service of the test run).
inline bool keychainAvailable(const DaemonHarness &harness)
{
    const auto status = harness.cli({QStringLiteral("status"), QStringLiteral("--json")});
    const auto json = nlohmann::json::parse(status.out.toStdString(), nullptr, false);
    return json.is_object() && json.contains("keychain") && json["keychain"].value("available", false);
}

} // namespace latchkey::test
