-- The shop's tables, valid on SQLite, PostgreSQL and MySQL/MariaDB. itspec
-- applies it to a fresh database ([database] schema in itspec.toml), and the
-- shop applies it at start too (every statement is idempotent).
CREATE TABLE IF NOT EXISTS inventory (
    sku VARCHAR(64) PRIMARY KEY,
    stock BIGINT NOT NULL,
    price_cents BIGINT NOT NULL DEFAULT 100
);

CREATE TABLE IF NOT EXISTS reservations (
    id VARCHAR(64) PRIMARY KEY,
    sku VARCHAR(64) NOT NULL,
    quantity BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    charge_id VARCHAR(64),
    created_at VARCHAR(32) NOT NULL,
    FOREIGN KEY (sku) REFERENCES inventory (sku)
);

CREATE TABLE IF NOT EXISTS customers (
    email VARCHAR(255) PRIMARY KEY,
    password TEXT NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS sessions (
    token VARCHAR(64) PRIMARY KEY,
    email VARCHAR(255) NOT NULL,
    FOREIGN KEY (email) REFERENCES customers (email)
);
