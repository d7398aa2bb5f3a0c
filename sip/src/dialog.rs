//! RFC 3261 §12 dialogs (to be written).
