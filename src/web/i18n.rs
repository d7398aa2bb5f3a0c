//! The portal's words in French and English.
