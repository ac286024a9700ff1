#include "E2eSupport.h"

#include "NodeServer.h"

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QProcess>
#include <QTimer>
#include <QUrlQuery>

namespace latchkey::test {

QJsonObject HttpResult::json() const
{
    return QJsonDocument::fromJson(body).object();
}

QByteArray HttpResult::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0) {
            return value;
        }
    }
    return {};
}

HttpResult httpRequest(QNetworkAccessManager &network, const QByteArray &verb, const QUrl &url, const QByteArray &body,
                       const QList<QPair<QByteArray, QByteArray>> &headers, int timeoutMs)
{
    QNetworkRequest request(url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setTransferTimeout(timeoutMs);
    for (const auto &[key, value] : headers) {
        request.setRawHeader(key, value);
    }
    QNetworkReply *reply = network.sendCustomRequest(request, verb, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    deadline.start(timeoutMs + 1000);
    if (!reply->isFinished()) {
        loop.exec();
    }
    HttpResult result;
    if (!reply->isFinished()) {
        reply->abort();
        result.error =
            QStringLiteral("%1 %2: no answer in %3 ms").arg(QString::fromLatin1(verb), url.toString()).arg(timeoutMs);
    } else {
        result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.body = reply->readAll();
        result.headers = reply->rawHeaderPairs();
        if (result.status == 0) {
            result.error = reply->errorString();
        }
    }
    reply->deleteLater();
    return result;
}

QString e2eUnavailableReason()
{
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS")) {
        return QStringLiteral("no session bus: the Secret Service is needed (run through scripts/test.sh)");
    }
    if (const QString why = NodeServer::unavailableReason(); !why.isEmpty()) {
        return why;
    }
    if (!QFileInfo(QStringLiteral("/usr/bin/chromium")).isExecutable()) {
        return QStringLiteral("no /usr/bin/chromium (apt-get install chromium)");
    }
    return {};
}

QByteArray describeResponse(const ipc::Response &response)
{
    return QByteArray::fromStdString(response.errorCode + ": " + response.errorMessage + " " + response.result.dump());
}

QJsonObject jwtPayload(const QString &token)
{
    const QStringList parts = token.split(QLatin1Char('.'));
    if (parts.size() != 3) {
        return {};
    }
    const QByteArray payload =
        QByteArray::fromBase64(parts.at(1).toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    return QJsonDocument::fromJson(payload).object();
}

QByteArray secretToolLookup(const QString &user)
{
    QProcess tool;
    tool.start(QStringLiteral("secret-tool"), {QStringLiteral("lookup"), QStringLiteral("server"),
                                               QStringLiteral("latchkey"), QStringLiteral("user"), user});
    if (!tool.waitForFinished(10000) || tool.exitCode() != 0) {
        return {};
    }
    return tool.readAllStandardOutput();
}

QStringList keychainUsers()
{
    QProcess tool;
    // secret-tool 0.20 prints label and secret on stdout, but the item path and its attributes on stderr.
    tool.setProcessChannelMode(QProcess::MergedChannels);
    tool.start(QStringLiteral("secret-tool"), {QStringLiteral("search"), QStringLiteral("--all"),
                                               QStringLiteral("server"), QStringLiteral("latchkey")});
    QStringList users;
    if (!tool.waitForFinished(10000)) {
        return users;
    }
    const QList<QByteArray> lines = tool.readAll().split('\n');
    for (const QByteArray &line : lines) {
        static constexpr QByteArrayView kUser = "attribute.user = ";
        if (line.startsWith(kUser)) {
            users << QString::fromUtf8(line.mid(kUser.size()));
        }
    }
    return users;
}

BrowserProgram::BrowserProgram(const QString &dir)
    : m_program(QDir(dir).filePath(QStringLiteral("browser.sh"))),
      m_log(QDir(dir).filePath(QStringLiteral("browser.log")))
{
    // Started detached by the daemon with the URL as its only argument; its own output goes next to the
    // log, never to the daemon's stdio.
    QFile script(m_program);
    if (script.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        script.write(QStringLiteral("#!/bin/sh\n"
                                    "exec '%1' '%2' \"$1\" </dev/null >>'%3.out' 2>&1\n")
                         .arg(NodeServer::nodeBinary(),
                              QDir(NodeServer::serversDir()).filePath(QStringLiteral("browser.mjs")), m_log)
                         .toUtf8());
        script.close();
        script.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    }
}

void BrowserProgram::installInto(DaemonHarness &daemon) const
{
    daemon.setEnv(QStringLiteral("LATCHKEY_BROWSER"), m_program);
    daemon.setEnv(QStringLiteral("LATCHKEY_BROWSER_LOG"), m_log);
}

QList<QJsonObject> BrowserProgram::entries() const
{
    QList<QJsonObject> out;
    QFile log(m_log);
    if (!log.open(QIODevice::ReadOnly)) {
        return out;
    }
    const QList<QByteArray> lines = log.readAll().split('\n');
    for (const QByteArray &line : lines) {
        const QJsonDocument doc = QJsonDocument::fromJson(line);
        if (doc.isObject()) {
            out << doc.object();
        }
    }
    return out;
}

int BrowserProgram::count(const QString &event) const
{
    int n = 0;
    const QList<QJsonObject> all = entries();
    for (const QJsonObject &entry : all) {
        if (entry.value(QStringLiteral("event")).toString() == event) {
            ++n;
        }
    }
    return n;
}

int BrowserProgram::failures() const
{
    int n = 0;
    const QList<QJsonObject> all = entries();
    for (const QJsonObject &entry : all) {
        if (entry.value(QStringLiteral("event")).toString() == QStringLiteral("exit") &&
            entry.value(QStringLiteral("status")).toInt() != 0) {
            ++n;
        }
    }
    return n;
}

QString BrowserProgram::describe() const
{
    QString text;
    for (const QString &path : {m_log, m_log + QStringLiteral(".out")}) {
        QFile file(path);
        if (file.open(QIODevice::ReadOnly)) {
            text += QStringLiteral("--- %1\n%2\n").arg(path, QString::fromUtf8(file.readAll().right(4000)));
        }
    }
    return text;
}

EventClient::EventClient(const QString &socketPath, QObject *parent) : QObject(parent), m_client(socketPath)
{
    connect(&m_client, &ipc::Client::eventReceived, this, [this](const ipc::Event &event) { m_events << event; });
}

bool EventClient::connectAndSubscribe(QString *error)
{
    if (!m_client.connectToDaemon(5000)) {
        *error = m_client.lastError();
        return false;
    }
    const ipc::Response subscribed = m_client.call("events.subscribe");
    if (!subscribed.errorCode.empty()) {
        *error = QString::fromStdString(subscribed.errorMessage);
        return false;
    }
    return true;
}

ipc::Response EventClient::call(const std::string &method, ipc::Json params, int timeoutMs)
{
    return m_client.call(method, std::move(params), timeoutMs, [this](const ipc::Event &event) { m_events << event; });
}

std::shared_ptr<std::optional<ipc::Response>> EventClient::callAsync(const std::string &method, ipc::Json params)
{
    auto slot = std::make_shared<std::optional<ipc::Response>>();
    m_client.callAsync(method, std::move(params), [slot](const ipc::Response &response) { *slot = response; });
    return slot;
}

QUrl EventClient::authorizationUrl(const QString &name) const
{
    for (auto it = m_events.crbegin(); it != m_events.crend(); ++it) {
        if (it->name == "login.progress" && it->data.value("name", std::string()) == name.toStdString() &&
            it->data.value("stage", std::string()) == "browser") {
            return QUrl(QString::fromStdString(it->data.value("url", std::string())), QUrl::StrictMode);
        }
    }
    return {};
}

} // namespace latchkey::test
