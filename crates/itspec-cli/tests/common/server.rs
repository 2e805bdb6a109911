//! A service in the test process, for specs that need answers the shop
//! would never give: what a hostile or careless service sends back.

use axum::Router;

/// Serves `app` on a free loopback port from a thread of its own; its
/// base URL.
pub fn serve(app: Router) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a free port");
            tx.send(listener.local_addr().expect("an address"))
                .expect("the test waits");
            axum::serve(listener, app).await.expect("the server runs");
        });
    });
    format!("http://{}", rx.recv().expect("the server's address"))
}
