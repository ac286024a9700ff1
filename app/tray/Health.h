#pragma once

namespace latchkey::tray {

// The one-glance state the tray icon shows.
enum class Health
{
    Unknown,   // still connecting: the plain Latchkey icon
    Good,      // daemon up, keychain available, config readable, every secret stored
    Attention, // works, but something needs the person (a server lacks a secret)
    Error,     // daemon not running, keychain unavailable, or config unusable
};

} // namespace latchkey::tray
