//! The shop's database: SQLite, PostgreSQL or MySQL/MariaDB through sqlx's
//! Any driver, plain types only, parameters always bound. Statements are
//! written with `$n` placeholders, each used once and in order, so they
//! become `?` on MySQL.

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Row};

/// The schema, applied at start.
const SCHEMA: &str = include_str!("../schema.sql");

/// A reservation row.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Reservation {
    pub id: String,
    pub sku: String,
    pub quantity: i64,
    pub status: String,
    pub charge_id: Option<String>,
    pub created_at: String,
}

/// Which database the URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    Sqlite,
    Postgres,
    MySql,
}

/// The connection pool.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    dialect: Dialect,
}

impl Db {
    /// Connects and applies the schema. A SQLite file is created if missing.
    pub async fn connect(url: &str) -> Result<Self, String> {
        install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("mysql:") || url.starts_with("mariadb:") {
            Dialect::MySql
        } else {
            Dialect::Postgres
        };
        let url = if dialect == Dialect::Sqlite && !url.contains("mode=") {
            format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" })
        } else {
            url.replacen("mariadb://", "mysql://", 1)
        };
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .connect(&url)
            .await
            .map_err(|error| format!("cannot connect to {url}: {error}"))?;
        let without_comments: String = SCHEMA
            .lines()
            .filter(|line| !line.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        for statement in without_comments
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
                .execute(&pool)
                .await
                .map_err(|error| format!("cannot apply the schema: {error}"))?;
        }
        Ok(Self { pool, dialect })
    }

    /// A statement in this database's placeholder syntax.
    fn sql(&self, statement: &str) -> sqlx::AssertSqlSafe<String> {
        if self.dialect != Dialect::MySql {
            return sqlx::AssertSqlSafe(statement.to_string());
        }
        let mut out = String::with_capacity(statement.len());
        let mut chars = statement.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                out.push('?');
            } else {
                out.push(c);
            }
        }
        sqlx::AssertSqlSafe(out)
    }

    /// Stock and price of a SKU.
    pub async fn inventory(&self, sku: &str) -> Result<Option<(i64, i64)>, sqlx::Error> {
        let row = sqlx::query(self.sql("SELECT stock, price_cents FROM inventory WHERE sku = $1"))
            .bind(sku)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((row.try_get("stock")?, row.try_get("price_cents")?)))
            .transpose()
    }

    /// Creates or replaces a SKU's stock and price.
    pub async fn put_inventory(
        &self,
        sku: &str,
        stock: i64,
        price_cents: i64,
    ) -> Result<(), sqlx::Error> {
        let upsert = if self.dialect == Dialect::MySql {
            "INSERT INTO inventory (sku, stock, price_cents) VALUES ($1, $2, $3) \
             ON DUPLICATE KEY UPDATE stock = VALUES(stock), price_cents = VALUES(price_cents)"
        } else {
            "INSERT INTO inventory (sku, stock, price_cents) VALUES ($1, $2, $3) \
             ON CONFLICT (sku) DO UPDATE SET stock = excluded.stock, price_cents = excluded.price_cents"
        };
        sqlx::query(self.sql(upsert))
            .bind(sku)
            .bind(stock)
            .bind(price_cents)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes `quantity` units if there are enough, in one statement.
    pub async fn take_stock(&self, sku: &str, quantity: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            self.sql("UPDATE inventory SET stock = stock - $1 WHERE sku = $2 AND stock >= $3"),
        )
        .bind(quantity)
        .bind(sku)
        .bind(quantity)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Writes a SKU's stock.
    pub async fn set_stock(&self, sku: &str, stock: i64) -> Result<(), sqlx::Error> {
        sqlx::query(self.sql("UPDATE inventory SET stock = $1 WHERE sku = $2"))
            .bind(stock)
            .bind(sku)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Puts units back.
    pub async fn return_stock(&self, sku: &str, quantity: i64) -> Result<(), sqlx::Error> {
        sqlx::query(self.sql("UPDATE inventory SET stock = stock + $1 WHERE sku = $2"))
            .bind(quantity)
            .bind(sku)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores a reservation.
    pub async fn insert_reservation(&self, reservation: &Reservation) -> Result<(), sqlx::Error> {
        sqlx::query(self.sql("INSERT INTO reservations (id, sku, quantity, status, charge_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)"))
        .bind(&reservation.id)
        .bind(&reservation.sku)
        .bind(reservation.quantity)
        .bind(&reservation.status)
        .bind(reservation.charge_id.clone())
        .bind(&reservation.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A reservation by id.
    pub async fn reservation(&self, id: &str) -> Result<Option<Reservation>, sqlx::Error> {
        let row = sqlx::query(self.sql("SELECT id, sku, quantity, status, charge_id, created_at FROM reservations WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(Reservation {
                id: row.try_get("id")?,
                sku: row.try_get("sku")?,
                quantity: row.try_get("quantity")?,
                status: row.try_get("status")?,
                charge_id: row.try_get("charge_id")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .transpose()
    }

    /// Changes a reservation's status.
    pub async fn set_status(&self, id: &str, status: &str) -> Result<(), sqlx::Error> {
        sqlx::query(self.sql("UPDATE reservations SET status = $1 WHERE id = $2"))
            .bind(status)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Creates a customer; false when the email is taken.
    pub async fn create_customer(
        &self,
        email: &str,
        password: &str,
        name: &str,
    ) -> Result<bool, sqlx::Error> {
        let insert = if self.dialect == Dialect::MySql {
            "INSERT IGNORE INTO customers (email, password, name) VALUES ($1, $2, $3)"
        } else {
            "INSERT INTO customers (email, password, name) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING"
        };
        let done = sqlx::query(self.sql(insert))
            .bind(email)
            .bind(password)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A new session token when the password is right.
    pub async fn login(&self, email: &str, password: &str) -> Result<Option<String>, sqlx::Error> {
        let row = sqlx::query(self.sql("SELECT password FROM customers WHERE email = $1"))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let stored: String = row.try_get("password")?;
        if stored != password {
            return Ok(None);
        }
        let token = uuid::Uuid::new_v4().simple().to_string();
        sqlx::query(self.sql("INSERT INTO sessions (token, email) VALUES ($1, $2)"))
            .bind(&token)
            .bind(email)
            .execute(&self.pool)
            .await?;
        Ok(Some(token))
    }

    /// The customer of a session token: email and name.
    pub async fn customer_of(&self, token: &str) -> Result<Option<(String, String)>, sqlx::Error> {
        let row = sqlx::query(self.sql("SELECT customers.email, customers.name FROM sessions JOIN customers ON customers.email = sessions.email WHERE sessions.token = $1"))
        .bind(token)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((row.try_get("email")?, row.try_get("name")?)))
            .transpose()
    }
}
