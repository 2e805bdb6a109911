//! The write marker that lets a case which wrote nothing skip its restore
//! (`db/marker.rs`), on real servers: a case that wrote nothing is proved
//! so on SQLite and PostgreSQL (MySQL has no marker and always restores);
//! a row another connection wrote, committed, is still put back; and on
//! PostgreSQL a `nextval` — which the WAL logs only every 32nd value — is
//! put back too.

mod databases;

use databases::{Backend, block_on, fresh_db};
use itspec_runner::db::Database;
use itspec_runner::isolation::Isolation;

on_every_database!(a_case_that_wrote_nothing_is_proved_so_and_writes_are_still_undone);

fn schema(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "CREATE TABLE item (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL)"
        }
        Backend::Postgres => "CREATE TABLE item (id SERIAL PRIMARY KEY, name TEXT NOT NULL)",
        Backend::MySql => {
            "CREATE TABLE item (id INT AUTO_INCREMENT PRIMARY KEY, name TEXT NOT NULL)"
        }
    }
}

async fn names(db: &Database) -> Vec<String> {
    db.fetch_text("SELECT name FROM item ORDER BY id", &[])
        .await
        .unwrap()
        .into_iter()
        .filter_map(|row| row.into_iter().next().flatten())
        .collect()
}

fn a_case_that_wrote_nothing_is_proved_so_and_writes_are_still_undone(backend: Backend) {
    let Some(test) = fresh_db(backend, "itspec_write_marker") else {
        return;
    };
    block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let setup = Database::connect(&test.url, test.dir.path()).await.unwrap();
        setup.execute(schema(backend), &[]).await.unwrap();
        setup
            .execute("INSERT INTO item (name) VALUES ('the user''s')", &[])
            .await
            .unwrap();
        let itspec = Database::connect(&test.url, test.dir.path()).await.unwrap();
        let mut isolation = Isolation::open(itspec, &[], Default::default(), dir.path(), false)
            .await
            .unwrap();
        // The service: a connection of its own.
        let service = Database::connect(&test.url, test.dir.path()).await.unwrap();

        // A key drawn and never used: no row, and on PostgreSQL no WAL
        // (the user's insert logged 32 values ahead, and nothing has reset the
        // sequence since): only the key generators tell.
        if backend == Backend::Postgres {
            let last = "SELECT last_value::text FROM item_id_seq";
            let before = service.fetch_text(last, &[]).await.unwrap();
            isolation.begin("draws a key").await.unwrap();
            service
                .fetch_text("SELECT nextval('item_id_seq')::text", &[])
                .await
                .unwrap();
            isolation.restore().await.unwrap();
            assert_eq!(service.fetch_text(last, &[]).await.unwrap(), before);
        }

        // A case that wrote nothing.
        isolation.begin("read only").await.unwrap();
        service.fetch_text("SELECT * FROM item", &[]).await.unwrap();
        isolation.restore().await.unwrap();
        let proved = usize::from(backend != Backend::MySql);
        assert_eq!(isolation.unwritten_cases(), proved, "{backend:?}");

        // A case whose service wrote and committed.
        isolation.begin("writes").await.unwrap();
        service
            .execute("INSERT INTO item (name) VALUES ('the service''s')", &[])
            .await
            .unwrap();
        service
            .execute(
                "UPDATE item SET name = 'changed' WHERE name = 'the user''s'",
                &[],
            )
            .await
            .unwrap();
        isolation.restore().await.unwrap();
        assert_eq!(names(&setup).await, ["the user's"], "{backend:?}");
        assert_eq!(isolation.unwritten_cases(), proved, "{backend:?}");

        // The next case that writes nothing is proved so again.
        isolation.begin("read only again").await.unwrap();
        isolation.restore().await.unwrap();
        assert_eq!(isolation.unwritten_cases(), 2 * proved, "{backend:?}");
        isolation.finish().await.unwrap();
        isolation.close().await;
        assert_eq!(names(&setup).await, ["the user's"], "{backend:?}");
    });
}
