#pragma once

#include <cstdint>

// Protocol constants shared by the daemon and every client. See ipc/README.md.
namespace latchkey::ipc {

inline constexpr int kProtocolVersion = 1;
// A frame's payload may not exceed this; the length is checked before anything is allocated.
inline constexpr std::uint32_t kMaxFrameSize = 1024 * 1024;
// Nesting deeper than this is refused while parsing, so hostile input cannot exhaust the stack.
inline constexpr int kMaxJsonDepth = 32;

// Stable error codes. Clients branch on these; never rename one.
namespace error {
inline constexpr const char *BadFrame = "bad_frame";
inline constexpr const char *BadRequest = "bad_request";
inline constexpr const char *UnsupportedVersion = "unsupported_version";
inline constexpr const char *UnknownMethod = "unknown_method";
inline constexpr const char *InvalidParams = "invalid_params";
inline constexpr const char *NotFound = "not_found";
inline constexpr const char *AlreadyExists = "already_exists";
inline constexpr const char *KeychainUnavailable = "keychain_unavailable";
inline constexpr const char *ConfigInvalid = "config_invalid";
inline constexpr const char *ConsentDenied = "consent_denied";
inline constexpr const char *SecretMissing = "secret_missing";
inline constexpr const char *Internal = "internal";
inline constexpr const char *NeedsLogin = "needs_login";                         // the grant is dead: sign in again
inline constexpr const char *TemporarilyUnavailable = "temporarily_unavailable"; // try again later
inline constexpr const char *DiscoveryFailed = "discovery_failed";
inline constexpr const char *LoginFailed = "login_failed";
inline constexpr const char *Busy = "busy";
// Client-side only: the daemon never sends these.
inline constexpr const char *DaemonUnreachable = "daemon_unreachable";
inline constexpr const char *ConnectionClosed = "connection_closed";
inline constexpr const char *Timeout = "timeout";
} // namespace error

} // namespace latchkey::ipc
