-- The shop's tables. Valid on SQLite and PostgreSQL; the service applies it
-- at start (every statement is idempotent).
CREATE TABLE IF NOT EXISTS inventory (
    sku TEXT PRIMARY KEY,
    stock BIGINT NOT NULL,
    price_cents BIGINT NOT NULL DEFAULT 100
);

CREATE TABLE IF NOT EXISTS reservations (
    id TEXT PRIMARY KEY,
    sku TEXT NOT NULL REFERENCES inventory (sku),
    quantity BIGINT NOT NULL,
    status TEXT NOT NULL,
    charge_id TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS customers (
    email TEXT PRIMARY KEY,
    password TEXT NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS sessions (
    token TEXT PRIMARY KEY,
    email TEXT NOT NULL REFERENCES customers (email)
);
