#pragma once

#include "FrameCodec.h"
#include "Message.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>
#include <QTemporaryDir>

#include <map>
#include <string>

class QLocalServer;
class QLocalSocket;

namespace latchkey::test {

// A stand-in for latchkeyd in the tray's unit tests, beside the tests against the real daemon: it
// speaks the real framing on a socket of its own, records every request, answers each method as the
// test scripted it (or as the daemon answers a method it does not know), can hold answers back, and
// pushes events. Nothing here decides anything the real daemon decides.
class FakeDaemon : public QObject
{
    Q_OBJECT

public:
    struct Held
    {
        QLocalSocket *socket = nullptr;
        ipc::Request request;
    };

    explicit FakeDaemon(QObject *parent = nullptr);
    ~FakeDaemon() override;

    bool listen();
    QString socketPath() const;

    // From now on `method` succeeds with `result`, or fails with code and message.
    void answer(const std::string &method, ipc::Json result);
    void fail(const std::string &method, const std::string &code, const std::string &message);
    // Requests for `method` wait for answerHeld() instead of being answered.
    void hold(const std::string &method);
    QList<Held> held(const std::string &method) const;
    // Answers the index-th request held for `method` (in arrival order) and forgets it.
    void answerHeld(const std::string &method, int index, const ipc::Response &response);

    // Sends an event to every connection that subscribed.
    void push(const ipc::Event &event);

    // Requests received so far for `method`, oldest first; and all of them by method name.
    QList<ipc::Request> requests(const std::string &method) const;
    QStringList methods() const;
    void clearRequests();

Q_SIGNALS:
    void requestReceived(const QString &method);

private:
    void onConnection();
    void onReadyRead(QLocalSocket *socket);
    void handle(QLocalSocket *socket, const ipc::Request &request);
    static void send(QLocalSocket *socket, const QByteArray &payload);

    QTemporaryDir m_dir;
    QLocalServer *m_server;
    QHash<QLocalSocket *, ipc::FrameCodec> m_codecs;
    QSet<QLocalSocket *> m_subscribers;
    std::map<std::string, ipc::Response> m_answers;
    std::map<std::string, QList<Held>> m_held;
    QSet<QString> m_holding;
    QList<ipc::Request> m_requests;
};

} // namespace latchkey::test
