//! Page layout and HTML escaping.
