//! paysign-crypto (being built).
