//! The HTTP API.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::db::Reservation;
use crate::error::ApiError;
use crate::payments::ChargeError;
use crate::{App, StockUpdate};

type Shared = State<Arc<App>>;

/// Every route.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/inventory/{sku}", get(get_inventory).put(put_inventory))
        .route("/reservations", post(reserve))
        .route("/reservations/{id}", get(get_reservation).delete(cancel))
        .route("/customers", post(sign_up))
        .route("/login", post(login))
        .route("/me", get(me))
        .with_state(app)
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// A JSON body, or a 422 that says what is wrong with it.
fn body<T>(payload: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    payload.map(|Json(value)| value).map_err(|rejection| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_REQUEST",
            rejection.body_text(),
        )
    })
}

#[derive(Deserialize)]
struct StockBody {
    stock: i64,
    price_cents: Option<i64>,
}

async fn put_inventory(
    State(app): Shared,
    Path(sku): Path<String>,
    payload: Result<Json<StockBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let StockBody { stock, price_cents } = body(payload)?;
    if stock < 0 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_STOCK",
            "stock must not be negative",
        ));
    }
    let price = price_cents.unwrap_or(100);
    app.db
        .put_inventory(&sku, stock, price)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(
        json!({ "sku": sku, "stock": stock, "price_cents": price }),
    ))
}

async fn get_inventory(
    State(app): Shared,
    Path(sku): Path<String>,
) -> Result<Json<Value>, ApiError> {
    match app.db.inventory(&sku).await.map_err(ApiError::internal)? {
        Some((stock, price)) => Ok(Json(
            json!({ "sku": sku, "stock": stock, "price_cents": price }),
        )),
        None => Err(not_found_sku(&sku)),
    }
}

fn not_found_sku(sku: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "SKU_NOT_FOUND",
        format!("no SKU {sku}"),
    )
}

#[derive(Deserialize)]
struct ReserveBody {
    sku: String,
    quantity: i64,
    /// Where the confirmation goes; none is sent without it.
    email: Option<String>,
}

/// Reserves stock and charges a deposit of the price of the units.
async fn reserve(
    State(app): Shared,
    payload: Result<Json<ReserveBody>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let ReserveBody {
        sku,
        quantity,
        email,
    } = body(payload)?;
    if quantity <= 0 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_QUANTITY",
            "quantity must be positive",
        ));
    }
    let Some((stock, price)) = app.db.inventory(&sku).await.map_err(ApiError::internal)? else {
        return Err(not_found_sku(&sku));
    };
    let out_of_stock = || {
        ApiError::new(
            StatusCode::CONFLICT,
            "OUT_OF_STOCK",
            format!("only {stock} of {sku} left"),
        )
    };
    if stock < quantity {
        return Err(out_of_stock());
    }
    let id = uuid::Uuid::new_v4().to_string();
    let charge = match app.stock_update {
        StockUpdate::Atomic => {
            if !app
                .db
                .take_stock(&sku, quantity)
                .await
                .map_err(ApiError::internal)?
            {
                return Err(out_of_stock());
            }
            match charge(&app, quantity * price, &id).await {
                Ok(charge) => charge,
                Err(error) => {
                    app.db
                        .return_stock(&sku, quantity)
                        .await
                        .map_err(ApiError::internal)?;
                    return Err(error);
                }
            }
        }
        StockUpdate::Racy => {
            // Check, then act: the stock read above is written back after
            // the charge, whatever happened in between.
            let charge = charge(&app, quantity * price, &id).await?;
            app.db
                .set_stock(&sku, stock - quantity)
                .await
                .map_err(ApiError::internal)?;
            charge
        }
    };
    let reservation = Reservation {
        id: id.clone(),
        sku,
        quantity,
        status: "confirmed".to_string(),
        charge_id: charge,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    };
    app.db
        .insert_reservation(&reservation)
        .await
        .map_err(ApiError::internal)?;
    announce(
        &app,
        "reservation.created",
        json!({ "id": reservation.id, "sku": reservation.sku, "quantity": reservation.quantity }),
    )
    .await;
    if let (Some(mailer), Some(to)) = (&app.mailer, &email) {
        // The reservation stands when the mail server refuses: it is
        // logged, not undone.
        if let Err(error) = mailer
            .confirm(to, &reservation.id, &reservation.sku, reservation.quantity)
            .await
        {
            eprintln!("shop: {error}");
        }
    }
    let location = format!("/reservations/{id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(reservation),
    ))
}

/// Charges the deposit when a gateway is configured.
async fn charge(app: &App, amount: i64, reference: &str) -> Result<Option<String>, ApiError> {
    let Some(payments) = &app.payments else {
        return Ok(None);
    };
    match payments.charge(amount, reference).await {
        Ok(id) => Ok(Some(id)),
        Err(ChargeError::Declined(reason)) => Err(ApiError::new(
            StatusCode::PAYMENT_REQUIRED,
            "PAYMENT_DECLINED",
            format!("the card was declined: {reason}"),
        )),
        Err(ChargeError::Timeout) => Err(ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "PAYMENT_TIMEOUT",
            "the payment gateway did not answer in time",
        )),
        Err(ChargeError::Failed(reason)) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "PAYMENT_FAILED",
            format!("the payment gateway failed: {reason}"),
        )),
    }
}

async fn get_reservation(
    State(app): Shared,
    Path(id): Path<String>,
) -> Result<Json<Reservation>, ApiError> {
    match app.db.reservation(&id).await.map_err(ApiError::internal)? {
        Some(reservation) => Ok(Json(reservation)),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "RESERVATION_NOT_FOUND",
            format!("no reservation {id}"),
        )),
    }
}

/// Cancels a reservation and puts its units back.
async fn cancel(State(app): Shared, Path(id): Path<String>) -> Result<Json<Reservation>, ApiError> {
    let Some(mut reservation) = app.db.reservation(&id).await.map_err(ApiError::internal)? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "RESERVATION_NOT_FOUND",
            format!("no reservation {id}"),
        ));
    };
    if reservation.status == "cancelled" {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "ALREADY_CANCELLED",
            "the reservation is already cancelled",
        ));
    }
    app.db
        .return_stock(&reservation.sku, reservation.quantity)
        .await
        .map_err(ApiError::internal)?;
    app.db
        .set_status(&id, "cancelled")
        .await
        .map_err(ApiError::internal)?;
    reservation.status = "cancelled".to_string();
    announce(
        &app,
        "reservation.cancelled",
        json!({ "id": reservation.id, "sku": reservation.sku, "quantity": reservation.quantity }),
    )
    .await;
    Ok(Json(reservation))
}

/// Publishes an event when events are configured; a broker that fails is
/// logged (the reservation is already stored).
async fn announce(app: &App, key: &str, event: Value) {
    if let Some(events) = &app.events
        && let Err(error) = events.publish(key, &event).await
    {
        eprintln!("shop: {error}");
    }
}

#[derive(Deserialize)]
struct SignUp {
    email: String,
    password: String,
    name: String,
}

async fn sign_up(
    State(app): Shared,
    payload: Result<Json<SignUp>, JsonRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let SignUp {
        email,
        password,
        name,
    } = body(payload)?;
    if !email.contains('@') {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_EMAIL",
            "email must contain @",
        ));
    }
    if !app
        .db
        .create_customer(&email, &password, &name)
        .await
        .map_err(ApiError::internal)?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "EMAIL_TAKEN",
            format!("{email} already has an account"),
        ));
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "email": email, "name": name })),
    ))
}

#[derive(Deserialize)]
struct Login {
    email: String,
    password: String,
}

async fn login(
    State(app): Shared,
    payload: Result<Json<Login>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Login { email, password } = body(payload)?;
    match app
        .db
        .login(&email, &password)
        .await
        .map_err(ApiError::internal)?
    {
        Some(token) => Ok(Json(json!({ "token": token }))),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
            "wrong email or password",
        )),
    }
}

async fn me(State(app): Shared, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let unauthorized = || ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "sign in first");
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(unauthorized)?;
    match app
        .db
        .customer_of(token)
        .await
        .map_err(ApiError::internal)?
    {
        Some((email, name)) => Ok(Json(json!({ "email": email, "name": name }))),
        None => Err(unauthorized()),
    }
}
