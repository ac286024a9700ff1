#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

namespace latchkey::oauth {

// A parsed WWW-Authenticate field value (RFC 9110 §11.6.1, grammar in §11.2 and §5.6):
//
//   WWW-Authenticate = #challenge
//   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//   auth-param       = token BWS "=" BWS ( token / quoted-string )
//   token68          = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//
// Scheme and parameter names are case-insensitive and stored lowercased; quoted-string values are
// stored unescaped. Empty list elements (",,") are accepted as RFC 9110 §5.6.1 requires.
//
// The parser is strict and defensive: the input is bytes from a server we do not trust. It never
// throws, runs in linear time, and refuses input over MaxFieldLength. On the first syntax error it
// stops: the challenges completed before the error are kept, the one being parsed is dropped, and
// isValid() is false. A challenge that repeats a parameter name (RFC 9110: "MUST only occur once";
// RFC 6750 §3) is dropped as a whole, because either value could be the one the server meant.
// Unquoted values must be tokens, so `resource_metadata=https://x/y` (':' and '/' are not token
// characters) is a syntax error; the caller then falls back to well-known discovery, which the MCP
// specification requires anyway when no usable resource_metadata is given.
class WwwAuthenticate
{
public:
    static constexpr qsizetype MaxFieldLength = 16 * 1024;
    static constexpr qsizetype MaxChallenges = 32;
    static constexpr qsizetype MaxParamsPerChallenge = 64;

    struct Param
    {
        QByteArray name;  // lowercased token
        QByteArray value; // token, or the unescaped content of a quoted-string
        friend bool operator==(const Param &, const Param &) = default;
    };

    struct Challenge
    {
        QByteArray scheme;  // lowercased token
        QByteArray token68; // set when the challenge carries a token68 instead of parameters
        QList<Param> params;

        // The value of the parameter with this (case-insensitive) name; a null QByteArray when absent.
        QByteArray param(QByteArrayView name) const;
        bool hasParam(QByteArrayView name) const;
        friend bool operator==(const Challenge &, const Challenge &) = default;
    };

    WwwAuthenticate() = default;

    // Parses one field value.
    static WwwAuthenticate parse(QByteArrayView fieldValue);
    // Parses several WWW-Authenticate field lines of one response, as if joined with ", "
    // (RFC 9110 §5.3). MaxFieldLength applies to the joined value.
    static WwwAuthenticate parse(const QList<QByteArray> &fieldValues);

    // True when the whole input was well-formed.
    bool isValid() const { return m_error.isEmpty(); }
    // What was wrong, with the byte offset; empty when valid.
    QString errorString() const { return m_error; }

    const QList<Challenge> &challenges() const { return m_challenges; }
    // The first challenge with this (case-insensitive) scheme, or nullptr.
    const Challenge *find(QByteArrayView scheme) const;

    // The first Bearer challenge's RFC 6750 / RFC 9728 parameters, decoded as UTF-8 (invalid
    // sequences replaced); empty when there is no Bearer challenge or it lacks the parameter.
    bool hasBearer() const { return find("bearer") != nullptr; }
    QString resourceMetadata() const { return bearerParam("resource_metadata"); }
    QString scope() const { return bearerParam("scope"); }
    QString error() const { return bearerParam("error"); }
    QString errorDescription() const { return bearerParam("error_description"); }

    // A canonical field value for the parsed challenges: lowercase names, every parameter value
    // quoted. Parsing it again yields the same challenges.
    QByteArray toByteArray() const;

private:
    QString bearerParam(QByteArrayView name) const;

    QList<Challenge> m_challenges;
    QString m_error;
};

} // namespace latchkey::oauth
