//! paysign-pas (being built).
