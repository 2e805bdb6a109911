//! Whether a database is on this machine, decided from the options the
//! driver will actually use: the URL's host, PostgreSQL's `host=` and
//! `hostaddr=` parameters, MySQL's `socket=`, and the `PG*` environment
//! variables the driver reads. A Unix socket is local; an IP address must
//! be a loopback one; a name must resolve, and every address it resolves to
//! must be a loopback one (`127.attacker.example` is a name, not an
//! address). Each engine's dialect reads its driver's options
//! ([`super::dialect::Dialect::server_address`]).

use std::net::IpAddr;
use std::path::Path;

use super::kind_of;

/// Why the database `url` names may not be on this machine, or `None`
/// when it is.
pub async fn remote_reason(url: &str) -> Option<String> {
    match kind_of(url).ok()?.dialect().server_address(url) {
        Ok(None) => None,
        Ok(Some((host, port))) => host_reason(&host, port).await,
        Err(e) => Some(format!("its options cannot be read ({e})")),
    }
}

/// Why `host` may not be this machine.
pub async fn host_reason(host: &str, port: u16) -> Option<String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if Path::new(bare).is_absolute() {
        return None;
    }
    if let Ok(address) = bare.parse::<IpAddr>() {
        return (!address.is_loopback())
            .then(|| format!("its host {address} is not a loopback address"));
    }
    match tokio::net::lookup_host((bare, port)).await {
        Ok(addresses) => {
            let addresses: Vec<IpAddr> = addresses.map(|a| a.ip()).collect();
            let remote: Vec<String> = addresses
                .iter()
                .filter(|a| !a.is_loopback())
                .map(ToString::to_string)
                .collect();
            if addresses.is_empty() {
                Some(format!("its host `{bare}` resolves to no address"))
            } else if remote.is_empty() {
                None
            } else {
                Some(format!(
                    "its host `{bare}` resolves to {}, not a loopback address",
                    remote.join(", ")
                ))
            }
        }
        Err(e) => Some(format!(
            "its host `{bare}` cannot be resolved to an address ({e})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(url: &str) -> Option<String> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?
            .block_on(remote_reason(url))
    }

    #[test]
    fn loopback_addresses_names_and_sockets_are_local() {
        for url in [
            "sqlite://target/x.db",
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://localhost/test",
            "postgresql://u@%2Fvar%2Frun%2Fpostgresql/db",
            "postgres://u@db.example.invalid/db?host=/var/run/postgresql",
            "mysql://root@[::1]:3306/test",
            "mysql://root@127.0.0.2/test",
            "mysql://root@localhost/test?socket=/run/mysqld/mysqld.sock",
            "postgres://u@127.0.0.1/db?hostaddr=127.0.0.1",
            "postgresql+psycopg://u:p@127.0.0.1:5432/app",
            "postgresql+asyncpg://u@localhost/app",
            "mysql+pymysql://root@127.0.0.1:3306/app",
            "mariadb+mariadbconnector://root@[::1]/app",
            "sqlite:///app.db",
        ] {
            assert_eq!(reason(url), None, "{url}");
        }
    }

    #[test]
    fn other_hosts_and_hidden_ones_are_not() {
        for url in [
            "postgres://db.example.invalid/test",
            "mysql://root@10.0.0.5:3306/x",
            "postgres://u:p@10.1.2.3:5432/app",
            "postgres://u@127.0.0.1/db?host=10.0.0.1",
            "postgres://u@localhost/db?hostaddr=10.0.0.1",
            "postgres://u@127.attacker.invalid/db",
            "mysql://root@127.0.0.1.nip.invalid/db",
            "postgresql+psycopg2://u:p@10.1.2.3:5432/app",
            "postgresql+asyncpg://u@127.0.0.1/db?host=10.0.0.1",
            "mysql+mysqldb://root@10.0.0.5/x",
            "mariadb+mariadbconnector://root@db.example.invalid/x",
        ] {
            assert!(reason(url).is_some(), "{url}");
        }
    }
}
