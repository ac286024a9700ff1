#include "EnterpriseHandler.h"

#include "AuditLog.h"
#include "EnterpriseSession.h"
#include "Protocol.h"

#include <memory>

namespace latchkey {

using ipc::Json;
using ipc::Request;
using ipc::Response;
namespace error = ipc::error;

namespace {

constexpr size_t kMaxIdToken = 64 * 1024;

} // namespace

EnterpriseHandler::EnterpriseHandler(EnterpriseSession &session, AuditLog &audit, QObject *parent)
    : QObject(parent), m_session(session), m_audit(audit)
{}

Json EnterpriseHandler::summary() const
{
    return m_session.summary();
}

bool EnterpriseHandler::handle(const Request &request, const ipc::PeerCredentials &peer, const Dispatcher::Reply &reply,
                               const Dispatcher::Notify &notify)
{
    const std::string &m = request.method;
    if (m == "enterprise.status") {
        reply(Response::success(request.id, m_session.status()));
    } else if (m == "enterprise.login") {
        login(request, peer, reply, notify);
    } else if (m == "enterprise.logout") {
        m_audit.record("enterprise.logout_requested", {{"pid", peer.pid}, {"exe", peer.executable.toStdString()}});
        // Local state is cleared whatever the IdP says; the answer tells how its revocation went.
        m_session.signOut([this, id = request.id, reply](const EnterpriseSession::IdpRevocation &revocation) {
            Json result = m_session.status();
            result["idpRevocation"] = {{"result", revocation.result.toStdString()},
                                       {"detail", revocation.detail.toStdString()}};
            reply(Response::success(id, result));
        });
    } else {
        return false;
    }
    return true;
}

void EnterpriseHandler::login(const Request &request, const ipc::PeerCredentials &peer, const Dispatcher::Reply &reply,
                              const Dispatcher::Notify &notify)
{
    if (!m_session.policy().policy) {
        const QString why = m_session.policy().error.isEmpty()
                                ? QStringLiteral("no enterprise policy is configured (see docs/enterprise.md)")
                                : m_session.policy().error;
        reply(Response::failure(request.id, error::ConfigInvalid, why.toStdString()));
        return;
    }
    // An ID token handed over (SSO broker, headless): a same-uid peer only, in the request body, never argv.
    QByteArray idToken;
    if (const auto it = request.params.find("id_token"); it != request.params.end()) {
        if (!it->is_string() || it->get_ref<const std::string &>().empty() ||
            it->get_ref<const std::string &>().size() > kMaxIdToken) {
            reply(Response::failure(request.id, error::InvalidParams, "\"id_token\" must be a non-empty string"));
            return;
        }
        idToken = QByteArray::fromStdString(it->get<std::string>());
    }
    // The explicit opt-in to accept a handed-in ID token unverified when the IdP's keys cannot be had.
    bool allowUnverified = false;
    if (const auto it = request.params.find("allow_unverified_id_token"); it != request.params.end()) {
        if (!it->is_boolean()) {
            reply(
                Response::failure(request.id, error::InvalidParams, "\"allow_unverified_id_token\" must be a boolean"));
            return;
        }
        allowUnverified = it->get<bool>();
        if (allowUnverified && idToken.isEmpty()) {
            reply(Response::failure(request.id, error::InvalidParams,
                                    "\"allow_unverified_id_token\" applies only with \"id_token\""));
            return;
        }
    }
    m_audit.record("enterprise.login_requested", {{"pid", peer.pid},
                                                  {"exe", peer.executable.toStdString()},
                                                  {"with_id_token", !idToken.isEmpty()},
                                                  {"allow_unverified_id_token", allowUnverified}});
    // The sign-in URL (it carries state and nonce) goes only to the one who asked.
    auto link = std::make_shared<QMetaObject::Connection>();
    if (notify) {
        *link =
            connect(&m_session, &EnterpriseSession::progress, this, [notify](const QString &stage, const QUrl &url) {
                Json data = {{"name", "enterprise"}, {"stage", stage.toStdString()}};
                if (!url.isEmpty()) {
                    data["url"] = url.toString(QUrl::FullyEncoded).toStdString();
                }
                notify({"login.progress", data});
            });
    }
    const auto signedIn = [this, id = request.id, reply, link](const QString &code, const QString &message) {
        QObject::disconnect(*link);
        if (!code.isEmpty()) {
            reply(Response::failure(id, code.toStdString(), message.toStdString()));
            return;
        }
        m_session.connectAll([this, id, reply] { reply(Response::success(id, m_session.status())); });
    };
    if (!idToken.isEmpty()) {
        m_session.signInWithIdToken(idToken, allowUnverified, signedIn);
    } else {
        m_session.signIn(signedIn);
    }
}

} // namespace latchkey
