#pragma once

#include "Health.h"

#include <QIcon>

namespace latchkey::tray {

// The tray's icons, drawn from the SVGs compiled into the binary (resources/icons/) at the sizes
// panels and windows ask for, so they stay sharp on any scale without an icon-engine plugin.
class Icons
{
public:
    static QIcon application();
    static QIcon forHealth(Health health);
    // A small warning mark for table cells.
    static QIcon attentionMark();
    // The resource path of the SVG behind forHealth(health).
    static QString resourcePath(Health health);
};

} // namespace latchkey::tray
