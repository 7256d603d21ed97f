-- Orders, contracts, refunds, withholding debits and the callback inbox, in SQL that SQLite and
-- PostgreSQL both accept (one migration for both). Times are milliseconds since the epoch, money
-- is integer fen.

CREATE TABLE orders (
    merc_order_no      TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL,
    idempotency_key    TEXT NOT NULL,
    product_id         TEXT NOT NULL,
    amount_fen         BIGINT NOT NULL,
    currency           TEXT NOT NULL,
    merc_contract_code TEXT NOT NULL UNIQUE,
    order_str          TEXT,
    ticket_ms          BIGINT,
    payment            TEXT NOT NULL,
    sys_trans_order_no TEXT,
    paid_ms            BIGINT,
    finish_time        TEXT,
    refunded_fen       BIGINT NOT NULL DEFAULT 0,
    created_ms         BIGINT NOT NULL,
    updated_ms         BIGINT NOT NULL,
    expire_ms          BIGINT NOT NULL,
    next_check_ms      BIGINT NOT NULL,
    check_attempts     BIGINT NOT NULL DEFAULT 0,
    last_query_ms      BIGINT NOT NULL DEFAULT 0,
    lease_owner        TEXT,
    lease_until        BIGINT NOT NULL DEFAULT 0,
    UNIQUE (user_id, idempotency_key)
);
CREATE INDEX orders_due ON orders (payment, next_check_ms);

CREATE TABLE contracts (
    merc_contract_code TEXT PRIMARY KEY,
    merc_order_no      TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    plan_id            TEXT NOT NULL,
    state              TEXT NOT NULL,
    contract_id        TEXT,
    operate_time       TEXT,
    unsign_requested   BIGINT NOT NULL DEFAULT 0,
    withhold_blocked_until BIGINT NOT NULL DEFAULT 0,
    created_ms         BIGINT NOT NULL,
    updated_ms         BIGINT NOT NULL,
    next_check_ms      BIGINT NOT NULL,
    check_attempts     BIGINT NOT NULL DEFAULT 0,
    lease_owner        TEXT,
    lease_until        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX contracts_due ON contracts (state, next_check_ms);
CREATE INDEX contracts_order ON contracts (merc_order_no);

CREATE TABLE refunds (
    merc_refund_order_no TEXT PRIMARY KEY,
    merc_order_no        TEXT NOT NULL,
    amount_fen           BIGINT NOT NULL,
    reason               TEXT,
    state                TEXT NOT NULL,
    sys_refund_order_no  TEXT,
    failure              TEXT,
    created_ms           BIGINT NOT NULL,
    updated_ms           BIGINT NOT NULL,
    finished_ms          BIGINT,
    next_check_ms        BIGINT NOT NULL,
    check_attempts       BIGINT NOT NULL DEFAULT 0,
    lease_owner          TEXT,
    lease_until          BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX refunds_due ON refunds (state, next_check_ms);
CREATE INDEX refunds_order ON refunds (merc_order_no);

CREATE TABLE debits (
    merc_order_no      TEXT PRIMARY KEY,
    merc_contract_code TEXT NOT NULL,
    contract_id        TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    product_id         TEXT,
    amount_fen         BIGINT NOT NULL,
    currency           TEXT NOT NULL,
    state              TEXT NOT NULL,
    sys_trans_order_no TEXT,
    failure            TEXT,
    paid_ms            BIGINT,
    finish_time        TEXT,
    created_ms         BIGINT NOT NULL,
    updated_ms         BIGINT NOT NULL,
    send_after_ms      BIGINT NOT NULL DEFAULT 0,
    next_check_ms      BIGINT NOT NULL,
    check_attempts     BIGINT NOT NULL DEFAULT 0,
    lease_owner        TEXT,
    lease_until        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX debits_due ON debits (state, next_check_ms);

-- Every verified notification, applied once: the primary key is Payment Kit's callbackId.
CREATE TABLE callbacks (
    callback_id  TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    received_ms  BIGINT NOT NULL,
    raw_body     TEXT NOT NULL
);
CREATE INDEX callbacks_subject ON callbacks (subject);
