//! Timer table: an enum of timers mapped to deadlines (to be written).
