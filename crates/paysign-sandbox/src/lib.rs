//! paysign-sandbox (being built).
