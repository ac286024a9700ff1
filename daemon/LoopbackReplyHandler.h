#pragma once

#include <QOAuthOobReplyHandler>

#include <functional>

class QOAuthHttpServerReplyHandler;

namespace latchkey {

// The reply handler QOAuth2AuthorizationCodeFlow talks to. It owns a QOAuthHttpServerReplyHandler
// listening on 127.0.0.1 only (ephemeral port, /callback) and stands between it and the flow:
// - a callback is passed on only when `gate` accepts it (state, RFC 9207 iss); a callback with a
//   wrong state is dropped without ending the flow, so a forged request cannot derail a real sign-in;
// - the token endpoint's reply is read here, capped, and reported whole (success or OAuth error),
//   because Qt 6.4 drops error replies silently;
// - the page the browser gets says what became of its request (taken, refused, not ours), and it
//   reaches the browser even when the refusal ends the flow at once: the listener outlives this
//   object for a moment, not listening, so its last answer is not cut off.
class LoopbackReplyHandler : public QOAuthOobReplyHandler
{
    Q_OBJECT

public:
    enum class Verdict
    {
        Pass,   // hand the code to the flow
        Ignore, // not ours (forged or stale): drop it, keep waiting
        Fail,   // ours, and it ends the flow (error response, iss mismatch)
    };
    using Gate = std::function<Verdict(const QVariantMap &values, QString *failure)>;

    explicit LoopbackReplyHandler(Gate gate, QObject *parent = nullptr);
    ~LoopbackReplyHandler() override;

    bool isListening() const;
    QString callback() const override;

Q_SIGNALS:
    void callbackRefused(const QString &reason);
    void tokenReplyReceived(int httpStatus, const QByteArray &body, const QString &transportError);

protected:
    void networkReplyFinished(QNetworkReply *reply) override;

private:
    QOAuthHttpServerReplyHandler *m_server;
    Gate m_gate;
};

} // namespace latchkey
