//! paysign-core (being built).
